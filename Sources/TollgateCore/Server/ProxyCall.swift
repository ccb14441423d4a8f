import Foundation
import NIOCore
import NIOHTTP1
import TollgateJSON

/// One API call through the gateway, from the received request to the
/// post-call hooks. Lives on its connection's event loop; every method is
/// called there.
final class ProxyCall {
    let gateway: Gateway
    let dialect: APIDialect
    let head: HTTPRequestHead
    let body: [UInt8]
    let writer: ResponseWriter
    let eventLoop: EventLoop
    let receivedNanos = MonotonicClock.nanos()
    let receivedWallMicros = MonotonicClock.wallMicros()

    var generation: Generation?
    var chain: HookChain?
    var call: CallContext?
    var entry: ModelEntry?
    var transfer: UpstreamTransfer?
    /// Planned upstream calls: the model's deployments in health order,
    /// then the fallback models', at most `retries.max_attempts`.
    var attempts: [(ModelEntry, Deployment)] = []
    var attemptIndex = 0
    var upstreamStartNanos: UInt64 = 0
    var upstreamNanos: UInt64 = 0

    enum ResponseMode { case none, stream, buffered, passthrough }
    var mode = ResponseMode.none
    var upstreamStatus = 0
    var upstreamContentType = "application/json"
    var splitter = SSESplitter()
    var buffered: [UInt8] = []
    var tracker: UsageTracker
    var template = StreamTemplate()
    var finished = false
    var paused = false
    var flushScheduled = false

    init(gateway: Gateway, dialect: APIDialect, head: HTTPRequestHead, body: [UInt8], writer: ResponseWriter, eventLoop: EventLoop) {
        self.gateway = gateway
        self.dialect = dialect
        self.head = head
        self.body = body
        self.writer = writer
        self.eventLoop = eventLoop
        self.tracker = UsageTracker(dialect: dialect)
    }

    /// Authentication, the request view, the pre-call chain, the scope
    /// check, then the upstream.
    func start() {
        gateway.inFlight(+1)
        let generation = gateway.generations.pin()
        self.generation = generation
        let requestID = RequestID.make()

        let identity: Identity
        switch generation.keys.authenticate(presentedKey: Self.presentedKey(head.headers), now: receivedWallMicros / 1_000_000) {
        case .authenticated(let id):
            identity = id
        case .missing:
            return failBeforeCall(.authentication("Missing API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
                                                  code: "missing_api_key"), requestID: requestID)
        case .unknown:
            return failBeforeCall(.authentication("Invalid API key."), requestID: requestID)
        case .expired(let id):
            let when = id.expiresAt.map { UTCCalendar.iso8601($0) } ?? "an earlier date"
            return failBeforeCall(.authentication("This API key (\(id.keyId)) expired at \(when).", code: "expired_api_key"),
                                  requestID: requestID)
        }

        if let error = JSONContentType.check(head.headers) {
            return failBeforeCall(error, requestID: requestID)
        }
        let request: CanonicalRequest
        do {
            request = try CanonicalRequest(dialect: dialect, body: body)
        } catch let error as GatewayError {
            return failBeforeCall(error, requestID: requestID)
        } catch {
            return failBeforeCall(.invalidRequest("The request could not be read."), requestID: requestID)
        }

        let call = CallContext(requestID: requestID, route: dialect.route, identity: identity, request: request,
                               catalog: generation.catalog, requestHeaders: Self.visibleHeaders(head.headers),
                               receivedAtMicros: receivedWallMicros, pluginCount: generation.plugins.count)
        self.call = call
        let chain = HookChain(generation: generation, timers: gateway.hookTimers)
        self.chain = chain

        switch chain.runPreCall(call) {
        case .proceed:
            break
        case .reject(let error, let decidedBy):
            return finishWithError(error, outcome: "rejected", decidedBy: decidedBy)
        case .respond(let status, let contentType, let responseBody, let decidedBy):
            call.outcome = "responded"
            call.decidedBy = decidedBy
            call.status = status
            call.firstByteSent = true
            runPostCall()
            return afterDurable { [self] in
                writer.send(status: status, headers: responseHeaders(contentType: contentType), body: responseBody)
                complete()
            }
        }

        // The scope check runs after the chain, so no plugin can route a
        // key beyond what it may use — fallbacks included.
        var entries: [ModelEntry] = []
        for model in [request.model] + call.fallbackModels where !entries.contains(where: { $0.name == model }) {
            if let error = scopeError(model: model, identity: identity, call: call) {
                return finishWithError(error, outcome: "rejected", decidedBy: "core")
            }
            entries.append(generation.catalog.model(named: model)!)
        }
        attempts = Array(entries.enumerated().flatMap { index, entry in
            gateway.health.order(entry, pinned: index == 0 ? call.pinnedDeployment : nil).map { (entry, $0) }
        }.prefix(generation.config.server.retries.maxAttempts))
        startAttempt(call: call)
    }

    /// Why `model` may not be called for this key, if it may not.
    private func scopeError(model: String, identity: Identity, call: CallContext) -> GatewayError? {
        guard let entry = generation?.catalog.model(named: model) else {
            return .notFound("The model '\(model)' does not exist or you do not have access to it.", code: "model_not_found")
        }
        guard identity.allows(model: model) else {
            let requested = call.modelRequested == model ? "" : " (requested as '\(call.modelRequested)')"
            return .permission("Key '\(identity.keyId)' may not use model '\(model)'\(requested).")
        }
        guard entry.provider == .mock || entry.provider.rawValue == dialect.rawValue else {
            return .invalidRequest("Model '\(model)' is served over the \(entry.provider.rawValue) API; call \(entry.provider == .openai ? APIDialect.openai.route : APIDialect.anthropic.route) for it.")
        }
        return nil
    }

    /// Starts the next planned attempt (model and deployment).
    func startAttempt(call: CallContext) {
        let (entry, deployment) = attempts[attemptIndex]
        let target: UpstreamTarget
        do {
            target = try UpstreamTarget.make(entry: entry, deployment: deployment, dialect: dialect, request: call.request,
                                             clientHeaders: head.headers, timeouts: gateway.timeouts(for: generation!))
        } catch let error as GatewayError {
            return finishWithError(error, outcome: "upstream_failure", decidedBy: nil)
        } catch {
            return finishWithError(.internalError("Could not prepare the upstream request."), outcome: "upstream_failure", decidedBy: nil)
        }
        self.entry = entry
        call.modelServed = entry.name
        call.deployment = deployment.name
        call.upstreamAttempts += 1
        mode = .none
        upstreamStatus = 0
        buffered.removeAll(keepingCapacity: true)
        if upstreamStartNanos == 0 { upstreamStartNanos = MonotonicClock.nanos() }
        let transport = gateway.transport(for: entry)
        transfer = transport.start(target.request, on: eventLoop, delegate: self)
        if paused { transfer?.pause() }
    }

    /// After a failure before the first byte: records it and moves to the
    /// next attempt if there is one. False when none is left.
    func retryAfterFailure(reason: String) -> Bool {
        guard let call else { return false }
        let (entry, deployment) = attempts[attemptIndex]
        gateway.recordAttempt(model: entry.name, deployment: deployment.name, failed: true)
        guard !writer.headSent, attemptIndex + 1 < attempts.count else { return false }
        gateway.logger.debug("upstream attempt failed; trying the next", metadata: [
            "request_id": .string(call.requestID), "model": .string(entry.name), "deployment": .string(deployment.name),
            "reason": .string(reason),
        ])
        transfer?.cancel()
        transfer = nil
        attemptIndex += 1
        startAttempt(call: call)
        return true
    }

    // MARK: the client side

    func clientDisconnected() {
        guard !finished else { return }
        transfer?.cancel()
        transfer = nil
        guard let call else {
            finished = true
            return complete()
        }
        markUpstreamDone()
        call.outcome = "client_disconnect"
        call.outcomeDetail = "the client closed the connection before the response ended"
        // What the client was sent (200 for a stream it hung up on), or 0
        // when it had been sent no status line.
        call.status = writer.sentStatus
        settleUsage(partial: true)
        runPostCall()
        complete()
    }

    func writabilityChanged(isWritable: Bool) {
        paused = !isWritable
        if isWritable { transfer?.resume() } else { transfer?.pause() }
    }

    // MARK: endings

    /// An error before any plugin could enter (bad key, bad body).
    private func failBeforeCall(_ error: GatewayError, requestID: String) {
        finished = true
        writer.sendError(error, dialect: dialect, extraHeaders: [("x-request-id", requestID)])
        gateway.recordRequest(route: dialect.route, status: error.status, model: "", totalNanos: MonotonicClock.nanos() - receivedNanos,
                              upstreamNanos: 0)
        complete()
    }

    /// A reject (by a plugin, the core, or an upstream failure before the
    /// first byte): post_call, then the error response.
    func finishWithError(_ error: GatewayError, outcome: String, decidedBy: String?) {
        guard let call else { return failBeforeCall(error, requestID: RequestID.make()) }
        call.outcome = outcome
        call.decidedBy = decidedBy
        call.outcomeDetail = error.message
        call.status = error.status
        call.firstByteSent = true
        runPostCall()
        var headers = error.responseHeaders
        headers.append(contentsOf: responseHeaders(contentType: nil))
        headers.append(contentsOf: error.headers)
        afterDurable { [self] in
            writer.send(status: error.status, headers: headers, body: error.body(for: dialect))
            complete()
        }
    }

    /// Runs `finish` (the last bytes of the response) once every write the
    /// plugins asked to be durable is committed, so a client never sees a
    /// completed response whose accounting a crash could still lose.
    func afterDurable(_ finish: @escaping () -> Void) {
        guard let call, !call.durabilityWaits.isEmpty else { return finish() }
        let remaining = PendingCount(call.durabilityWaits.count)
        let loop = eventLoop
        for wait in call.durabilityWaits {
            wait.writer.notifyWhenCommitted(wait.ticket) {
                loop.execute {
                    remaining.value -= 1
                    if remaining.value == 0 { finish() }
                }
            }
        }
    }

    /// Runs post_call once, with latency and usage filled in.
    func runPostCall() {
        guard let call, let chain, !finished else { return }
        finished = true
        markUpstreamDone()
        call.upstreamMicros = Int64(upstreamNanos / 1000)
        call.latencyMicros = Int64((MonotonicClock.nanos() - receivedNanos) / 1000)
        if call.usage == nil { call.usage = .zero }
        chain.runPostCall(call)
    }

    func markUpstreamDone() {
        if upstreamStartNanos != 0 && upstreamNanos == 0 {
            upstreamNanos = MonotonicClock.nanos() - upstreamStartNanos
        }
    }

    /// Releases the generation and records the request. Once per call.
    func complete() {
        let total = MonotonicClock.nanos() - receivedNanos
        if let call {
            gateway.recordRequest(route: dialect.route, status: call.status, model: call.modelServed ?? call.request.model,
                                  totalNanos: total, upstreamNanos: upstreamNanos)
        }
        generation?.unpin()
        generation = nil
        gateway.inFlight(-1)
    }

    /// The headers every response of an entered call carries.
    func responseHeaders(contentType: String?) -> [(String, String)] {
        var headers: [(String, String)] = []
        if let contentType { headers.append(("content-type", contentType)) }
        guard let call else { return headers }
        headers.append(("x-request-id", call.requestID))
        if let served = call.modelServed { headers.append(("x-tollgate-model", served)) }
        if let deployment = call.deployment, deployment != call.modelServed { headers.append(("x-tollgate-deployment", deployment)) }
        for entry in call.responseHeaders.entries { headers.append((entry.name, entry.value)) }
        return headers
    }

    // MARK: helpers

    /// The key from `authorization: Bearer KEY` (the scheme in any case),
    /// else from `x-api-key`; spaces and tabs around it are not part of it.
    /// Byte by byte: splitting by Character cost more than the rest of
    /// authentication.
    static func presentedKey(_ headers: HTTPHeaders) -> String? {
        if let authorization = headers.first(name: "authorization"), let token = bearerToken(authorization) {
            return token
        }
        if let key = headers.first(name: "x-api-key") { return key.trimmingSpaces() }
        return nil
    }

    /// What follows "Bearer " in an authorization value; nil for another
    /// scheme or an empty token.
    static func bearerToken(_ value: String) -> String? {
        let utf8 = value.utf8
        var i = utf8.startIndex
        while i != utf8.endIndex, utf8[i] == 0x20 || utf8[i] == 0x09 { i = utf8.index(after: i) }
        for expected in "bearer".utf8 {
            guard i != utf8.endIndex, utf8[i] | 0x20 == expected else { return nil }
            i = utf8.index(after: i)
        }
        guard i != utf8.endIndex, utf8[i] == 0x20 || utf8[i] == 0x09 else { return nil }
        let token = String(value[i...]).trimmingSpaces()
        return token.isEmpty ? nil : token
    }

    /// Request headers plugins may see: never the credentials.
    static func visibleHeaders(_ headers: HTTPHeaders) -> HeaderList {
        var list = HeaderList(caseInsensitive: true)
        for (name, value) in headers {
            let lower = HeaderList.lowercasedName(name)
            if lower == "authorization" || lower == "x-api-key" { continue }
            list.set(lower, value)
        }
        return list
    }
}

extension String {
    /// Without the spaces and tabs at either end (by byte, not Character).
    func trimmingSpaces() -> String {
        let utf8 = self.utf8
        var start = utf8.startIndex, end = utf8.endIndex
        while start != end, utf8[start] == 0x20 || utf8[start] == 0x09 { start = utf8.index(after: start) }
        while start != end {
            let last = utf8.index(before: end)
            guard utf8[last] == 0x20 || utf8[last] == 0x09 else { break }
            end = last
        }
        return start == utf8.startIndex && end == utf8.endIndex ? self : String(self[start..<end])
    }
}

/// A countdown touched only on one event loop.
final class PendingCount: @unchecked Sendable {
    var value: Int
    init(_ value: Int) { self.value = value }
}
