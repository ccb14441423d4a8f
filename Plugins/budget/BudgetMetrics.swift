import TollgatePluginKit

/// Prometheus series per budget (USD for people; exact nano-dollars are on
/// /admin/budgets).
struct BudgetMetrics {
    let spent: Metric
    let reserved: Metric
    let limit: Metric
    let rejections: Metric
    let settlements: Metric

    init(host: PluginHost) throws {
        let labels = ["budget", "period"]
        spent = try host.defineGauge(name: "tollgate_budget_spent_usd", help: "Spent in the budget's current window.", labels: labels)
        reserved = try host.defineGauge(name: "tollgate_budget_reserved_usd",
                                        help: "Held by requests in flight (in-flight exposure).", labels: labels)
        limit = try host.defineGauge(name: "tollgate_budget_limit_usd", help: "The budget's limit per window.", labels: labels)
        rejections = try host.defineCounter(name: "tollgate_budget_rejections_total",
                                            help: "Requests refused with 429 by this budget.", labels: labels)
        settlements = try host.defineCounter(name: "tollgate_budget_settlements_total",
                                             help: "Settled requests, by whether usage was measured or estimated.",
                                             labels: ["usage"])
    }

    /// The limit changes only when the plugin is (re)created.
    func publish(_ rule: BudgetRule, _ state: CounterState?, withLimit: Bool = false) {
        guard let state else { return }
        let labels = [rule.scope, rule.period.rawValue]
        spent.record(Double(state.spent) / 1e9, labels: labels)
        reserved.record(Double(state.reserved) / 1e9, labels: labels)
        if withLimit { limit.record(Double(state.limit) / 1e9, labels: labels) }
    }
}
