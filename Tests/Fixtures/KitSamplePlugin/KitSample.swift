import TollgatePluginKit

/// A small plugin built with TollgatePluginKit, driven by the kit's tests.
/// Request headers steer it (x-sample-reject, x-sample-respond,
/// x-sample-throw, x-sample-alert); config sets model routes, a max-token
/// cap and words to redact. On a 1.4 host it serves two admin routes
/// (KitSample+Route.swift).
public final class KitSample: TollgatePlugin, PreCallHook, ChunkHook, PostCallHook, ShutdownHook {
    public static let info = PluginInfo(name: "kit-sample", version: "1.2.3", failClosed: true)

    let host: PluginHost
    let routes: [(from: String, to: String)]
    let maxTokensCap: Int64?
    let redactWords: [String]
    let postCalls: Metric
    /// Resolved once: hooks record on it without label strings.
    let preCalls: MetricSeries
    /// pre_call runs so far, for the admin route.
    let preCallCount = Locked(0)

    public required init(host: PluginHost, config: JSONValue) throws {
        guard config.isNull || config.objectValue != nil else {
            throw PluginError("kit-sample: config must be an object, got \(config.jsonString)")
        }
        var routes: [(from: String, to: String)] = []
        for entry in config["routes"]?.objectValue?.entries ?? [] {
            guard let to = entry.value.stringValue else {
                throw PluginError("kit-sample: routes.\(entry.key) must be a model name string")
            }
            routes.append((entry.key, to))
        }
        if let cap = config["max_tokens_cap"] {
            guard let value = cap.int64Value, value > 0 else {
                throw PluginError("kit-sample: max_tokens_cap must be a positive integer, got \(cap.jsonString)")
            }
            maxTokensCap = value
        } else {
            maxTokensCap = nil
        }
        self.host = host
        self.routes = routes
        redactWords = (config["redact"]?.arrayValue ?? []).compactMap(\.stringValue)
        postCalls = try host.defineCounter(name: "kit_sample_post_calls_total", help: "post_call runs by outcome",
                                           labels: ["outcome"])
        preCalls = try host.defineCounter(name: "kit_sample_pre_calls_total", help: "pre_call runs").series()
        if host.servesRoutes {
            try host.declareRoute("GET", "/admin/kit-sample")
            try host.declareRoute("POST", "/admin/kit-sample/echo")
        }
        host.log(.info, "kit-sample created with \(routes.count) routes")
    }

    public func preCall(_ call: Call) throws -> PreCallVerdict {
        preCalls.record(1)
        preCallCount.withLock { $0 += 1 }
        if call.requestHeader("x-sample-respond") != nil {
            return call.respond(status: 200, body: #"{"answer":"canned"}"#)
        }
        if call.requestHeader("x-sample-reject") != nil {
            call.setResponseHeader("retry-after", "7")
            return call.reject(status: 429, type: "rate_limit_error", code: "sample_limit", message: "kit-sample says no")
        }
        if call.requestHeader("x-sample-throw") != nil {
            throw PluginError("asked to throw")
        }
        if let model = call.model, let route = routes.first(where: { $0.from == model }) {
            call.setModel(route.to)
        }
        if let cap = maxTokensCap, (call.maxOutputTokens ?? Int64.max) > cap {
            call.setMaxOutputTokens(cap)
        }
        for segment in call.promptSegments {
            var text = segment.text
            for word in redactWords { text = text.replacing(word, with: "[REDACTED]") }
            if text != segment.text { call.setPromptSegment(at: segment.index, text: text) }
        }
        call.setAttribute("team", call.team ?? "unknown")
        if let feature = call.requestHeader("x-feature") { call.setAttribute("feature", feature) }
        call.setResponseHeader("x-kit-sample", "seen")
        call.state = RequestState(reservedNanos: ReservationEstimate.costNanos(call: call, host: host))
        return .continue
    }

    public func onChunk(_ call: Call) throws -> ChunkVerdict {
        guard let state = call.state(as: RequestState.self) else {
            throw PluginError("no request state in onChunk")
        }
        state.chunks += 1
        let text = call.chunkText ?? ""
        if text.contains("STOP") { return call.abort(type: "content_filter", code: "stopped", message: "kit-sample stopped the stream") }
        if text.contains("DROP") { return .drop }
        if text.contains("foo") { return call.replaceChunkText(text.replacing("foo", with: "bar")) }
        return .continue
    }

    public func postCall(_ call: Call) throws {
        let state = call.state(as: RequestState.self)
        postCalls.record(1, labels: [call.outcome ?? "unknown"])
        host.log(.info, "post: reserved=\(state?.reservedNanos.map(String.init) ?? "none") "
            + "cost=\(call.costNanos ?? -1) chunks=\(state?.chunks ?? -1)", call: call)
        if call.requestHeader("x-sample-alert") != nil {
            host.raiseAlert(Alert(severity: .warning, kind: "sample_alert", subject: "team/\(call.team ?? "?")",
                                  message: "kit-sample saw a call", dedupeKey: "sample:\(call.requestID ?? "?")",
                                  details: .object(JSONObject([("cost_nanos", .int(call.costNanos ?? 0))]))))
        }
    }

    public func shutdown() {
        host.log(.info, "kit-sample shut down")
    }
}

/// Per-request state; counts live instances so tests can see the kit
/// release it after postCall.
final class RequestState {
    static let live = Locked(0)
    let reservedNanos: Int64?
    var chunks = 0

    init(reservedNanos: Int64?) {
        self.reservedNanos = reservedNanos
        RequestState.live.withLock { $0 += 1 }
    }

    deinit { RequestState.live.withLock { $0 -= 1 } }
}

@_cdecl("tollgate_plugin_entry_v1")
public func tollgate_plugin_entry_v1(_ hostMajor: UInt16, _ hostMinor: UInt16) -> UnsafeRawPointer? {
    PluginExport.entry(KitSample.self, hostMajor: hostMajor, hostMinor: hostMinor)
}

/// Test hook: request states alive right now.
@_cdecl("tollgate_kit_sample_live_states")
public func tollgate_kit_sample_live_states() -> Int {
    RequestState.live.withLock { $0 }
}
