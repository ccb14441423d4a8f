import TollgatePluginKit

/// `GET /admin/budgets` (the plugin's route, ABI 1.4): every budget of this
/// instance with its numbers now, ordered by counter name. Nano-dollar
/// figures both exact (integers) and for people ("$12.34"). The shape is
/// the one the gateway served itself before plugins could serve routes.
enum BudgetView {
    static func json(_ budgets: [(rule: BudgetRule, state: CounterState)]) -> JSONValue {
        let items: [JSONValue] = budgets.sorted { $0.rule.counterName < $1.rule.counterName }.map { budget in
            let scope = budget.rule.scope
            let level = scope.split(separator: "/").first.map(String.init) ?? scope
            return .object(JSONObject([
                ("scope", .string(scope)), ("level", .string(level)), ("period", .string(budget.rule.period.rawValue)),
                ("counter", .string(budget.rule.counterName)),
            ] + numbers(budget.state, window: budget.rule.period.window)))
        }
        return .object(JSONObject([("budgets", .array(items))]))
    }

    private static func numbers(_ state: CounterState, window: CounterWindow) -> [(String, JSONValue)] {
        let unlimited = state.limit == Int64.max
        let remaining = remaining(state)
        return [
            ("limit_nanos", unlimited ? .null : .int(state.limit)),
            ("spent_nanos", .int(state.spent)),
            ("reserved_nanos", .int(state.reserved)),
            ("remaining_nanos", unlimited ? .null : .int(remaining)),
            ("limit", unlimited ? .null : .string(Money.format(nanos: state.limit))),
            ("spent", .string(Money.format(nanos: state.spent))),
            ("reserved", .string(Money.format(nanos: state.reserved))),
            ("remaining", unlimited ? .null : .string(Money.format(nanos: remaining))),
            ("window_start", window == .none ? .null : .string(UTCCalendar.iso8601(state.windowStart))),
            ("resets_at", window == .none ? .null : .string(UTCCalendar.iso8601(state.windowEnd))),
        ]
    }

    /// What is left of the limit, never below zero (saturating: a counter
    /// far over its limit must not trap).
    static func remaining(_ state: CounterState) -> Int64 {
        let (afterSpent, o1) = state.limit.subtractingReportingOverflow(state.spent)
        let (left, o2) = afterSpent.subtractingReportingOverflow(state.reserved)
        return o1 || o2 ? 0 : max(0, left)
    }
}
