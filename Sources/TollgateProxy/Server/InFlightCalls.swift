import Atomics
import NIOConcurrencyHelpers
import NIOCore
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// The API calls being served, and the shutdown waiting for none to be left.
///
/// Every call enters and leaves once (ProxyCall.start and complete): one
/// atomic add each, as before. A waiter (`drained(by:on:)`) is told the
/// moment the count reaches zero, or that its deadline came first, whichever
/// happens first; nothing polls. Once the grace period is over the calls
/// still in flight are cut (`cut()`), and they end as cut by the shutdown.
package final class InFlightCalls: Sendable {
    private let count = ManagedAtomic<Int>(0)
    /// Set by the first waiter: only then does a leave that reaches zero
    /// take the lock, so the request path pays for draining only while
    /// the gateway is shutting down.
    private let draining = ManagedAtomic<Bool>(false)
    private let cutting = ManagedAtomic<Bool>(false)
    private let waiters = NIOLockedValueBox<Waiters>(Waiters())

    private struct Waiters {
        var nextID = 0
        var pending: [Int: EventLoopPromise<Bool>] = [:]
    }

    var value: Int { count.load(ordering: .relaxed) }

    func enter() {
        count.wrappingIncrement(ordering: .sequentiallyConsistent)
    }

    func leave() {
        // Sequentially consistent with `draining`: either this leave sees
        // the waiter's flag, or the waiter (which reads the count after
        // setting it, under the lock) sees this decrement.
        let left = count.wrappingDecrementThenLoad(ordering: .sequentiallyConsistent)
        if left == 0 && draining.load(ordering: .sequentiallyConsistent) { wakeWaiters() }
    }

    /// Succeeds with true as soon as no call is in flight (at once if none
    /// is), or with false at `deadline` if some still are.
    func drained(by deadline: NIODeadline, on loop: EventLoop) -> EventLoopFuture<Bool> {
        let promise = loop.makePromise(of: Bool.self)
        let id: Int? = waiters.withLockedValue { waiters in
            draining.store(true, ordering: .sequentiallyConsistent)
            if count.load(ordering: .sequentiallyConsistent) == 0 { return nil }
            waiters.nextID += 1
            waiters.pending[waiters.nextID] = promise
            return waiters.nextID
        }
        guard let id else {
            promise.succeed(true)
            return promise.futureResult
        }
        let timer = loop.scheduleTask(deadline: deadline) { [self] in
            // Whoever takes the promise out of the table completes it: the
            // deadline here, or wakeWaiters.
            waiters.withLockedValue { $0.pending.removeValue(forKey: id) }?.succeed(false)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    private func wakeWaiters() {
        let woken: [EventLoopPromise<Bool>] = waiters.withLockedValue { waiters in
            // A call may have entered since: its own leave wakes them then.
            guard count.load(ordering: .sequentiallyConsistent) == 0 else { return [] }
            defer { waiters.pending.removeAll() }
            return Array(waiters.pending.values)
        }
        for promise in woken { promise.succeed(true) }
    }

    /// From now on, calls still in flight end as cut by the shutdown
    /// (CallStateMachine.cutByShutdown), not as an upstream failure or a
    /// client disconnect.
    func cut() { cutting.store(true, ordering: .releasing) }

    var isCut: Bool { cutting.load(ordering: .acquiring) }
}
