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
/// A batch that fails for a reason outside the data — the disk is full, an
/// I/O error, the file locked by another process (SQLITE_FULL, IOERR, BUSY,
/// LOCKED, CANTOPEN) — is not dropped: it is rolled back and tried again,
/// whole, with a growing pause (50 ms to 1 s), for as long as the writer
/// runs, and nothing after it commits first. Its waiters wait. Meanwhile the
/// writer counts as failing (`GroupCommitWriter.failure`), which the
/// gateway reads to refuse new calls with a 503 rather than serve calls it
/// could not record. Closing gives a failing batch 20 more tries, then
/// reports it lost.
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
    /// The file, for messages.
    public let path: String

    /// Writers (in this image) whose last commit failed for a reason
    /// outside the data, and why the most recent one did: nil when every
    /// writer commits.
    public static var failure: String? {
        health.withLock { health.failing > 0 ? health.reason : nil }
    }

    private static let health = WriterHealth()

    /// Opens (creating) the database, runs `setup` (schema) on it, and
    /// starts the writer thread.
    public init(path: String, durability: SQLiteDatabase.Durability = .processCrashSafe, maxBatch: Int = 1024,
                setup: (SQLiteDatabase) throws -> Void, onError: @escaping @Sendable (Error) -> Void = { _ in }) throws {
        self.path = path
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
            var attempts = 0
            while case .transient(let error) = commit(batch) {
                attempts += 1
                if attempts == 1 {
                    onError(error)
                    Self.health.withLock {
                        Self.health.failing += 1
                        Self.health.reason = "cannot write \(path): \(error)"
                    }
                }
                if lock.withLock({ stopping }) && attempts >= 20 {
                    onError(SQLiteError(code: -1, message: "gave up on \(batch.count) write(s) at close after \(attempts) tries: "
                        + "they are lost (\(error))", sql: nil))
                    break
                }
                usleep(UInt32(min(1_000_000, 50_000 << min(attempts - 1, 5))))
            }
            if attempts > 0 { Self.health.withLock { Self.health.failing -= 1 } }
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

    private enum Attempt {
        case done
        /// Failed for a reason outside the data: rolled back, try again.
        case transient(Error)
    }

    /// Codes that say the disk or the file is the problem, not the data.
    static func isTransient(_ error: Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        switch error.code & 0xff {
        case 5, 6, 10, 13, 14: return true  // BUSY, LOCKED, IOERR, FULL, CANTOPEN
        default: return false
        }
    }

    private func commit(_ batch: [Work]) -> Attempt {
        if let failed = begin() { return failed }
        do {
            for work in batch { try work(database) }
        } catch {
            try? control.rollback.run()
            if Self.isTransient(error) { return .transient(error) }
            // A batch of one is its own transaction: that was its one run.
            guard batch.count > 1 else {
                onError(error)
                return .done
            }
            // The batch again, each item in its own savepoint: the failing
            // ones are rolled back and reported, the rest commit.
            if let failed = begin() { return failed }
            for work in batch {
                if let transient = runInSavepoint(work) {
                    try? control.rollback.run()
                    return .transient(transient)
                }
            }
        }
        do {
            try control.commit.run()
        } catch {
            try? control.rollback.run()
            if Self.isTransient(error) { return .transient(error) }
            onError(error)
        }
        return .done
    }

    /// Opens the batch's transaction; nil when it is open, else what to do
    /// (a failure outside the data is retried; any other is reported and
    /// the batch dropped, as before).
    private func begin() -> Attempt? {
        do {
            try control.begin.run()
            return nil
        } catch {
            if Self.isTransient(error) { return .transient(error) }
            onError(error)
            return .done
        }
    }

    /// Runs one item in a savepoint: its own failure is rolled back and
    /// reported; a failure outside the data is returned (the whole batch
    /// is tried again).
    private func runInSavepoint(_ work: Work) -> Error? {
        do {
            try control.savepoint.run()
            try work(database)
            try control.release.run()
        } catch {
            try? control.rollbackToSavepoint.run()
            try? control.release.run()
            if Self.isTransient(error) { return error }
            onError(error)
        }
        return nil
    }
}

/// How many writers are failing, and why the last one did.
private final class WriterHealth: @unchecked Sendable {
    private let lock = ConditionLock()
    var failing = 0
    var reason = ""

    func withLock<T>(_ body: () throws -> T) rethrows -> T { try lock.withLock(body) }
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
