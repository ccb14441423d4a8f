import Foundation
import NIOCore
import NIOHTTP1
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateSQLite
import TollgateUpstream
import TollgateMockProvider

/// One API call through the gateway, from the received request to the
/// post-call hooks. Lives on its connection's event loop; every method is
/// called there. What happens next is decided by `machine` (no I/O, unit
/// tested); this class carries its actions out: authentication, the hook
/// chains, the upstream transfer and the writes.
package final class ProxyCall {
    let gateway: Gateway
    let dialect: APIDialect
    let head: HTTPRequestHead
    let body: [UInt8]
    let writer: ResponseWriter
    let eventLoop: EventLoop
    let receivedNanos = MonotonicClock.nanos()
    let receivedWallMicros = MonotonicClock.wallMicros()

    var machine = CallStateMachine()
    var requestID = ""
    var generation: Generation?
    var chain: HookChain?
    var call: CallContext?
    var entry: ModelEntry?
    var transfer: UpstreamTransfer?
    /// Planned upstream calls: the model's deployments in health order,
    /// then the fallback models', at most `retries.max_attempts`.
    var attempts: [(ModelEntry, Deployment)] = []
    var upstreamStartNanos: UInt64 = 0
    var upstreamNanos: UInt64 = 0

    var upstreamContentType = "application/json"
    var splitter = SSESplitter()
    /// A non-stream answer, whole (as the chunk hooks left it, once they ran).
    var buffered: [UInt8] = []
    var tracker: UsageTracker
    var template = StreamTemplate()
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
    package func start() {
        gateway.inFlight.enter()
        let generation = gateway.generations.pin()
        self.generation = generation
        requestID = RequestID.make()

        let identity: Identity
        switch Authenticator.caller(head.headers, keys: generation.keys, now: receivedWallMicros / 1_000_000,
                                    runtime: gateway.services.governance) {
        case .success(let id): identity = id
        case .failure(let error): return carryOut(machine.refusedBeforeCall(error))
        }

        if let error = JSONContentType.check(head.headers) {
            return carryOut(machine.refusedBeforeCall(error))
        }
        // A store that cannot commit (disk full, file locked): no new call
        // until it can, rather than calls nobody could record.
        if let failure = GroupCommitWriter.failure {
            return carryOut(machine.refusedBeforeCall(GatewayError(
                status: 503, type: "api_error", code: "storage_unavailable",
                message: "The gateway cannot record calls right now (\(failure)); try again shortly.")))
        }
        let request: CanonicalRequest
        do {
            request = try CanonicalRequest(dialect: dialect, body: body)
        } catch let error as GatewayError {
            return carryOut(machine.refusedBeforeCall(error))
        } catch {
            return carryOut(machine.refusedBeforeCall(.invalidRequest("The request could not be read.")))
        }

        let call = CallContext(requestID: requestID, route: dialect.route, identity: identity, request: request,
                               catalog: generation.catalog, requestHeaders: Self.visibleHeaders(head.headers),
                               receivedAtMicros: receivedWallMicros, pluginCount: generation.plugins.count)
        call.governance = gateway.services.governance
        self.call = call
        let chain = HookChain(generation: generation, timers: gateway.hookTimers)
        self.chain = chain

        switch chain.runPreCall(call) {
        case .proceed:
            break
        case .reject(let error, let decidedBy):
            return carryOut(machine.rejected(error, decidedBy: decidedBy))
        case .respond(let status, let contentType, let responseBody, let decidedBy):
            return carryOut(machine.responded(status: status, contentType: contentType, body: responseBody, decidedBy: decidedBy))
        }

        // The scope check runs after the chain, so no plugin can route a
        // key beyond what it may use — fallbacks included.
        var entries: [ModelEntry] = []
        for model in [request.model] + call.fallbackModels where !entries.contains(where: { $0.name == model }) {
            if let error = scopeError(model: model, identity: identity, call: call) {
                return carryOut(machine.rejected(error, decidedBy: "core"))
            }
            entries.append(generation.catalog.model(named: model)!)
        }
        attempts = Array(entries.enumerated().flatMap { index, entry in
            gateway.health.order(entry, pinned: index == 0 ? call.pinnedDeployment : nil).map { (entry, $0) }
        }.prefix(max(1, generation.config.server.retries.maxAttempts)))
        carryOut(machine.admitted(attempts: attempts.count))
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
        if let served = entry.provider.dialect, served != dialect {
            return .invalidRequest("Model '\(model)' is served over the \(served.rawValue) API; call \(served.route) for it.")
        }
        return nil
    }

    // MARK: carrying out the machine's actions

    func carryOut(_ action: CallStateMachine.Action) {
        switch action {
        case .none:
            return
        case .startAttempt(let index):
            startAttempt(index)
        case .retry(let failed, let next):
            recordAttempt(failed, failed: true)
            let (entry, deployment) = attempts[failed]
            gateway.logger.debug("upstream attempt failed; trying the next", metadata: [
                "request_id": .string(requestID), "model": .string(entry.name), "deployment": .string(deployment.name),
            ])
            transfer?.cancel()
            transfer = nil
            startAttempt(next)
        case .end(let ending):
            end(ending)
        }
    }

    /// Starts planned attempt `index` (model and deployment).
    private func startAttempt(_ index: Int) {
        guard let call else { return }
        let (entry, deployment) = attempts[index]
        let target: UpstreamTarget
        do {
            target = try UpstreamTarget.make(entry: entry, deployment: deployment, dialect: dialect, request: call.request,
                                             clientHeaders: head.headers, timeouts: gateway.timeouts(for: generation!))
        } catch let error as GatewayError {
            return carryOut(machine.attemptCouldNotStart(error))
        } catch {
            return carryOut(machine.attemptCouldNotStart(.internalError("Could not prepare the upstream request.")))
        }
        self.entry = entry
        call.modelServed = entry.name
        call.deployment = deployment.name
        call.upstreamAttempts += 1
        buffered.removeAll(keepingCapacity: true)
        if upstreamStartNanos == 0 { upstreamStartNanos = MonotonicClock.nanos() }
        let transport = gateway.transports.transport(for: entry, deployment: deployment)
        transfer = transport.start(target.request, on: eventLoop, delegate: self)
        if machine.paused { transfer?.pause() }
    }

    /// Attempt `index`'s result, for metrics and deployment health.
    func recordAttempt(_ index: Int, failed: Bool) {
        let (entry, deployment) = attempts[index]
        gateway.recorder.attempt(model: entry.name, deployment: deployment.name, failed: failed)
    }

    // MARK: the client side

    package func clientDisconnected() {
        if gateway.isCuttingInFlightCalls { return carryOut(machine.cutByShutdown(connectionOpen: false)) }
        carryOut(machine.clientGone())
    }

    package func writabilityChanged(isWritable: Bool) {
        guard machine.writabilityChanged(isWritable: isWritable) else { return }
        if isWritable { transfer?.resume() } else { transfer?.pause() }
    }

    // MARK: the one ending

    /// Every call ends here, once: the transfer is stopped; if plugins
    /// entered the call, the outcome and usage are filled in and post_call
    /// runs; then, once every write the plugins asked to be durable is
    /// committed, the final bytes go out and the call completes.
    private func end(_ ending: CallStateMachine.Ending) {
        transfer?.cancel()
        transfer = nil
        markUpstreamDone()
        if let failed = ending.failedAttempt { recordAttempt(failed, failed: true) }
        guard ending.entered, let call, let chain else {
            // Refused before any plugin entered (bad key, bad body).
            if case .error(let error) = ending.response {
                writer.sendError(error, dialect: dialect, extraHeaders: [("x-request-id", requestID)])
            }
            return complete(status: ending.status)
        }
        call.outcome = ending.outcome.rawValue
        call.decidedBy = ending.decidedBy
        call.outcomeDetail = ending.detail
        call.status = ending.status
        call.firstByteSent = machine.headCommitted
        settleUsage(ending.usage)
        call.upstreamMicros = Int64(upstreamNanos / 1000)
        call.latencyMicros = Int64((MonotonicClock.nanos() - receivedNanos) / 1000)
        chain.runPostCall(call)
        if case .nothing = ending.response { return complete(status: ending.status) }
        afterDurable { [self] in
            write(ending)
            complete(status: ending.status)
        }
    }

    /// The final bytes of an ending.
    private func write(_ ending: CallStateMachine.Ending) {
        switch ending.response {
        case .error(let error):
            var headers = error.responseHeaders
            headers.append(contentsOf: responseHeaders(contentType: nil))
            headers.append(contentsOf: error.headers)
            writer.send(status: error.status, headers: headers, body: error.body(for: dialect))
        case .respond(let status, let contentType, let body):
            writer.send(status: status, headers: responseHeaders(contentType: contentType), body: body)
        case .upstreamBody(let status):
            var headers = responseHeaders(contentType: upstreamContentType)
            // Upstream errors go back as they came, with their retry hint.
            if ending.outcome == .upstreamError, let retryAfter = call?.upstreamHeaders["retry-after"] {
                headers.append(("retry-after", retryAfter))
            }
            writer.send(status: status, headers: headers, body: buffered)
        case .endStream:
            writer.end()
        case .streamError(let error):
            writer.write(error.sseEvent(for: dialect))
            writer.end()
        case .nothing:
            break
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

    func markUpstreamDone() {
        if upstreamStartNanos != 0 && upstreamNanos == 0 {
            upstreamNanos = MonotonicClock.nanos() - upstreamStartNanos
        }
    }

    /// Releases the generation and records the request. Once per call.
    private func complete(status: Int) {
        let total = MonotonicClock.nanos() - receivedNanos
        gateway.recorder.request(route: dialect.route, status: status, model: call.map { $0.modelServed ?? $0.request.model } ?? "",
                                 totalNanos: total, upstreamNanos: upstreamNanos)
        generation?.unpin()
        generation = nil
        gateway.inFlight.leave()
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

/// A countdown touched only on one event loop.
package final class PendingCount: @unchecked Sendable {
    var value: Int
    init(_ value: Int) { self.value = value }
}
