import TollgateSupport
import TollgateJSON
import TollgateUnits

extension ConfigDecoder {
    static let financeKeys = ["haircut", "baseline_suggest_percent", "history_periods", "billing_account_id",
                              "billing_account_name", "reconcile_tolerance_basis_points"]

    /// `finance:` the rules of the finance reports; every field optional.
    func decodeFinancePolicy(_ node: YAMLNode?) -> FinancePolicy {
        var policy = FinancePolicy()
        guard let node, let f = fields(node, context: "finance", expected: "a mapping (" + Self.financeKeys.joined(separator: ", ") + ")",
                                       allowed: Self.financeKeys) else { return policy }
        if let h = f["haircut"], let rule = fields(h, context: "finance haircut",
                                                  expected: "a mapping (below_percent, periods, cut_percent)",
                                                  allowed: ["below_percent", "periods", "cut_percent"]) {
            if let v = rule["below_percent"].flatMap({ integer($0, expected: "below_percent", range: 1...100) }) {
                policy.haircut.belowPercent = Int(v)
            }
            if let v = rule["periods"].flatMap({ integer($0, expected: "periods", range: 1...24) }) { policy.haircut.periods = Int(v) }
            if let v = rule["cut_percent"].flatMap({ integer($0, expected: "cut_percent", range: 1...90) }) {
                policy.haircut.cutPercent = Int(v)
            }
        }
        if let v = f["baseline_suggest_percent"].flatMap({ integer($0, expected: "baseline_suggest_percent", range: 100...300) }) {
            policy.baselineSuggestPercent = Int(v)
        }
        if let v = f["history_periods"].flatMap({ integer($0, expected: "history_periods", range: 1...36) }) {
            policy.historyPeriods = Int(v)
        }
        policy.billingAccountId = f["billing_account_id"].flatMap { string($0, expected: "a billing account id") }
        policy.billingAccountName = f["billing_account_name"].flatMap { string($0, expected: "a billing account name") }
        if let v = f["reconcile_tolerance_basis_points"].flatMap({
            integer($0, expected: "reconcile_tolerance_basis_points", range: 0...10_000)
        }) {
            policy.reconcileToleranceBasisPoints = Int(v)
        }
        return policy
    }
}
