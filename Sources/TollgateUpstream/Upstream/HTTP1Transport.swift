import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// Upstream HTTP/1.1 on the gateway's own event loops (SwiftNIO's HTTP/1
/// codec, NIOSSL for https): each loop has its own pool of keep-alive
/// connections, so a call and every chunk of its answer are handled on the
/// thread that serves its client, with no hand-off between threads.
///
/// Per call it costs one pipeline write of the request and one timer; the
/// connect, first-byte and idle timeouts are the call's own (a reload may
/// change them).
///
/// A pooled connection that the provider closed while it sat idle (the
/// close and the new request crossing on the wire) is retried once on a
/// new connection — only when the connection was reused, nothing at all
/// came back on it, and the loss came within `staleRetryWindow` of the
/// send (a provider that worked on the request and then died is not asked
/// twice).
package final class HTTP1Transport: UpstreamTransport, @unchecked Sendable {
    private let pools: [ObjectIdentifier: UpstreamConnectionPool]
    /// Pools for loops outside the group (tests): made on first use.
    private let foreignPools = NIOLockedValueBox<[ObjectIdentifier: UpstreamConnectionPool]>([:])
    private let tls: UpstreamTLS
    private let idleTimeout: TimeAmount
    private let maxIdlePerEndpoint: Int

    /// `SSL_CERT_FILE`, as OpenSSL reads it: a CA bundle to trust instead
    /// of the system's. Read once, for every client the process makes.
    package static let environmentTrustRoots: String? = ProcessInfo.processInfo.environment["SSL_CERT_FILE"]

    /// - Parameters:
    ///   - trustRootsFile: a PEM bundle of CA certificates to trust instead of
    ///     the system's (for providers behind a private CA).
    ///   - idleTimeout: how long an unused keep-alive connection stays open.
    package init(group: EventLoopGroup, trustRootsFile: String? = nil, idleTimeout: TimeAmount = .seconds(60),
                maxIdlePerEndpoint: Int = 1024) {
        tls = UpstreamTLS(trustRootsFile: trustRootsFile)
        self.idleTimeout = idleTimeout
        self.maxIdlePerEndpoint = maxIdlePerEndpoint
        var pools: [ObjectIdentifier: UpstreamConnectionPool] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = UpstreamConnectionPool(eventLoop: loop, idleTimeout: idleTimeout,
                                                                   maxIdlePerEndpoint: maxIdlePerEndpoint, tls: tls)
        }
        self.pools = pools
    }

    private func pool(for eventLoop: EventLoop) -> UpstreamConnectionPool {
        if let pool = pools[ObjectIdentifier(eventLoop)] { return pool }
        return foreignPools.withLockedValue { pools in
            if let pool = pools[ObjectIdentifier(eventLoop)] { return pool }
            let pool = UpstreamConnectionPool(eventLoop: eventLoop, idleTimeout: idleTimeout,
                                              maxIdlePerEndpoint: maxIdlePerEndpoint, tls: tls)
            pools[ObjectIdentifier(eventLoop)] = pool
            return pool
        }
    }

    package func start(_ request: UpstreamRequest, on eventLoop: EventLoop, delegate: UpstreamDelegate) -> UpstreamTransfer {
        let transfer = HTTP1Transfer(request: request, gate: UpstreamDelegateGate(eventLoop: eventLoop, delegate: delegate),
                                     pool: pool(for: eventLoop))
        if eventLoop.inEventLoop {
            transfer.begin()
        } else {
            eventLoop.execute { transfer.begin() }
        }
        return transfer
    }

    /// Closes every connection (running transfers fail) and refuses new
    /// calls. Blocks; never call it on an event loop thread.
    package func shutdown() {
        let all = Array(pools.values) + foreignPools.withLockedValue { Array($0.values) }
        for pool in all {
            try? pool.eventLoop.submit { pool.shutdown() }.wait()
        }
    }
}

/// One exchange. Every member is touched on `gate.eventLoop` only; the
/// public methods hop there when called from elsewhere.
package final class HTTP1Transfer: UpstreamTransfer, @unchecked Sendable {
    let request: UpstreamRequest
    let gate: UpstreamDelegateGate
    private let pool: UpstreamConnectionPool
    private var eventLoop: EventLoop { gate.eventLoop }
    private var endpoint: UpstreamEndpoint!
    private var target = "/"
    private var connection: UpstreamConnection?
    private var clock: UpstreamPhaseClock!
    var isPaused: Bool { clock?.isPaused ?? false }
    private var reused = false
    /// When the request went out on its connection.
    private var sentAt = NIODeadline.now()
    /// How soon after the send a closed kept-alive connection counts as the
    /// stale-close race (about a round trip), not as a provider failure.
    static let staleRetryWindow = TimeAmount.milliseconds(500)
    private var retried = false
    private var answered = false
    private var requestWritten = false
    private var keepAlive = true

    /// Framing and hop-by-hop headers the transport owns.
    private static let transportHeaders: Set<String> = [
        "content-length", "transfer-encoding", "connection", "expect", "keep-alive", "te", "upgrade", "host",
    ]

    init(request: UpstreamRequest, gate: UpstreamDelegateGate, pool: UpstreamConnectionPool) {
        self.request = request
        self.gate = gate
        self.pool = pool
        clock = UpstreamPhaseClock(request: request, eventLoop: gate.eventLoop) { [weak self] failure in self?.fail(failure) }
    }

    func begin() {
        guard !gate.isClosed else { return }
        switch pool.endpoint(for: request.url) {
        case .success(let (endpoint, target)):
            self.endpoint = endpoint
            self.target = target
        case .failure(let why):
            return fail(.connectFailed("the upstream URL \(request.url) is not usable: \(why)"))
        }
        clock.start()
        if let idle = pool.checkout(endpoint) {
            send(on: idle, reused: true)
        } else {
            connect()
        }
    }

    private func connect() {
        clock.enter(.connecting)
        let timeout = TimeAmount.milliseconds(request.connectTimeoutMs > 0 ? request.connectTimeoutMs : 600_000)
        pool.connect(endpoint, timeout: timeout).whenComplete { [self] result in
            switch result {
            case .success(let connection):
                // Cancelled while connecting: the fresh connection serves the next call.
                if gate.isClosed { return pool.checkin(connection) }
                send(on: connection, reused: false)
            case .failure(let error):
                guard !gate.isClosed else { return }
                if let error = error as? ChannelError, case .connectTimeout = error { return fail(.connectTimeout) }
                fail(.connectFailed("\(endpoint.host):\(endpoint.port): \(Self.describe(error))"))
            }
        }
    }

    private func send(on connection: UpstreamConnection, reused: Bool) {
        self.connection = connection
        self.reused = reused
        connection.exchange = self
        clock.enter(.awaitingHead)
        sentAt = .now()

        // Built as a list and handed over whole: HTTPHeaders.add re-checks
        // each name byte by byte, and these were checked where they entered.
        var list: [(String, String)] = [("host", endpoint.authority)]
        list.reserveCapacity(request.headers.count + 2)
        for (name, value) in request.headers where !Self.isTransportHeader(name) {
            list.append((name, value))
        }
        let method = HTTPMethod(rawValue: request.method.uppercased())
        var body: ByteBuffer?
        if method != .GET || !request.body.isEmpty {
            list.append(("content-length", String(request.body.count)))
            if !request.body.isEmpty { body = ByteBuffer(bytes: request.body) }
        }
        let headers = HTTPHeaders(list)
        let written = eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { [self] result in
            switch result {
            case .success: requestWritten = true
            case .failure(let error): if self.connection === connection { connectionLost(error) }
            }
        }
        connection.send(HTTPRequestHead(version: .http1_1, method: method, uri: target, headers: headers),
                        body: body, written: written)
    }

    private static func isTransportHeader(_ name: String) -> Bool {
        // Only a name starting with one of these letters can be one; the rest skip the lowercasing.
        switch name.utf8.first {
        case UInt8(ascii: "c"), UInt8(ascii: "C"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "e"), UInt8(ascii: "E"),
             UInt8(ascii: "k"), UInt8(ascii: "K"), UInt8(ascii: "u"), UInt8(ascii: "U"), UInt8(ascii: "h"), UInt8(ascii: "H"):
            return transportHeaders.contains(name.lowercased())
        default:
            return false
        }
    }

    // MARK: From the connection (on the event loop)

    func received(_ part: HTTPClientResponsePart) {
        answered = true
        switch part {
        case .head(let head):
            // Interim answers (100 Continue...) are not the response.
            if head.status.code < 200 && head.status != .switchingProtocols { return }
            clock.enter(.receiving)
            keepAlive = head.isKeepAlive
            var headers: [(String, String)] = []
            headers.reserveCapacity(head.headers.count)
            for (name, value) in head.headers { headers.append((name, value)) }
            gate.head(status: Int(head.status.code), headers: headers)
        case .body(let bytes):
            clock.touch()
            gate.body(bytes)
        case .end:
            clock.stop()
            let connection = detach()
            if let connection {
                if keepAlive && requestWritten { pool.checkin(connection) } else { connection.close() }
            }
            gate.finish(nil)
        }
    }

    /// The connection closed or failed under this exchange.
    func connectionLost(_ error: Error?) {
        let connection = detach()
        connection?.close()
        guard !gate.isClosed else { return }
        if reused && !answered && !retried && NIODeadline.now() - sentAt < Self.staleRetryWindow {
            // The provider closed a kept-alive connection as the request went out.
            retried = true
            return connect()
        }
        let why = error.map(Self.describe) ?? "connection closed by upstream"
        fail(.transport(answered ? "\(why) (\(request.url))" : "\(why) before it answered (\(request.url))"))
    }

    // MARK: UpstreamTransfer

    package func cancel() {
        guard gate.cancel() else { return }
        onLoop { [self] in
            clock.stop()
            // Mid-response: the rest of the answer is unread, so the connection cannot be reused.
            detach()?.close()
        }
    }

    package func pause() {
        onLoop { [self] in clock.isPaused = true }
    }

    package func resume() {
        onLoop { [self] in
            guard clock.isPaused else { return }
            clock.isPaused = false
            clock.touch()
            connection?.resumeReading()
        }
    }

    private func onLoop(_ body: @escaping () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    /// Lets go of the connection (reading again if it was held back).
    @discardableResult
    private func detach() -> UpstreamConnection? {
        guard let connection else { return nil }
        self.connection = nil
        if connection.exchange === self { connection.exchange = nil }
        connection.resumeReading()
        return connection
    }

    private func fail(_ failure: UpstreamFailure) {
        clock.stop()
        detach()?.close()
        gate.finish(failure)
    }

    private static func describe(_ error: Error) -> String {
        if let error = error as? IOError { return error.description }
        return String(describing: error)
    }
}
