import TollgatePluginKit

/// The OpenAI-style headers every response carries, so SDK retry logic and
/// client-side throttles work unchanged: x-ratelimit-{limit,remaining,reset}
/// -{requests,tokens}. With several limits on the path each kind reports
/// the tightest one (least remaining); requests cover rpm and rpd.
struct RateLimitHeaders: Equatable {
    struct Report: Equatable {
        var limit: Int64
        var remaining: Int64
        /// Until the limit is back to its full amount (OpenAI's meaning).
        var resetMs: Int64
    }

    var requests: Report?
    var tokens: Report?

    /// `states[i]` is the state of `limits[i]`'s counter after this
    /// request's reservation (or without it, on a refusal). `refused`
    /// overrides its kind with the counter that said no.
    init(limits: [AppliedLimit], states: [CounterState?], nowMs: Int64,
         refused: (index: Int, state: CounterState, retryAfterMs: Int64?)? = nil) {
        for (index, limit) in limits.enumerated() {
            guard let state = states[index] else { continue }
            let report = Report(limit: state.limit, remaining: Self.remaining(state),
                                resetMs: Self.resetMs(limit.metric, state, nowMs: nowMs))
            if limit.metric.countsTokens {
                if tokens == nil || report.remaining < tokens!.remaining { tokens = report }
            } else if requests == nil || report.remaining < requests!.remaining {
                requests = report
            }
        }
        if let refused {
            let state = refused.state
            let metric = limits[refused.index].metric
            let report = Report(limit: state.limit, remaining: Self.remaining(state),
                                resetMs: refused.retryAfterMs ?? Self.resetMs(metric, state, nowMs: nowMs))
            if metric.countsTokens { tokens = report } else { requests = report }
        }
    }

    var fields: [(String, String)] {
        var out: [(String, String)] = []
        out.reserveCapacity(6)
        if let requests {
            out.append(("x-ratelimit-limit-requests", String(requests.limit)))
            out.append(("x-ratelimit-remaining-requests", String(requests.remaining)))
            out.append(("x-ratelimit-reset-requests", Self.duration(ms: requests.resetMs)))
        }
        if let tokens {
            out.append(("x-ratelimit-limit-tokens", String(tokens.limit)))
            out.append(("x-ratelimit-remaining-tokens", String(tokens.remaining)))
            out.append(("x-ratelimit-reset-tokens", Self.duration(ms: tokens.resetMs)))
        }
        return out
    }

    static func remaining(_ state: CounterState) -> Int64 {
        let (used, overflow) = state.spent.addingReportingOverflow(state.reserved)
        return overflow ? 0 : max(0, state.limit - used)
    }

    /// A sliding minute is back to full once the newest second holding an
    /// amount leaves the window; this request's reservation sits in the
    /// current second, so that is 60 s after the start of this second. A
    /// day limit resets at the end of the UTC day.
    static func resetMs(_ metric: RateMetric, _ state: CounterState, nowMs: Int64) -> Int64 {
        switch metric.window {
        case .minute: return (UTCCalendar.floorDiv(nowMs, 1000) + 60) * 1000 - nowMs
        default: return max(0, state.windowEnd * 1000 - nowMs)
        }
    }

    /// Go-style durations as OpenAI sends them: "20ms", "1s", "59.5s",
    /// "6m0s", "1h2m3s".
    static func duration(ms: Int64) -> String {
        if ms <= 0 { return "0s" }
        if ms < 1000 { return "\(ms)ms" }
        let hours = ms / 3_600_000, minutes = ms / 60_000 % 60, millis = ms % 60_000
        var seconds = String(millis / 1000)
        if millis % 1000 != 0 {
            var fraction = String(millis % 1000)
            fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            seconds += "." + fraction
        }
        if hours > 0 { return "\(hours)h\(minutes)m\(seconds)s" }
        if minutes > 0 { return "\(minutes)m\(seconds)s" }
        return "\(seconds)s"
    }
}
