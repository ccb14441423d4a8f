import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO

/// One gateway's way into the shared database: a bounded pool of
/// connections (postgres-nio's PostgresClient) on event loops of its own.
/// The pool and every operation also *run* there (a task executor per
/// loop), not on Swift concurrency's shared threads: a thread that blocks
/// waiting for an answer — a gateway event loop, a dispatch thread deciding
/// an admin change — never holds a thread the answer needs, however many
/// of them wait at once.
///
/// Every operation has a deadline (`operationTimeout`): a database that
/// does not answer is an error the caller turns into a 503, never a hang.
package final class PostgresStorage: Sendable {
    package let url: PostgresURL
    package let poolSize: Int
    let client: PostgresClient
    let group: MultiThreadedEventLoopGroup
    private let executors: [EventLoopExecutor]
    private let nextExecutor = NIOLockedValueBox(0)
    let logger: Logger
    private let runTask: Task<Void, Never>
    private let closed = NIOLockedValueBox(false)

    /// How long one operation (a lease and its queries) may take.
    package static let operationTimeout: TimeAmount = .seconds(5)
    /// How long the start-up probe may take to connect and log in.
    package static let connectTimeout: TimeAmount = .seconds(5)

    /// Where it points, without the password.
    package var target: String { url.target }

    /// Connects (a probe first: a clear error now beats a pool that retries
    /// in the background) and starts the pool. Blocks the calling thread;
    /// call it from outside Swift concurrency (the CLI, a test).
    package static func connect(url text: String, poolSize: Int, logger: Logger) throws -> PostgresStorage {
        let url = try PostgresURL.parse(text)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: min(2, System.coreCount))
        do {
            try probe(url, group: group, logger: logger)
            return try PostgresStorage(url: url, poolSize: poolSize, group: group, logger: logger)
        } catch {
            group.shutdownGracefully { _ in }
            throw error
        }
    }

    private init(url: PostgresURL, poolSize: Int, group: MultiThreadedEventLoopGroup, logger: Logger) throws {
        self.url = url
        self.poolSize = poolSize
        self.group = group
        self.logger = logger
        executors = group.makeIterator().map(EventLoopExecutor.init)
        let configuration = try url.clientConfiguration(poolSize: poolSize,
                                                        connectTimeout: .milliseconds(Self.connectTimeout.nanoseconds / 1_000_000))
        let client = PostgresClient(configuration: configuration, eventLoopGroup: group, backgroundLogger: logger)
        self.client = client
        runTask = Self.task(on: executors[0]) { await client.run() }
    }

    /// A task whose jobs run on `executor`'s event loop.
    private static func task<T: Sendable>(on executor: EventLoopExecutor,
                                          _ body: @escaping @Sendable () async -> T) -> Task<T, Never> {
        if #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *) {
            return Task(executorPreference: executor, operation: body)
        }
        return Task(operation: body)
    }

    /// Connects once and logs in: the database is there, the credentials work.
    private static func probe(_ url: PostgresURL, group: MultiThreadedEventLoopGroup, logger: Logger) throws {
        let configuration = try url.connectionConfiguration(connectTimeout: connectTimeout)
        do {
            let connection = try PostgresConnection.connect(on: group.next(), configuration: configuration, id: 0, logger: logger)
                .wait()
            try? connection.close().wait()
        } catch {
            throw PostgresStorageError.unreachable("cannot connect to PostgreSQL at \(url.target): \(PostgresStorageError.describe(error))")
        }
    }

    // MARK: running operations

    /// Runs `body` with the pool and calls `completion` once: with its
    /// result, or with `unavailable` when the deadline passes first (the
    /// body is cancelled then; a write it had sent may still commit).
    /// Never blocks the caller. `completion` runs on one of the storage's
    /// event loops: it must not block (hop elsewhere to wait on anything).
    package func perform<T: Sendable>(_ what: String, timeout: TimeAmount = PostgresStorage.operationTimeout,
                                      _ body: @escaping @Sendable (PostgresClient) async throws -> T,
                                      completion: @escaping @Sendable (Result<T, PostgresStorageError>) -> Void) {
        let once = NIOLockedValueBox<(@Sendable (Result<T, PostgresStorageError>) -> Void)?>(completion)
        let finish: @Sendable (Result<T, PostgresStorageError>) -> Void = { result in
            once.withLockedValue { handler in
                let taken = handler
                handler = nil
                return taken
            }?(result)
        }
        if closed.withLockedValue({ $0 }) {
            return finish(.failure(.closed("the database connection is closed: the gateway is shutting down")))
        }
        let client = self.client
        let target = url.target
        let executor = executors[nextExecutor.withLockedValue { index in
            defer { index = (index + 1) % executors.count }
            return index
        }]
        let task = Self.task(on: executor) {
            do {
                finish(.success(try await body(client)))
            } catch let error as PostgresStorageError {
                finish(.failure(error))
            } catch {
                finish(.failure(.unavailable("PostgreSQL at \(target) failed to \(what): \(PostgresStorageError.describe(error))",
                                             underlying: error)))
            }
        }
        let seconds = timeout.nanoseconds / 1_000_000_000
        group.next().scheduleTask(in: timeout) {
            task.cancel()
            finish(.failure(.unavailable("PostgreSQL at \(target) did not answer within \(seconds) s (\(what))", underlying: nil)))
        }
    }

    /// `perform`, waiting for the answer. Blocks the calling thread: never
    /// call it from a Swift concurrency task (it would hold one of the
    /// pool's few threads); event loops, dispatch queues and the main
    /// thread are fine.
    package func blocking<T: Sendable>(_ what: String, timeout: TimeAmount = PostgresStorage.operationTimeout,
                                       _ body: @escaping @Sendable (PostgresClient) async throws -> T) throws -> T {
        assert(withUnsafeCurrentTask { $0 == nil }, "PostgresStorage.blocking called from inside a task")
        let done = DispatchSemaphore(value: 0)
        let box = NIOLockedValueBox<Result<T, PostgresStorageError>?>(nil)
        perform(what, timeout: timeout, body) { result in
            box.withLockedValue { $0 = result }
            done.signal()
        }
        done.wait()
        return try box.withLockedValue { $0! }.get()
    }

    /// Stops the pool (its connections close) and the event loops. Blocks
    /// until the pool has stopped; call it once nothing uses the storage.
    package func close() {
        let first = closed.withLockedValue { wasClosed -> Bool in
            defer { wasClosed = true }
            return !wasClosed
        }
        guard first else { return }
        runTask.cancel()
        let done = DispatchSemaphore(value: 0)
        let task = runTask
        Task.detached {
            await task.value
            done.signal()
        }
        _ = done.wait(timeout: .now() + .seconds(5))
        group.shutdownGracefully { _ in }
    }
}

/// What went wrong with the shared database, as a person should read it
/// (never the URL: it holds the password).
package enum PostgresStorageError: Error, CustomStringConvertible {
    /// The URL cannot be used.
    case badURL(String)
    /// The database could not be reached or refused the login (at start).
    case unreachable(String)
    /// An operation failed or timed out (while serving: a 503).
    case unavailable(String, underlying: (any Error)?)
    /// The storage was closed (shutting down).
    case closed(String)
    /// The schema or the data is not what this build expects.
    case schema(String)

    package var description: String {
        switch self {
        case .badURL(let m): return "the database URL is not usable: \(m)"
        case .unreachable(let m), .closed(let m), .schema(let m): return m
        case .unavailable(let m, _): return m
        }
    }

    /// The SQLSTATE of a server error ("23505": a unique key taken).
    package var sqlState: String? {
        guard case .unavailable(_, let underlying?) = self else { return nil }
        return Self.sqlState(underlying)
    }

    static func sqlState(_ error: any Error) -> String? {
        if let psql = error as? PSQLError { return psql.serverInfo?[.sqlState] }
        if let transaction = error as? PostgresTransactionError {
            return (transaction.closureError ?? transaction.commitError ?? transaction.beginError).flatMap(sqlState)
        }
        return nil
    }

    /// A driver error in words: the server's message, or the connection
    /// problem (PSQLError's own description hides both on purpose).
    static func describe(_ error: any Error) -> String {
        if let transaction = error as? PostgresTransactionError,
           let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError {
            return describe(inner)
        }
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let message = psql.serverInfo?[.message] {
            let state = psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = psql.underlying { return "\(psql.code): \(underlying)" }
        return "\(psql.code)"
    }
}

/// Runs a task's jobs on one event loop (SE-0417's task executor
/// preference): the storage's tasks, and their child tasks, never take a
/// thread from Swift concurrency's small shared pool.
final class EventLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
