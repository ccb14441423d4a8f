#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one writer of a SQLite file. Callers enqueue work without blocking;
/// a dedicated thread runs everything queued so far in one transaction and
/// commits it (group commit): under load many writes share one commit, at
/// rest a write commits as soon as the thread wakes.
///
/// One failing work item is rolled back and reported without losing the
/// others of its batch. A batch first runs as one plain transaction; only if
/// an item fails is it rolled back and run again with each item inside its
/// own savepoint (two more statements per item, which the common case does
/// not pay). So a work item may run twice: it must change nothing but the
/// database. The transaction statements are prepared once: parsing them
/// again for every commit cost more than the writes at rest.
public final class GroupCommitWriter: @unchecked Sendable {
    /// Writes to the database, and nothing else: it may be run again (see
    /// the type's comment).
    public typealias Work = (SQLiteDatabase) throws -> Void

    private let lock = ConditionLock()
    private var queue: [Work] = []
    private var enqueued: UInt64 = 0
    private var committed: UInt64 = 0
    private var stopping = false
    private var stopped = false
    private var thread: pthread_t?
    private var waiters: [(ticket: UInt64, callback: @Sendable () -> Void)] = []
    private let database: SQLiteDatabase
    /// Touched only on the writer thread once it runs.
    private let control: TransactionStatements
    private let maxBatch: Int
    private let onError: @Sendable (Error) -> Void
    public private(set) var batchesCommitted: UInt64 = 0

    /// Opens (creating) the database, runs `setup` (schema) on it, and
    /// starts the writer thread.
    public init(path: String, durability: SQLiteDatabase.Durability = .processCrashSafe, maxBatch: Int = 1024,
                setup: (SQLiteDatabase) throws -> Void, onError: @escaping @Sendable (Error) -> Void = { _ in }) throws {
        database = try SQLiteDatabase(path: path, durability: durability)
        try setup(database)
        control = try TransactionStatements(database)
        self.maxBatch = maxBatch
        self.onError = onError
        let box = Unmanaged.passRetained(self)
        var t = pthread_t()
        let result = pthread_create(&t, nil, { argument in
            let writer = Unmanaged<GroupCommitWriter>.fromOpaque(argument!).takeRetainedValue()
            writer.run()
            return nil
        }, box.toOpaque())
        guard result == 0 else {
            box.release()
            throw SQLiteError(code: -1, message: "cannot start the writer thread (\(result))", sql: nil)
        }
        thread = t
    }

    /// Queues `work`; returns its ticket for `waitUntilCommitted`.
    @discardableResult
    public func enqueue(_ work: @escaping Work) -> UInt64 {
        lock.withLock {
            precondition(!stopping, "GroupCommitWriter used after close()")
            queue.append(work)
            enqueued += 1
            lock.broadcast()
            return enqueued
        }
    }

    /// Blocks until the work with `ticket` (and everything before it) is
    /// committed.
    public func waitUntilCommitted(_ ticket: UInt64) {
        lock.withLock {
            while committed < ticket && !stopped { lock.wait() }
        }
    }

    /// Blocks until everything enqueued so far is committed.
    public func flush() {
        let ticket = lock.withLock { enqueued }
        waitUntilCommitted(ticket)
    }

    /// Calls `callback` (on the writer thread, or at once on the caller's
    /// if already done) when the work with `ticket` is committed — or when
    /// the writer stopped. Lets a caller wait without blocking a thread.
    public func notifyWhenCommitted(_ ticket: UInt64, _ callback: @escaping @Sendable () -> Void) {
        let now: Bool = lock.withLock {
            if committed >= ticket || stopped { return true }
            waiters.append((ticket, callback))
            return false
        }
        if now { callback() }
    }

    public var pendingCount: Int { lock.withLock { queue.count } }

    /// Commits what is queued and stops the thread. Idempotent.
    public func close() {
        let wasRunning: Bool = lock.withLock {
            if stopping { return false }
            stopping = true
            lock.broadcast()
            return true
        }
        if wasRunning, let thread { pthread_join(thread, nil) }
    }

    deinit { close() }

    private func run() {
        while true {
            let batch: [Work] = lock.withLock {
                while queue.isEmpty && !stopping { lock.wait() }
                let take = min(queue.count, maxBatch)
                let batch = Array(queue.prefix(take))
                queue.removeFirst(take)
                return batch
            }
            if batch.isEmpty {
                let remaining: [@Sendable () -> Void] = lock.withLock {
                    stopped = true
                    lock.broadcast()
                    defer { waiters.removeAll() }
                    return waiters.map(\.callback)
                }
                for callback in remaining { callback() }
                return
            }
            commit(batch)
            let ready: [@Sendable () -> Void] = lock.withLock {
                committed += UInt64(batch.count)
                batchesCommitted += 1
                lock.broadcast()
                let done = waiters.filter { $0.ticket <= committed }
                waiters.removeAll { $0.ticket <= committed }
                return done.map(\.callback)
            }
            for callback in ready { callback() }
        }
    }

    private func commit(_ batch: [Work]) {
        guard begin() else { return }
        do {
            for work in batch { try work(database) }
        } catch {
            try? control.rollback.run()
            // A batch of one is its own transaction: that was its one run.
            guard batch.count > 1 else { return onError(error) }
            // The batch again, each item in its own savepoint: the failing
            // ones are rolled back and reported, the rest commit.
            guard begin() else { return }
            for work in batch { runInSavepoint(work) }
        }
        do {
            try control.commit.run()
        } catch {
            try? control.rollback.run()
            onError(error)
        }
    }

    /// Opens the batch's transaction; false (reported) if it cannot.
    private func begin() -> Bool {
        do {
            try control.begin.run()
            return true
        } catch {
            onError(error)
            return false
        }
    }

    private func runInSavepoint(_ work: Work) {
        do {
            try control.savepoint.run()
            try work(database)
            try control.release.run()
        } catch {
            try? control.rollbackToSavepoint.run()
            try? control.release.run()
            onError(error)
        }
    }
}

/// The statements a group commit runs around its work, prepared once.
private final class TransactionStatements {
    let begin: SQLiteStatement
    let commit: SQLiteStatement
    let rollback: SQLiteStatement
    let savepoint: SQLiteStatement
    let release: SQLiteStatement
    let rollbackToSavepoint: SQLiteStatement

    init(_ db: SQLiteDatabase) throws {
        begin = try db.prepare("BEGIN IMMEDIATE")
        commit = try db.prepare("COMMIT")
        rollback = try db.prepare("ROLLBACK")
        savepoint = try db.prepare("SAVEPOINT item")
        release = try db.prepare("RELEASE item")
        rollbackToSavepoint = try db.prepare("ROLLBACK TO item")
    }
}
