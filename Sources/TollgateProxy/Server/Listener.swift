import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// The listening socket. `start` binds it; a reload that moves
/// `server.listen` binds the new address and swaps it in (unless serve was
/// given --host/--port); shutdown closes it.
///
/// Synchronisation: the socket, the override and the request-handler
/// factory are read on event loops (`/readyz`, each accept) and written from
/// the task that starts the gateway, the reload queue and the shutdown; all
/// of it sits behind one lock. Binding itself happens outside the lock.
package final class Listener: Sendable {
    /// Makes each connection's request handler (an HTTPServerHandler).
    package typealias RequestHandlerFactory = @Sendable () -> ChannelHandler

    private struct State {
        var channel: Channel?
        /// --host / --port given to serve: they win over `server.listen`.
        var overridden = false
        var makeRequestHandler: RequestHandlerFactory?
        var closed = false
    }

    private let state = NIOLockedValueBox(State())
    private let group: EventLoopGroup
    private let connections: ClientConnections

    init(group: EventLoopGroup, connections: ClientConnections) {
        self.group = group
        self.connections = connections
    }

    /// Bound once (what `/readyz` reports); stays true while shutting down.
    var isBound: Bool { state.withLockedValue { $0.channel != nil } }
    var address: SocketAddress? { state.withLockedValue { $0.channel?.localAddress } }
    /// True when `server.listen` decides the address (serve was given no
    /// --host/--port), so a reload that changes it rebinds.
    var followsConfig: Bool { state.withLockedValue { $0.channel != nil && !$0.overridden && !$0.closed } }

    /// Binds and starts accepting; `overridden` says the address came from
    /// the command line.
    package func start(host: String, port: Int, overridden: Bool, requestHandler: @escaping RequestHandlerFactory) async throws
        -> SocketAddress
    {
        let channel = try await bootstrap(requestHandler).bind(host: host, port: port).get()
        let accepted = state.withLockedValue { state -> Bool in
            guard !state.closed, state.channel == nil else { return false }
            state.channel = channel
            state.overridden = overridden
            state.makeRequestHandler = requestHandler
            return true
        }
        guard accepted else {
            try? await channel.close()
            throw ChannelError.ioOnClosedChannel
        }
        return channel.localAddress!
    }

    /// Binds `host:port` for a reload (blocking: the reload queue); the
    /// old socket keeps accepting until `replace` swaps the new one in.
    func bindForReload(host: String, port: Int) throws -> Channel {
        guard let requestHandler = state.withLockedValue({ $0.makeRequestHandler }) else { throw ChannelError.ioOnClosedChannel }
        return try bootstrap(requestHandler).bind(host: host, port: port).wait()
    }

    /// Makes `channel` the listening socket and closes the one it replaces
    /// (or `channel` itself, when shutdown began meanwhile).
    func replace(with channel: Channel) {
        let retired: Channel? = state.withLockedValue { state in
            guard !state.closed else { return channel }
            defer { state.channel = channel }
            return state.channel
        }
        retired?.close(promise: nil)
    }

    /// Stops accepting; connections already open are served on.
    func close() async {
        let channel: Channel? = state.withLockedValue { state in
            state.closed = true
            state.makeRequestHandler = nil  // it holds the gateway
            return state.channel
        }
        try? await channel?.close()
    }

    private func bootstrap(_ requestHandler: @escaping RequestHandlerFactory) -> ServerBootstrap {
        let connections = self.connections
        return ServerBootstrap(group: group)
            .serverChannelInitializer { channel in connections.configureListener(channel) }
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            // Each connection keeps its read buffer between reads: start it
            // small (most requests are a few hundred bytes; it grows for big
            // prompts), which is ~1.5 KB less per open client connection.
            .childChannelOption(ChannelOptions.recvAllocator,
                                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536))
            .childChannelInitializer { channel in
                connections.configureClientConnection(channel, requestHandler: requestHandler())
            }
    }
}
