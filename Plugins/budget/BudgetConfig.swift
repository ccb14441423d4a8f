import TollgatePluginKit

/// One budget from the YAML: who it covers (scope), how much per period,
/// and what happens at the cap.
struct BudgetRule: Equatable {
    enum Period: String, CaseIterable {
        case daily, weekly, monthly, total

        var window: CounterWindow {
            switch self {
            case .daily: return .day
            case .weekly: return .week
            case .monthly: return .month
            case .total: return .none
            }
        }
    }

    /// `enforce` refuses what does not fit; `observe` records and alerts
    /// but never refuses (run a budget in observation before enforcing it).
    enum Mode: String { case enforce, observe }

    /// For production keys at the cap: refuse, or let user traffic through
    /// and record the overrun. Experimentation keys are always refused.
    enum AtCap: String { case reject, allow }

    var scope: String
    /// Never a wildcard: a budget is one org's, team's or key's money.
    var covered: Scope
    var period: Period
    var amountNanos: Int64
    var mode: Mode
    var atCap: AtCap
    var thresholds: [Int]

    /// The host counter it lives in, named so the core lists budgets by
    /// the "budget:" prefix and two generations share it.
    var counterName: String { "budget:\(scope):\(period.rawValue)" }

    /// "team acme/payments" — how messages name it.
    var displayName: String { "\(covered.level.rawValue) \(covered.path!.joined(separator: "/"))" }
}

/// The plugin's `config:` block, validated strictly: a typo must not
/// silently leave money unguarded.
struct BudgetConfig: Equatable {
    var defaultOutputTokens: Int64 = ReservationEstimate.defaultOutputTokens
    var thresholds: [Int] = [80, 100]
    var budgets: [BudgetRule] = []

    static let topKeys = ["default_output_tokens", "thresholds", "budgets"]
    static let budgetKeys = ["scope", "period", "amount", "mode", "at_cap", "thresholds"]

    init(json: JSONValue) throws {
        if json.isNull { return }
        guard let object = json.objectValue else { throw PluginError("budget: config must be a mapping, got \(json.jsonString)") }
        for key in object.keys where !Self.topKeys.contains(key) {
            throw PluginError("budget: unknown config key \"\(key)\" (expected one of: \(Self.topKeys.joined(separator: ", ")))")
        }
        if let value = object["default_output_tokens"] {
            guard let n = value.int64Value, n > 0 else {
                throw PluginError("budget: default_output_tokens must be a positive integer, got \(value.jsonString)")
            }
            defaultOutputTokens = n
        }
        if let value = object["thresholds"] { thresholds = try Self.thresholds(value, at: "thresholds") }
        guard let list = object["budgets"] else { return }
        guard let items = list.arrayValue else { throw PluginError("budget: budgets must be a list, got \(list.jsonString)") }
        for (index, item) in items.enumerated() {
            let rule = try budget(item, at: "budgets[\(index)]")
            if let clash = budgets.first(where: { $0.counterName == rule.counterName }) {
                throw PluginError("budget: budgets[\(index)]: \(clash.scope) already has a \(clash.period.rawValue) budget; "
                    + "give each scope at most one budget per period")
            }
            budgets.append(rule)
        }
    }

    private func budget(_ item: JSONValue, at place: String) throws -> BudgetRule {
        guard let object = item.objectValue else {
            throw PluginError("budget: \(place) must be a mapping such as {scope: team/acme/payments, period: daily, amount: \"800\"}")
        }
        for key in object.keys where !Self.budgetKeys.contains(key) {
            throw PluginError("budget: \(place): unknown key \"\(key)\" (expected one of: \(Self.budgetKeys.joined(separator: ", ")))")
        }
        guard let scope = object["scope"]?.stringValue else { throw PluginError("budget: \(place): scope is required (a string)") }
        guard let covered = Scope.parse(scope, allowWildcard: false) else {
            throw PluginError("budget: \(place): scope must be org/ORG, team/ORG/TEAM or key/KEY_ID, got \"\(scope)\"")
        }
        guard let periodText = object["period"]?.stringValue, let period = BudgetRule.Period(rawValue: periodText) else {
            throw PluginError("budget: \(place): period must be one of daily, weekly, monthly, total"
                + (object["period"].map { ", got \($0.jsonString)" } ?? " (it is required)"))
        }
        let amountText: String?
        switch object["amount"] {
        case .string(let s)?: amountText = s
        case .number(let s)?: amountText = s
        default: amountText = nil
        }
        guard let amountText, let amount = Money.parseUSD(amountText) else {
            throw PluginError("budget: \(place): amount must be a USD decimal such as \"800\" or \"0.50\" (at most 9 decimals, "
                + "no sign or symbol)" + (object["amount"].map { ", got \($0.jsonString)" } ?? "; it is required"))
        }
        var mode = BudgetRule.Mode.enforce
        if let value = object["mode"] {
            guard let m = value.stringValue.flatMap(BudgetRule.Mode.init(rawValue:)) else {
                throw PluginError("budget: \(place): mode must be enforce or observe, got \(value.jsonString)")
            }
            mode = m
        }
        var atCap = BudgetRule.AtCap.reject
        if let value = object["at_cap"] {
            guard let a = value.stringValue.flatMap(BudgetRule.AtCap.init(rawValue:)) else {
                throw PluginError("budget: \(place): at_cap must be reject or allow, got \(value.jsonString)")
            }
            atCap = a
        }
        let own = try object["thresholds"].map { try Self.thresholds($0, at: "\(place).thresholds") }
        return BudgetRule(scope: scope, covered: covered, period: period, amountNanos: amount, mode: mode,
                          atCap: atCap, thresholds: own ?? thresholds)
    }

    static func thresholds(_ value: JSONValue, at place: String) throws -> [Int] {
        guard let items = value.arrayValue else {
            throw PluginError("budget: \(place) must be a list of percentages such as [80, 100], got \(value.jsonString)")
        }
        var result: [Int] = []
        for item in items {
            guard let n = item.int64Value, n > 0, n <= 1000 else {
                throw PluginError("budget: \(place): each threshold is a percentage from 1 to 1000, got \(item.jsonString)")
            }
            result.append(Int(n))
        }
        return Array(Set(result)).sorted()
    }
}
