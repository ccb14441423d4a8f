import TollgatePluginKit

/// Alerts: soft thresholds (once per budget, threshold and window), refusals
/// and overruns. "Once per window" must survive a reload and a restart, so
/// each (budget, threshold) has a marker counter in the host store with a
/// limit of 1 and the budget's window: the first request to reserve it
/// raises the alert, everyone after is refused. A local set skips the store
/// once a marker is known to be taken.
final class ThresholdAlerts {
    let host: PluginHost
    private var markers: [String: CounterID] = [:]
    private let fired = Locked(Set<String>())

    init(host: PluginHost, budgets: [BudgetRule]) throws {
        self.host = host
        for rule in budgets {
            for percent in rule.thresholds {
                let name = Self.markerName(rule, percent)
                markers[name] = try host.declareCounter(name: name, limit: 1, window: rule.period.window, persist: true)
            }
        }
    }

    static func markerName(_ rule: BudgetRule, _ percent: Int) -> String {
        "budget-alert:\(rule.scope):\(rule.period.rawValue):\(percent)"
    }

    /// Raises the alert of every threshold `state` has reached, once each.
    func check(_ rule: BudgetRule, counter: CounterID, state: CounterState) {
        for percent in rule.thresholds where Self.reached(spent: state.spent, percent: percent, of: state.limit) {
            let name = Self.markerName(rule, percent)
            let once = "\(name)@\(state.windowStart)"
            guard !fired.withLock({ $0.contains(once) }), let marker = markers[name] else { continue }
            fired.withLock { _ = $0.insert(once) }
            guard case .reserved(let id) = host.reserve([(marker, 1)]) else { continue }
            host.settle(id, amounts: [1])
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

    /// spent >= percent% of limit, exactly (128-bit products).
    static func reached(spent: Int64, percent: Int, of limit: Int64) -> Bool {
        guard limit > 0 else { return true }
        let lhs = spent.multipliedFullWidth(by: 100)
        let rhs = limit.multipliedFullWidth(by: Int64(percent))
        return lhs.high != rhs.high ? lhs.high > rhs.high : lhs.low >= rhs.low
    }

    static func details(_ rule: BudgetRule, _ state: CounterState, extra: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject([
            ("scope", .string(rule.scope)), ("period", .string(rule.period.rawValue)), ("mode", .string(rule.mode.rawValue)),
            ("limit_nanos", .int(state.limit)), ("spent_nanos", .int(state.spent)), ("reserved_nanos", .int(state.reserved)),
        ] + extra))
    }
}
