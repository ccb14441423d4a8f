import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Upstream HTTP on the gateway's own event loops (AsyncHTTPClient over
/// SwiftNIO): a call's upstream connection lives on the event loop that
/// serves its client, so a request and every chunk of its answer are handled
/// on one thread, with no hand-off between threads. Connections are pooled
/// per provider host and kept alive; TLS providers get HTTP/2 where they
/// offer it (ALPN).
///
/// The transport's own timers enforce the config's connect, first-byte and
/// idle timeouts per call (AsyncHTTPClient's are client-wide; a reload may
/// change ours).
public final class HTTPClientTransport: UpstreamTransport, @unchecked Sendable {
    /// One client per event loop, each with that loop as its whole group:
    /// every pooled connection of a client lives on its loop, so a call
    /// never leaves the thread it arrived on, and idle connections stay
    /// pooled (a client shared by all loops, asked to keep a call on one
    /// loop, opens a one-off connection for it and closes it after).
    private let clients: [ObjectIdentifier: HTTPClient]
    private let fallback: HTTPClient

    public init(group: EventLoopGroup) {
        var configuration = HTTPClient.Configuration()
        // Upper bounds only: each transfer arms its own, shorter timers.
        configuration.timeout = .init(connect: .minutes(10), read: nil)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 4096)
        // A refused connection fails the call at once, so the gateway can
        // move to a fallback instead of waiting out the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        // No distributed tracing: without this every call starts a (no-op)
        // span and formats its attributes (~3% of the gateway's CPU).
        configuration.tracing.tracer = nil
        var clients: [ObjectIdentifier: HTTPClient] = [:]
        for loop in group.makeIterator() {
            clients[ObjectIdentifier(loop)] = HTTPClient(eventLoopGroup: loop, configuration: configuration)
        }
        // For a loop outside the group (tests): results hop to the caller's loop.
        fallback = clients.values.first ?? HTTPClient(eventLoopGroup: group, configuration: configuration)
        self.clients = clients
    }

    public func start(_ request: UpstreamRequest, on eventLoop: EventLoop, delegate: UpstreamDelegate) -> UpstreamTransfer {
        let transfer = HTTPClientTransfer(request: request, gate: UpstreamDelegateGate(eventLoop: eventLoop, delegate: delegate))
        let client = clients[ObjectIdentifier(eventLoop)] ?? fallback
        if eventLoop.inEventLoop {
            transfer.begin(client: client)
        } else {
            eventLoop.execute { transfer.begin(client: client) }
        }
        return transfer
    }

    /// Fails every running transfer and closes the pooled connections.
    /// Blocks; never call it on an event loop thread.
    public func shutdown() {
        for client in clients.isEmpty ? [fallback] : Array(clients.values) {
            try? client.syncShutdown()
        }
    }
}

/// One exchange. Every member is touched on `gate.eventLoop` only; the
/// public methods hop there when called from elsewhere.
final class HTTPClientTransfer: UpstreamTransfer, HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Void

    private enum Phase { case connecting, awaitingHead, receiving }

    let request: UpstreamRequest
    let gate: UpstreamDelegateGate
    private var eventLoop: EventLoop { gate.eventLoop }
    private var task: HTTPClient.Task<Void>?
    private var phase = Phase.connecting
    private var timer: Scheduled<Void>?
    /// When the running timeout started counting (reset by each body read).
    private var lastActivity = NIODeadline.now()
    private var paused = false
    private var resumePromise: EventLoopPromise<Void>?

    /// Hop-by-hop and framing headers the client library owns.
    private static let framingHeaders: Set<String> = [
        "content-length", "transfer-encoding", "connection", "expect", "keep-alive", "te", "upgrade", "host",
    ]

    init(request: UpstreamRequest, gate: UpstreamDelegateGate) {
        self.request = request
        self.gate = gate
    }

    func begin(client: HTTPClient) {
        guard !gate.isClosed else { return }
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count)
        for (name, value) in request.headers where !Self.framingHeaders.contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        let outgoing: HTTPClient.Request
        do {
            let method = HTTPMethod(rawValue: request.method.uppercased())
            outgoing = try HTTPClient.Request(url: request.url, method: method, headers: headers,
                                              body: method == .GET ? nil : .bytes(request.body))
        } catch {
            return fail(.connectFailed("the upstream URL \(request.url) is not usable: \(error)"))
        }
        armTimer()
        task = client.execute(request: outgoing, delegate: self, eventLoop: .delegate(on: eventLoop), logger: nil)
    }

    // MARK: UpstreamTransfer

    func cancel() {
        guard gate.cancel() else { return }
        onLoop { [self] in
            stopTimer()
            task?.cancel()
            task = nil
            releaseReader()
        }
    }

    func pause() {
        onLoop { [self] in paused = true }
    }

    func resume() {
        onLoop { [self] in
            guard paused else { return }
            paused = false
            lastActivity = .now()
            releaseReader()
        }
    }

    private func onLoop(_ body: @escaping () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    // MARK: HTTPClientResponseDelegate (on the event loop)

    func didSendRequest(task: HTTPClient.Task<Void>) {
        guard phase == .connecting else { return }
        phase = .awaitingHead
        lastActivity = .now()
    }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        phase = .receiving
        lastActivity = .now()
        var headers: [(String, String)] = []
        headers.reserveCapacity(head.headers.count)
        for (name, value) in head.headers { headers.append((name, value)) }
        gate.head(status: Int(head.status.code), headers: headers)
        return readMore()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        lastActivity = .now()
        gate.body(buffer)
        return readMore()
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: Error) {
        fail(failure(for: error))
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        stopTimer()
        self.task = nil
        gate.finish(nil)
    }

    /// Backpressure: while paused the library reads nothing more.
    private func readMore() -> EventLoopFuture<Void> {
        guard paused, !gate.isClosed else { return eventLoop.makeSucceededVoidFuture() }
        let promise = resumePromise ?? eventLoop.makePromise()
        resumePromise = promise
        return promise.futureResult
    }

    private func fail(_ failure: UpstreamFailure) {
        stopTimer()
        // Close the gate first: the cancellation below reports an error of
        // its own, which must not reach the delegate.
        let closing = gate.isClosed ? nil : task
        task = nil
        gate.finish(failure)
        closing?.cancel()
        releaseReader()
    }

    /// Lets the client library read again (it waits on this while paused).
    private func releaseReader() {
        resumePromise?.succeed(())
        resumePromise = nil
    }

    private func failure(for error: Error) -> UpstreamFailure {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return .connectTimeout
            case .remoteConnectionClosed:
                return phase == .connecting ? .connectFailed("connection closed by upstream") : .transport("connection closed by upstream")
            default: break
            }
        }
        let detail = "\(error) (\(request.url))"
        return phase == .connecting ? .connectFailed(detail) : .transport(detail)
    }

    // MARK: Timeouts

    /// The limit of the current phase, and what passing it means.
    private var currentLimit: (TimeAmount, UpstreamFailure)? {
        switch phase {
        case .connecting:
            return request.connectTimeoutMs > 0 ? (.milliseconds(request.connectTimeoutMs), .connectTimeout) : nil
        case .awaitingHead:
            return request.firstByteTimeoutMs > 0 ? (.milliseconds(request.firstByteTimeoutMs), .firstByteTimeout) : nil
        case .receiving:
            return request.idleTimeoutMs > 0 ? (.milliseconds(request.idleTimeoutMs), .idleTimeout) : nil
        }
    }

    /// One timer per transfer, re-armed lazily: reads only move
    /// `lastActivity`, and the timer, when it fires early, sleeps again
    /// for what is left.
    private func armTimer() {
        var first = Int64.max
        for limit in [request.connectTimeoutMs, request.firstByteTimeoutMs, request.idleTimeoutMs] where limit > 0 {
            first = min(first, limit)
        }
        guard first < .max else { return }
        lastActivity = .now()
        timer = eventLoop.scheduleTask(in: .milliseconds(first)) { [self] in timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard !gate.isClosed else { return }
        let now = NIODeadline.now()
        guard let (limit, failure) = currentLimit else {
            // No limit in this phase: look again in a second, in case the phase moves on.
            timer = eventLoop.scheduleTask(in: .seconds(1)) { [self] in timerFired() }
            return
        }
        if paused && phase == .receiving {
            // Not counted while the client is the slow side.
            timer = eventLoop.scheduleTask(in: limit) { [self] in timerFired() }
            return
        }
        let due = lastActivity + limit
        if due <= now { return fail(failure) }
        timer = eventLoop.scheduleTask(deadline: due) { [self] in timerFired() }
    }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
    }
}
