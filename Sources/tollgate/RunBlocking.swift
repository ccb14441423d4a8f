import Foundation

/// Runs `body` on Swift concurrency's thread pool and blocks the calling
/// thread until it returns, for the subcommands that are async inside.
///
/// Why not an async `@main`: on Linux that ends in libdispatch's
/// `dispatch_main()`, whose main-thread `sigsuspend` on a read-only mask
/// makes valgrind 3.19 crash at start, and `bench/callgrind` (instructions
/// per request) runs the gateway under valgrind. A blocked main thread
/// costs nothing here: the gateway works on its event loops.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let outcome = OutcomeBox<T>()
    Task.detached {
        do { outcome.result = .success(try await body()) } catch { outcome.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try outcome.result!.get()
}

/// Written once by the task, read once after the semaphore: the semaphore
/// orders the two.
private final class OutcomeBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
