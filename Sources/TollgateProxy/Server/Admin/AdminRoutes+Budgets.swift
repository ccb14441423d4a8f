import TollgateJSON
import TollgateUnits
import TollgateSupport
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// `GET /admin/budgets`: every counter the budget plugin declared (named
/// `budget:<scope>:<period>`), with its numbers now.
extension AdminRoutes {
    static func budgets(_ request: RoutedRequest, _ generation: Generation) {
        let budgets: [JSONValue] = request.gateway.services.counters.counters(withPrefix: "budget:").map { counter in
            let parts = counter.spec.name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let scope = parts.count >= 3 ? parts[1] : counter.spec.name
            let period = parts.count >= 3 ? parts[2] : counter.spec.window.name
            let level = scope.split(separator: "/").first.map(String.init) ?? scope
            return .object(JSONObject([
                ("scope", .string(scope)), ("level", .string(level)), ("period", .string(period)),
                ("counter", .string(counter.spec.name)),
            ] + numbers(counter.state, window: counter.spec.window)))
        }
        request.writer.sendJSON(status: 200, JSONValue.object(JSONObject([("budgets", .array(budgets))])).serialized())
    }

    /// Nano-dollar figures both exact (integers) and for people ("$12.34").
    private static func numbers(_ state: CounterState, window: CounterWindow) -> [(String, JSONValue)] {
        let unlimited = state.limit == Int64.max
        let remaining = state.remaining
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
}
