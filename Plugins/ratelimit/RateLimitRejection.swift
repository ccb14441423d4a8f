import TollgatePluginKit

/// The 429 a refused request gets: which limit, its numbers, and when to
/// retry.
struct RateLimitRejection {
    let limit: AppliedLimit
    /// The refused counter's numbers, without this request.
    let state: CounterState
    /// What this request asked of it: 1 request, or its token estimate.
    let amount: Int64
    let nowMs: Int64

    /// Milliseconds until a retry may fit; nil when it never can (the
    /// request alone is over the limit).
    ///
    /// The rule: when spent alone leaves room for the request, what blocks
    /// it is other requests in flight, whose reservations settle within
    /// their lifetime (usually at far less than reserved) — so 1 s is the
    /// honest answer. Otherwise, when enough spent leaves the sliding
    /// minute (the store's figure), or at the end of the UTC day for rpd.
    var retryAfterMs: Int64? {
        guard amount <= state.limit else { return nil }
        let (withSpent, overflow) = state.spent.addingReportingOverflow(amount)
        if !overflow, withSpent <= state.limit { return 1000 }
        if state.retryAfterMs > 0 { return state.retryAfterMs }
        // The store could not say (in-flight and spent block together):
        // everything spent now is gone by the end of this bound.
        return RateLimitHeaders.resetMs(limit.metric, state, nowMs: nowMs)
    }

    /// Whole seconds for Retry-After (rounded up, at least 1).
    var retryAfterSeconds: Int64? { retryAfterMs.map { max(1, ($0 + 999) / 1000) } }

    /// "Rate limit reached for key payments-prod on tokens per minute (TPM):
    /// limit 400, used 26, in flight 316; this request needs up to 316.
    /// Retry after 1s: ...", or for a grant's quota "Rate limit reached:
    /// grant 'recs-search' (owner lead@x) allows 20000 tokens per minute:
    /// used ..."
    var message: String {
        let unit = limit.metric.countsTokens ? "tokens" : "requests"
        var text: String
        if let grant = limit.grant {
            text = "Rate limit reached: \(grant.displayName) allows \(state.limit) \(unit) per minute: "
                + "used \(state.spent), in flight \(state.reserved)"
        } else {
            text = "Rate limit reached for \(limit.displayName) on \(limit.metric.displayName): limit \(state.limit), "
                + "used \(state.spent), in flight \(state.reserved)"
        }
        if limit.metric.countsTokens { text += "; this request needs up to \(amount) \(unit)" }
        guard let retry = retryAfterMs else {
            return text + ", more than the limit on its own: lower max_tokens or shorten the prompt"
        }
        let (withSpent, overflow) = state.spent.addingReportingOverflow(amount)
        if !overflow, withSpent <= state.limit {
            return text + ". Retry after 1s: requests in flight hold the rest until they finish"
        }
        if limit.metric == .rpd { return text + ". Resets at \(UTCCalendar.iso8601(state.windowEnd))" }
        return text + ". Retry after \(RateLimitHeaders.duration(ms: retry))"
    }
}
