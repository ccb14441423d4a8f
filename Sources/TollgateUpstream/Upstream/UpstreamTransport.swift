import NIOCore
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// Receives one transfer's results. Every call happens on the event loop
/// passed to `UpstreamTransport.start`.
package protocol UpstreamDelegate: AnyObject {
    /// Once, before any body: the final (non-1xx) status and its headers.
    func upstreamDidReceiveHead(status: Int, headers: [(String, String)])
    /// Body bytes as they arrive; a stream is never buffered whole.
    func upstreamDidReceiveBody(_ bytes: ByteBuffer)
    /// Exactly once, last; nil means the response completed.
    func upstreamDidFinish(_ failure: UpstreamFailure?)
}

/// A running transfer.
package protocol UpstreamTransfer: AnyObject, Sendable {
    /// After `cancel()` returns the delegate gets no further calls (call it on
    /// the transfer's event loop for that guarantee to be exact). Idempotent.
    /// The upstream connection is closed if the response was not complete.
    func cancel()
    /// Backpressure: stop reading from the upstream until `resume()`.
    func pause()
    func resume()
}

package protocol UpstreamTransport: Sendable {
    func start(_ request: UpstreamRequest, on eventLoop: EventLoop, delegate: UpstreamDelegate) -> UpstreamTransfer
}
