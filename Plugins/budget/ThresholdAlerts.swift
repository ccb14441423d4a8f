import TollgatePluginKit

/// Alerts: soft thresholds (once per budget, threshold and window), refusals
/// and overruns. "Once per window" survives a reload and a restart: each
/// (budget, threshold) has a marker counter in the host store (AlertMarkers).
final class ThresholdAlerts {
    let host: PluginHost
    private let markers: AlertMarkers

    init(host: PluginHost, markers: AlertMarkers, budgets: [BudgetRule]) throws {
        self.host = host
        self.markers = markers
        for rule in budgets {
            for percent in rule.thresholds {
                try markers.declare(Self.markerName(rule, percent), window: rule.period.window)
            }
        }
    }

    static func markerName(_ rule: BudgetRule, _ percent: Int) -> String {
        "budget-alert:\(rule.scope):\(rule.period.rawValue):\(percent)"
    }

    /// Raises the alert of every threshold `state` has reached, once each.
    func check(_ rule: BudgetRule, counter: CounterID, state: CounterState) {
        for percent in rule.thresholds where AlertMarkers.reached(spent: state.spent, percent: percent, of: state.limit) {
            guard markers.claim(Self.markerName(rule, percent), window: rule.period.window, windowStart: state.windowStart) else {
                continue
            }
            let severity: Alert.Severity = percent >= 100 ? .critical : .warning
            host.raiseAlert(Alert(
                severity: severity, kind: "budget_threshold", subject: rule.scope,
                message: "Budget \(rule.displayName) (\(rule.period.rawValue)\(rule.mode == .observe ? ", observe only" : "")) "
                    + "reached \(percent)%: spent \(Money.format(nanos: state.spent)) of \(Money.format(nanos: state.limit))",
                dedupeKey: "budget_threshold:\(rule.scope):\(rule.period.rawValue):\(percent):\(UTCCalendar.day(state.windowStart))",
                details: Self.details(rule, state, extra: [("threshold_percent", .int(percent))])))
        }
    }

    /// A request refused at the cap (experimentation keys always are).
    func refused(_ rule: BudgetRule, state: CounterState, keyClass: String, keyID: String) {
        host.raiseAlert(Alert(
            severity: .warning, kind: "budget_cap",
            subject: rule.scope,
            message: "Budget \(rule.displayName) (\(rule.period.rawValue)) is at its cap: \(keyClass) requests are refused",
            dedupeKey: "budget_cap:\(rule.scope):\(rule.period.rawValue):\(keyClass):\(UTCCalendar.day(state.windowStart))",
            details: Self.details(rule, state, extra: [("key_class", .string(keyClass)), ("key_id", .string(keyID))])))
    }

    /// A request let through past the limit (at_cap: allow, or observe).
    func overrun(_ rule: BudgetRule, state: CounterState?) {
        guard let state else { return }
        let observe = rule.mode == .observe
        host.raiseAlert(Alert(
            severity: observe ? .warning : .critical, kind: observe ? "budget_observe_over" : "budget_overrun",
            subject: rule.scope,
            message: observe
                ? "Budget \(rule.displayName) (\(rule.period.rawValue), observe only) would refuse requests now"
                : "Budget \(rule.displayName) (\(rule.period.rawValue)) is over its limit; production traffic is let through (at_cap: allow)",
            dedupeKey: "budget_overrun:\(rule.scope):\(rule.period.rawValue):\(UTCCalendar.day(state.windowStart))",
            details: Self.details(rule, state, extra: [])))
    }

    static func details(_ rule: BudgetRule, _ state: CounterState, extra: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject([
            ("scope", .string(rule.scope)), ("period", .string(rule.period.rawValue)), ("mode", .string(rule.mode.rawValue)),
            ("limit_nanos", .int(state.limit)), ("spent_nanos", .int(state.spent)), ("reserved_nanos", .int(state.reserved)),
        ] + extra))
    }
}
