import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// The upstream connections of one event loop: opened on it, kept alive
/// there between calls, and touched from that loop only — so a call and
/// every chunk of its answer stay on the thread that serves its client.
package final class UpstreamConnectionPool {
    let eventLoop: EventLoop
    private let idleTimeout: TimeAmount
    private let maxIdlePerEndpoint: Int
    private let tls: UpstreamTLS
    /// Idle keep-alive connections by endpoint; the last one in is the first out.
    private var idle: [UpstreamEndpoint: [UpstreamConnection]] = [:]
    private var idleCount = 0
    /// Every open connection, idle or busy, for shutdown.
    private var open: [ObjectIdentifier: Channel] = [:]
    private var sweep: Scheduled<Void>?
    private(set) var isShutDown = false
    /// Parsed URLs: a deployment sends every call to the same one.
    private var endpoints: [String: (UpstreamEndpoint, target: String)] = [:]

    init(eventLoop: EventLoop, idleTimeout: TimeAmount, maxIdlePerEndpoint: Int, tls: UpstreamTLS) {
        self.eventLoop = eventLoop
        self.idleTimeout = idleTimeout
        self.maxIdlePerEndpoint = maxIdlePerEndpoint
        self.tls = tls
    }

    /// `url` split into endpoint and request target (remembered).
    func endpoint(for url: String) -> Result<(UpstreamEndpoint, target: String), UpstreamConnectionError> {
        if let known = endpoints[url] { return .success(known) }
        let parsed = UpstreamEndpoint.parse(url)
        if case .success(let value) = parsed {
            if endpoints.count >= 256 { endpoints.removeAll(keepingCapacity: true) }
            endpoints[url] = value
        }
        return parsed
    }

    /// A kept-alive connection to `endpoint`, if one is idle and still open.
    func checkout(_ endpoint: UpstreamEndpoint) -> UpstreamConnection? {
        guard idleCount > 0 else { return nil }
        while let connection = idle[endpoint]?.popLast() {
            idleCount -= 1
            if connection.isUsable { return connection }
            connection.close()
        }
        return nil
    }

    /// Takes back a connection whose exchange completed with keep-alive.
    func checkin(_ connection: UpstreamConnection) {
        guard !isShutDown, connection.isUsable, idle[connection.endpoint, default: []].count < maxIdlePerEndpoint else {
            return connection.close()
        }
        connection.idleSince = .now()
        connection.resumeReading()  // an idle connection reads, so a close by the server is seen
        idle[connection.endpoint, default: []].append(connection)
        idleCount += 1
        if sweep == nil { scheduleSweep() }
    }

    /// Opens a connection (TCP, then TLS for https); the future succeeds
    /// once it can carry a request.
    func connect(_ endpoint: UpstreamEndpoint, timeout: TimeAmount) -> EventLoopFuture<UpstreamConnection> {
        guard !isShutDown else { return eventLoop.makeFailedFuture(UpstreamConnectionError("the gateway is shutting down")) }
        let sslContext: NIOSSLContext?
        do {
            sslContext = endpoint.tls ? try tls.context() : nil
        } catch {
            return eventLoop.makeFailedFuture(UpstreamConnectionError("TLS is not available: \(error)"))
        }
        let connection = UpstreamConnection(endpoint: endpoint)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // Answers arrive as small SSE events or one JSON body; start small.
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65536))
            .channelInitializer { channel in
                do {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: endpoint.serverName))
                    }
                    // Headers are checked where they enter (see Gateway.bind); no second pass per request.
                    try pipeline.addHTTPClientHandlers(enableOutboundHeaderValidation: false)
                    try pipeline.addHandler(connection)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        return bootstrap.connect(host: endpoint.host, port: endpoint.port).flatMap { channel in
            let id = ObjectIdentifier(channel)
            self.open[id] = channel
            channel.closeFuture.whenComplete { _ in self.forget(connection, id: id) }
            if self.isShutDown { channel.close(promise: nil) }
            return connection.ready.map { connection }
        }
    }

    /// Closes every connection; running exchanges fail. On the event loop.
    func shutdown() {
        isShutDown = true
        sweep?.cancel()
        sweep = nil
        idle = [:]
        idleCount = 0
        for channel in open.values { channel.close(promise: nil) }
    }

    private func forget(_ connection: UpstreamConnection, id: ObjectIdentifier) {
        open[id] = nil
        guard idleCount > 0, var list = idle[connection.endpoint],
              let index = list.firstIndex(where: { $0 === connection }) else { return }
        list.remove(at: index)
        idle[connection.endpoint] = list.isEmpty ? nil : list
        idleCount -= 1
    }

    /// Closes connections idle for longer than the idle timeout; runs
    /// while any connection is idle.
    private func scheduleSweep() {
        sweep = eventLoop.scheduleTask(in: .nanoseconds(max(idleTimeout.nanoseconds / 4, 100_000_000))) { [self] in
            sweep = nil
            let cutoff = NIODeadline.now() - idleTimeout
            for (endpoint, list) in idle {
                let (stale, fresh) = (list.filter { $0.idleSince <= cutoff }, list.filter { $0.idleSince > cutoff })
                guard !stale.isEmpty else { continue }
                idle[endpoint] = fresh.isEmpty ? nil : fresh
                idleCount -= stale.count
                for connection in stale { connection.close() }
            }
            if idleCount > 0 { scheduleSweep() }
        }
    }
}

/// One upstream connection's end of the pipeline: hands response parts to
/// the exchange using it, and holds reads back while that exchange is paused.
package final class UpstreamConnection: ChannelDuplexHandler {
    package typealias InboundIn = HTTPClientResponsePart
    package typealias OutboundIn = HTTPClientRequestPart
    package typealias OutboundOut = HTTPClientRequestPart

    let endpoint: UpstreamEndpoint
    /// Succeeds when a request can be sent (after the TLS handshake for https).
    private(set) var ready: EventLoopFuture<Void>!
    private var readyPromise: EventLoopPromise<Void>?
    private var context: ChannelHandlerContext?
    /// The exchange this connection carries now; nil while idle.
    var exchange: HTTP1Transfer?
    private var readPending = false
    var idleSince = NIODeadline.uptimeNanoseconds(0)

    init(endpoint: UpstreamEndpoint) { self.endpoint = endpoint }

    var isUsable: Bool { context?.channel.isActive ?? false }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let promise = context.eventLoop.makePromise(of: Void.self)
        readyPromise = promise
        ready = promise.futureResult
        if context.channel.isActive && !endpoint.tls { markReady() }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        failReady(ChannelError.ioOnClosedChannel)
        self.context = nil
    }

    package func channelActive(context: ChannelHandlerContext) {
        if !endpoint.tls { markReady() }
        context.fireChannelActive()
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { markReady() }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else {
            // Nothing was asked: a server talking out of turn. Drop the connection.
            return context.close(promise: nil)
        }
        exchange.received(unwrapInboundIn(data))
    }

    package func channelInactive(context: ChannelHandlerContext) {
        failReady(UpstreamConnectionError("the upstream closed the connection"))
        let exchange = self.exchange
        self.exchange = nil
        exchange?.connectionLost(nil)
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: Error) {
        failReady(error)
        let exchange = self.exchange
        self.exchange = nil
        exchange?.connectionLost(error)
        context.close(promise: nil)
    }

    /// Backpressure: no socket read while the exchange is paused.
    package func read(context: ChannelHandlerContext) {
        if let exchange, exchange.isPaused {
            readPending = true
        } else {
            context.read()
        }
    }

    func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    /// Writes a whole request in one flush; `written` hears whether it reached the socket.
    func send(_ head: HTTPRequestHead, body: ByteBuffer?, written: EventLoopPromise<Void>) {
        guard let context else { return written.fail(ChannelError.ioOnClosedChannel) }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    }

    func close() {
        exchange = nil
        context?.close(promise: nil)
    }

    private func markReady() {
        readyPromise?.succeed(())
        readyPromise = nil
    }

    private func failReady(_ error: Error) {
        readyPromise?.fail(error)
        readyPromise = nil
    }
}

/// The TLS client context, made at the first https call (loading the
/// system's trust roots costs time and memory a plain-http gateway never
/// needs) and shared by every loop.
package final class UpstreamTLS: @unchecked Sendable {
    private let trustRootsFile: String?
    private let lock = NIOLockedValueBox<Result<NIOSSLContext, Error>?>(nil)

    /// `trustRootsFile`: a PEM bundle to trust instead of the system's roots.
    init(trustRootsFile: String?) { self.trustRootsFile = trustRootsFile }

    func context() throws -> NIOSSLContext {
        try lock.withLockedValue { cached in
            if let cached { return try cached.get() }
            let made = Result { () throws -> NIOSSLContext in
                var configuration = TLSConfiguration.makeClientConfiguration()
                if let trustRootsFile { configuration.trustRoots = .file(trustRootsFile) }
                configuration.applicationProtocols = ["http/1.1"]
                return try NIOSSLContext(configuration: configuration)
            }
            cached = made
            return try made.get()
        }
    }
}
