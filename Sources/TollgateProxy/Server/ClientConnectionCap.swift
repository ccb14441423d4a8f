import Foundation
import NIOCore
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// The listening socket's handler, before NIO's accept handler: counts
/// open client connections and closes a new one at once when
/// `server.max_connections` are open (a closed connection tells a client
/// more than one that hangs, and holds no descriptor), and pauses
/// accepting after an accept failed for want of descriptors or memory.
///
/// Why not NIO's AcceptBackoffHandler: it delays the listener's next
/// `read()`, but after a failed accept the listener is still registered
/// for readability (NIO 2.101 clears its pending read only on a successful
/// accept), so epoll keeps waking the loop to fail again — measured with
/// it in the pipeline: 142,000 EMFILE in 4 s and a busy core. Turning the
/// listener's autoRead off unregisters it; turning it on again re-arms it.
package final class ClientConnectionCap: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = Channel
    package typealias InboundOut = Channel

    private let connections: ClientConnections
    private var paused = false

    init(connections: ClientConnections) {
        self.connections = connections
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let client = unwrapInboundIn(data)
        // Accepts happen on this one loop, so the check and the increment
        // cannot interleave with another accept; closes elsewhere only
        // lower the count.
        let count = connections.count
        guard count.value < connections.maxClientConnections else {
            connections.refused()
            client.close(promise: nil)
            return
        }
        _ = count.add(1)
        client.closeFuture.whenComplete { _ in _ = count.add(-1) }
        context.fireChannelRead(data)
    }

    package func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let error = error as? IOError else { return context.fireErrorCaught(error) }
        connections.acceptFailed(error)
        guard let pause = AcceptBackoff.delay(after: error), !paused, let options = context.channel.syncOptions else { return }
        paused = true
        try? options.setOption(ChannelOptions.autoRead, value: false)
        context.eventLoop.scheduleTask(in: pause) { [weak self] in
            self?.paused = false
            try? options.setOption(ChannelOptions.autoRead, value: true)
        }
    }
}

/// How long the listener stops accepting after accept failed for want of
/// descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): trying again at
/// once fails again, spins a core and serves nobody, while waiting lets
/// the timeouts free descriptors. (nginx pauses 500 ms.)
package enum AcceptBackoff {
    static let pause = TimeAmount.milliseconds(100)

    static func delay(after error: IOError) -> TimeAmount? {
        switch error.errnoCode {
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: return pause
        default: return nil
        }
    }

    /// The metric label: a name for the errors that pause, else the number.
    static func errnoName(_ code: CInt) -> String {
        switch code {
        case EMFILE: return "EMFILE"
        case ENFILE: return "ENFILE"
        case ENOBUFS: return "ENOBUFS"
        case ENOMEM: return "ENOMEM"
        default: return String(code)
        }
    }
}
