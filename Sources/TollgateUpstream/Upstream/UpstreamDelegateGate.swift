import Atomics
import NIOCore
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// Hands a transfer's results to its delegate on the event loop, and drops
/// them once the transfer was cancelled or finished: a transport may still
/// have hops in flight when the caller cancels.
package final class UpstreamDelegateGate: @unchecked Sendable {
    package let eventLoop: EventLoop
    /// Read and cleared on the event loop only.
    private var delegate: UpstreamDelegate?
    private let closed = ManagedAtomic(false)

    package init(eventLoop: EventLoop, delegate: UpstreamDelegate) {
        self.eventLoop = eventLoop
        self.delegate = delegate
    }

    package var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Closes the gate; true if this call closed it (false: already
    /// cancelled or finished).
    package func cancel() -> Bool {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        if eventLoop.inEventLoop {
            delegate = nil
        } else {
            eventLoop.execute { self.delegate = nil }
        }
        return true
    }

    // The methods below run on the event loop.

    package func head(status: Int, headers: [(String, String)]) {
        guard !isClosed, let delegate else { return }
        delegate.upstreamDidReceiveHead(status: status, headers: headers)
    }

    package func body(_ bytes: ByteBuffer) {
        guard !isClosed, let delegate else { return }
        delegate.upstreamDidReceiveBody(bytes)
    }

    package func finish(_ failure: UpstreamFailure?) {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged,
              let delegate else { return }
        self.delegate = nil
        delegate.upstreamDidFinish(failure)
    }
}
