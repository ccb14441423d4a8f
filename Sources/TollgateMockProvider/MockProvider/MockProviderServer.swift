import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateUpstream

/// A fake OpenAI + Anthropic upstream over HTTP/1.1 (keep-alive). Tests and
/// benchmarks point the gateway at it; `/_mock/*` lets them look inside.
package final class MockProviderServer: @unchecked Sendable {
    package let host: String
    package let port: Int
    let responder: MockResponder
    let recorder = MockProviderRecorder()
    let invoice: MockInvoice
    private let group: MultiThreadedEventLoopGroup
    private var channel: Channel?

    /// `invoice`: how the usage and cost report endpoints bill what was served.
    package init(host: String = "127.0.0.1", port: Int = 0, defaults: MockDirectives = MockDirectives(),
                threads: Int = System.coreCount, invoice: MockInvoice = MockInvoice(),
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.host = host
        self.port = port
        self.invoice = invoice
        responder = MockResponder(defaults: defaults, now: now)
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
    }

    /// Binds and returns the bound port (useful with port 0).
    package func start() throws -> Int {
        let responder = responder
        let recorder = recorder
        let invoice = invoice
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MockProviderHandler(responder: responder, recorder: recorder, invoice: invoice))
                }
            }
        let channel = try bootstrap.bind(host: host, port: port).wait()
        self.channel = channel
        guard let bound = channel.localAddress?.port else { throw MockProviderError.noPort }
        return bound
    }

    /// Closes the listener and every connection.
    package func shutdown() {
        try? channel?.close().wait()
        channel = nil
        try? group.syncShutdownGracefully()
    }

    /// Resolves when the listening channel closes (the CLI waits on it).
    package var closeFuture: EventLoopFuture<Void>? { channel?.closeFuture }
}

package enum MockProviderError: Error, CustomStringConvertible {
    case noPort
    package var description: String { "the mock provider bound a socket but could not read its port" }
}
