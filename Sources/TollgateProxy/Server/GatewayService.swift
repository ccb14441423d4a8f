import Logging
import NIOCore
import ServiceLifecycle
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// The gateway as a Service run by `serve`'s ServiceGroup: binds, serves
/// until the group's graceful shutdown (SIGTERM or SIGINT), then shuts the
/// gateway down with its grace period. Cancelled instead (another service
/// failed), it shuts down without one.
package struct GatewayService: Service {
    let gateway: Gateway
    let host: String?
    let port: Int?
    let grace: TimeAmount
    /// Called once the socket is bound, with its address.
    let onListening: @Sendable (SocketAddress) -> Void

    package init(gateway: Gateway, host: String?, port: Int?, grace: TimeAmount,
                 onListening: @escaping @Sendable (SocketAddress) -> Void) {
        self.gateway = gateway
        self.host = host
        self.port = port
        self.grace = grace
        self.onListening = onListening
    }

    /// Why serve could not start listening.
    package struct ListenError: Error, CustomStringConvertible {
        package let description: String
    }

    package func run() async throws {
        let address: SocketAddress
        do {
            address = try await gateway.start(host: host, port: port)
        } catch {
            throw ListenError(description: "cannot listen: \(error)")
        }
        onListening(address)
        var grace = self.grace
        do {
            try await gracefulShutdown()
        } catch {
            grace = .zero  // cancelled, not asked to stop gracefully
        }
        gateway.logger.info("shutting down: finishing in-flight requests")
        await gateway.shutdown(grace: grace)
        gateway.logger.info("stopped")
    }
}
