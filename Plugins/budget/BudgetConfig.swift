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
    enum Mode: String, CaseIterable { case enforce, observe }

    /// For production keys at the cap: refuse, or let user traffic through
    /// and record the overrun. Experimentation keys are always refused.
    enum AtCap: String, CaseIterable { case reject, allow }

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

/// The plugin's `config:` block, validated strictly (the kit's
/// ConfigReader): a typo must not silently leave money unguarded.
struct BudgetConfig: Equatable {
    var defaultOutputTokens: Int64 = ReservationEstimate.defaultOutputTokens
    var thresholds: [Int] = [80, 100]
    var budgets: [BudgetRule] = []
    /// Where the plugin serves its view (ABI 1.4); nil with `admin_route:
    /// off` (a second budget instance must pick another path, or none: two
    /// plugins cannot serve one route).
    var adminRoute: String? = "/admin/budgets"
    /// Where the plugin serves the grants' view (ABI 1.5, reader role);
    /// nil with `allocation_route: off`, as `adminRoute`.
    var allocationRoute: String? = "/admin/allocation"

    init(json: JSONValue) throws {
        var config = try ConfigReader(json, plugin: "budget")
        if let field = config["admin_route"].ifPresent {
            adminRoute = try field.parse(expected: "a path under /admin/ such as /admin/budgets-eu, or off") { text -> String?? in
                text == "off" ? .some(nil) : RouteRules.isValidPath(text) ? .some(text) : nil
            }
        }
        if let field = config["allocation_route"].ifPresent {
            allocationRoute = try field.parse(expected: "a path under /admin/ such as /admin/allocation-eu, or off") { text -> String?? in
                text == "off" ? .some(nil) : RouteRules.isValidPath(text) ? .some(text) : nil
            }
            if let path = allocationRoute, path == adminRoute {
                throw field.error("\(path) is admin_route's path too; give the two views different paths")
            }
        }
        defaultOutputTokens = try config["default_output_tokens"].ifPresent?.int64(in: 1...) ?? defaultOutputTokens
        thresholds = try config["thresholds"].ifPresent.map(Self.thresholds) ?? thresholds
        let defaultThresholds = thresholds
        var budgets: [BudgetRule] = []
        try config["budgets"].ifPresent?.objects(each: #"a mapping such as {scope: team/acme/payments, period: daily, amount: "800"}"#) { item in
            let rule = try Self.budget(&item, thresholds: defaultThresholds)
            if let clash = budgets.first(where: { $0.counterName == rule.counterName }) {
                throw item.error("\(clash.scope) already has a \(clash.period.rawValue) budget; give each scope at most one budget per period")
            }
            budgets.append(rule)
        }
        self.budgets = budgets
        try config.finish()
    }

    private static func budget(_ item: inout ConfigReader, thresholds: [Int]) throws -> BudgetRule {
        let (scope, covered) = try item["scope"].parse(expected: "org/ORG, team/ORG/TEAM or key/KEY_ID") { text in
            Scope.parse(text, allowWildcard: false).map { (text, $0) }
        }
        return BudgetRule(scope: scope, covered: covered,
                          period: try item["period"].oneOf(BudgetRule.Period.self),
                          amountNanos: try item["amount"].money(),
                          mode: try item["mode"].ifPresent?.oneOf(BudgetRule.Mode.self) ?? .enforce,
                          atCap: try item["at_cap"].ifPresent?.oneOf(BudgetRule.AtCap.self) ?? .reject,
                          thresholds: try item["thresholds"].ifPresent.map(Self.thresholds) ?? thresholds)
    }

    static func thresholds(_ field: ConfigField) throws -> [Int] {
        let percentages = try field.list(expected: "a list of percentages such as [80, 100]").map {
            try $0.int(in: 1...1000, expected: "a percentage from 1 to 1000")
        }
        return Array(Set(percentages)).sorted()
    }
}
