import Atomics
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// The gateway's side of its clients' connections: the listening socket's
/// handlers, each connection's pipeline, and what they count and log.
/// Limits are read from the serving generation at each accept, so a reload
/// applies them to new connections.
package final class ClientConnections: Sendable {
    /// Open client connections (ClientConnectionCap counts them).
    let count = ManagedAtomicCounter()
    private let warnings = WarningThrottle()
    private let generations: GenerationStore
    private let metrics: GatewayMetrics
    private let logger: Logger

    init(generations: GenerationStore, metrics: GatewayMetrics, logger: Logger) {
        self.generations = generations
        self.metrics = metrics
        self.logger = logger
    }

    var maxClientConnections: Int { generations.generation.config.server.clients.maxConnections }

    /// The connection cap and accept back-off; NIO adds its accept handler
    /// after it.
    func configureListener(_ channel: Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ClientConnectionCap(connections: self))
        }
    }

    /// One client connection, in pipeline order: the timeouts' byte
    /// watcher, NIO's HTTP codec and pipelining handler, the protocol error
    /// answer, the timeouts, the request handler (`requestHandler`: an
    /// HTTPServerHandler).
    func configureClientConnection(_ channel: Channel, requestHandler: ChannelHandler) -> EventLoopFuture<Void> {
        let limits = generations.generation.config.server.clients
        return channel.eventLoop.makeCompletedFuture {
            let timeouts = ClientTimeoutHandler(eventLoop: channel.eventLoop, headerTimeout: .milliseconds(limits.headerTimeoutMs),
                                                idleTimeout: .milliseconds(limits.idleTimeoutMs)) { [weak self] expiry in
                self?.timedOut(expiry)
            }
            let handlers = channel.pipeline.syncOperations
            try handlers.addHandler(timeouts.byteWatcher)
            // No outbound header validation pass: every header the gateway
            // sends was parsed from a peer (llhttp rejects bad bytes),
            // checked by the host API (plugins) or by the config loader, or
            // is the gateway's own. Protocol errors are answered by
            // ProtocolErrorResponder (a JSON 400), not by NIO's handler (an
            // empty one).
            try handlers.configureHTTPServerPipeline(withErrorHandling: false, withOutboundHeaderValidation: false,
                                                     withEncoderConfiguration: .init())
            try handlers.addHandler(ProtocolErrorResponder())
            try handlers.addHandler(timeouts)
            try handlers.addHandler(requestHandler)
        }
    }

    func refused() {
        metrics.record("tollgate_client_connections_refused_total", value: 1)
        warnings.warn("max_connections", logger: logger,
                      "closing new client connections: server.max_connections (\(maxClientConnections)) are open")
    }

    func acceptFailed(_ error: IOError) {
        metrics.record("tollgate_accept_errors_total", labels: [AcceptBackoff.errnoName(error.errnoCode)], value: 1)
        let pause = AcceptBackoff.delay(after: error).map { " (not accepting for \($0.nanoseconds / 1_000_000) ms)" } ?? ""
        warnings.warn("accept", logger: logger,
                      "accept failed: \(error)\(pause); if it says 'Too many open files', raise the open-file limit (ulimit -n) or lower server.max_connections")
    }

    func timedOut(_ expiry: ClientConnectionClock.Expiry) {
        metrics.record("tollgate_client_connection_timeouts_total", labels: [expiry.rawValue], value: 1)
    }

    /// Each client connection is a descriptor, and its upstream call
    /// another: a cap above what the open-file limit allows is one the
    /// process never reaches (accepts fail first). Raises the soft limit
    /// towards the hard one as far as the cap needs (as Go's runtime
    /// raises it to the hard limit), and warns when that is not enough.
    func ensureDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let cap = maxClientConnections
        let wanted = rlim_t(cap) * 2 + 256  // plus the gateway's own files
        if limit.rlim_cur < wanted, limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(wanted, limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        if limit.rlim_cur < wanted {
            logger.warning("server.max_connections (\(cap)) needs about \(wanted) open files (a client connection and its upstream call take one each), but the open-file limit is \(limit.rlim_cur): raise it (ulimit -n, LimitNOFILE=) or lower max_connections; at the limit, accepts fail and pause")
        }
    }
}


/// A lock-free counter (open client connections).
package final class ManagedAtomicCounter: Sendable {
    private let count = ManagedAtomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func add(_ delta: Int) -> Int { count.wrappingIncrementThenLoad(by: delta, ordering: .relaxed) }
}
