#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgatePluginKit

/// Requests and tokens per minute (and requests per day) per key, team or
/// org, optionally per model, and each grant's TPM/RPM quota: speed of
/// spend, separate from the budget's amount of spend. pre_call reserves 1
/// request and the pessimistic token estimate on every limit on the path at
/// once; post_call settles the real tokens. Limits are sliding 60 s windows in the host's counter store. See
/// docs/plugins/ratelimit.md.
public final class RateLimitPlugin: TollgatePlugin, PreCallHook, PostCallHook {
    public static let info = PluginInfo(name: "ratelimit", version: "1.0.0", failClosed: true, requiredMinor: 1)

    let host: PluginHost
    let config: RateLimitConfig
    let table: LimitTable
    /// The grants' TPM/RPM quotas; nil on a host without grants (before ABI 1.5).
    let grants: GrantLimits?
    let rejections: Metric

    public required init(host: PluginHost, config json: JSONValue) throws {
        self.host = host
        config = try RateLimitConfig(json: json)
        guard host.hasCounters else {
            throw PluginError("ratelimit: the gateway has no counter store (needs plugin ABI 1.1 or later)")
        }
        table = try LimitTable(host: host, rules: config.rules)
        grants = GrantLimits(host: host)
        rejections = try host.defineCounter(name: "tollgate_ratelimit_rejections_total",
                                            help: "Requests refused with 429 by a rate limit.", labels: ["subject", "limit"])
        host.log(.info, "ratelimit: \(config.rules.count) limits" + (grants == nil ? "" : ", and the grants' TPM/RPM quotas"))
    }

    // MARK: pre_call

    public func preCall(_ call: Call) throws -> PreCallVerdict {
        var limits = try table.limits(keyID: call.keyID, org: call.org, team: call.team, model: call.model)
        // The grants' quotas join the same all-or-nothing reservation.
        if let grants { limits += try grants.limits(call) }
        guard !limits.isEmpty else { return .continue }
        let estimate = ReservationEstimate.estimate(call: call, defaultOutputTokens: config.defaultOutputTokens)
        let (sum, overflow) = estimate.inputTokens.addingReportingOverflow(estimate.outputTokens)
        let tokens = overflow ? Int64.max : sum
        let amounts = limits.map { $0.metric.countsTokens ? tokens : 1 }
        let state = RateCallState(limits: limits)
        call.state = state  // before reserving: post_call must see every reservation made
        let nowMs = call.receivedAtMicros.map { $0 / 1000 } ?? Self.wallClockMs()

        switch host.reserve(Array(zip(limits.map(\.counter), amounts))) {
        case .reserved(let id), .forced(let id, _):
            state.reservation = id
            let headers = RateLimitHeaders(limits: limits, states: limits.map { host.counterState($0.counter) }, nowMs: nowMs)
            for (name, value) in headers.fields { call.setResponseHeader(name, value) }
            return .continue
        case .refused(let index, let counter):
            let rejection = RateLimitRejection(limit: limits[index], state: counter, amount: amounts[index], nowMs: nowMs)
            let retryMs = rejection.retryAfterMs
            let states = limits.indices.map { $0 == index ? counter : host.counterState(limits[$0].counter) }
            let headers = RateLimitHeaders(limits: limits, states: states, nowMs: nowMs,
                                           refused: (index, counter, retryMs))
            for (name, value) in headers.fields { call.setResponseHeader(name, value) }
            if let retryMs, let seconds = rejection.retryAfterSeconds {
                call.setResponseHeader("retry-after", String(seconds))
                call.setResponseHeader("retry-after-ms", String(retryMs))
            }
            call.setResponseHeader("x-tollgate-ratelimit", "\(limits[index].subject):\(limits[index].metric.rawValue)")
            rejections.record(1, labels: [limits[index].subject, limits[index].metric.rawValue])
            return call.reject(status: 429, type: "rate_limit_exceeded", code: "rate_limit_exceeded", message: rejection.message)
        case .failed(let status):
            throw PluginError("ratelimit: cannot reserve (host answered \(status))")
        }
    }

    // MARK: post_call

    public func postCall(_ call: Call) throws {
        guard let state = call.state(as: RateCallState.self), let reservation = state.reservation else { return }
        state.reservation = nil
        // A request that reached the provider counts, whatever came back;
        // one stopped before it (a later plugin's reject, the core's
        // checks) gives everything back.
        let reachedUpstream = (call.upstreamAttempts ?? 0) > 0 || call.outcomeKind == .success
        guard reachedUpstream else {
            let status = host.release(reservation)
            if !status.isOK { host.log(.error, "ratelimit: release failed: \(status)", call: call) }
            return
        }
        let parts = [call.tokensIn ?? 0, call.tokensCached ?? 0, call.tokensOut ?? 0].map { max(0, $0) }
        let tokens = parts.reduce(Int64(0)) { total, part in
            let (sum, overflow) = total.addingReportingOverflow(part)
            return overflow ? Int64.max : sum
        }
        let amounts = state.limits.map { $0.metric.countsTokens ? tokens : 1 }
        let status = host.settle(reservation, amounts: amounts)
        if !status.isOK { host.log(.error, "ratelimit: settle failed: \(status)", call: call) }
    }

    static func wallClockMs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// What one request holds: the limits on its path and their reservation.
final class RateCallState {
    let limits: [AppliedLimit]
    var reservation: ReservationID?

    init(limits: [AppliedLimit]) { self.limits = limits }
}

@_cdecl("tollgate_plugin_entry_v1")
public func tollgate_plugin_entry_v1(_ hostMajor: UInt16, _ hostMinor: UInt16) -> UnsafeRawPointer? {
    PluginExport.entry(RateLimitPlugin.self, hostMajor: hostMajor, hostMinor: hostMinor)
}
