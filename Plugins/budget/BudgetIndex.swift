import TollgatePluginKit

/// Which budgets cover a caller: three dictionary probes (its org, its
/// team, its key) instead of matching the caller against every budget of
/// the config on every request.
struct BudgetIndex {
    private var byOrg: [String: [Int]] = [:]
    /// org -> team -> budgets.
    private var byTeam: [String: [String: [Int]]] = [:]
    private var byKey: [String: [Int]] = [:]

    init(_ budgets: [BudgetRule]) {
        for (index, rule) in budgets.enumerated() {
            // A budget's scope is never a wildcard (BudgetConfig refuses it).
            guard let path = rule.covered.path else { continue }
            switch rule.covered.level {
            case .org: byOrg[path[0], default: []].append(index)
            case .team: byTeam[path[0], default: [:]][path[1], default: []].append(index)
            case .key: byKey[path[0], default: []].append(index)
            }
        }
    }

    /// The indices of the budgets covering the caller, in config order
    /// (the order a refusal is reported in), as `Scope.covers` decides.
    func budgets(org: String?, team: String?, key: String?) -> [Int] {
        var result: [Int] = []
        if let org {
            if let found = byOrg[org] { result += found }
            if let team, let found = byTeam[org]?[team] { result += found }
        }
        if let key, let found = byKey[key] { result += found }
        if result.count > 1 { result.sort() }
        return result
    }
}
