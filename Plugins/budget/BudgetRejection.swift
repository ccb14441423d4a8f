import TollgatePluginKit

/// The 429 a refused request gets: which budget, its numbers, when it
/// resets, and when to retry.
struct BudgetRejection {
    let rule: BudgetRule
    let state: CounterState
    let estimate: Int64

    /// "Budget exceeded: team acme/payments (daily) limit $800.00, spent
    /// $799.10, in flight $2.40; resets 2026-11-23T00:00:00Z".
    var message: String {
        var text = "Budget exceeded: \(rule.displayName) (\(rule.period.rawValue)) limit \(Money.format(nanos: state.limit)), "
            + "spent \(Money.format(nanos: state.spent)), in flight \(Money.format(nanos: state.reserved)); "
        text += rule.period == .total ? "a total budget does not reset" : "resets \(UTCCalendar.iso8601(state.windowEnd))"
        if estimate > state.limit {
            text += ". This request alone may cost up to \(Money.format(nanos: estimate)), more than the limit: lower max_tokens"
        } else {
            text += ". This request reserves up to \(Money.format(nanos: estimate))"
        }
        return text
    }

    /// See `RetryAfter.seconds`.
    var retryAfterSeconds: Int64? {
        RetryAfter.seconds(state: state, limit: state.limit, estimate: estimate, resets: rule.period != .total)
    }
}

/// The `retry-after` of a 429 from a counter that refused `estimate`.
enum RetryAfter {
    /// When what is in flight is what blocks, a retry soon may fit (1 s);
    /// when spent is, the window's reset; nil when the window never resets
    /// or the estimate alone exceeds `limit` (the ceiling that applied).
    static func seconds(state: CounterState, limit: Int64, estimate: Int64, resets: Bool) -> Int64? {
        guard estimate <= limit else { return nil }
        let (withSpent, overflow) = state.spent.addingReportingOverflow(estimate)
        if !overflow, withSpent <= limit { return 1 }
        guard resets, state.retryAfterMs > 0 else { return nil }
        return (state.retryAfterMs + 999) / 1000
    }
}
