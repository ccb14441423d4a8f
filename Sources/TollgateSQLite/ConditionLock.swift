#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with a condition variable, over pthreads (no Foundation, so
/// plugins that link this stay small).
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Call with the lock held.
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Call with the lock held; false on timeout.
    func wait(milliseconds: Int) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var deadline = timespec()
        let total = Int(now.tv_nsec) + (milliseconds % 1000) * 1_000_000
        deadline.tv_sec = now.tv_sec + milliseconds / 1000 + total / 1_000_000_000
        deadline.tv_nsec = total % 1_000_000_000
        return pthread_cond_timedwait(condition, mutex, &deadline) == 0
    }

    func broadcast() { pthread_cond_broadcast(condition) }
}
