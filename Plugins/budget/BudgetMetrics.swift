import TollgatePluginKit

/// Prometheus series per budget (USD for people; exact nano-dollars are on
/// /admin/budgets). Every series is resolved once here, so a request records
/// by handle: post_call publishes two gauges per budget it touched.
struct BudgetMetrics {
    /// The series of one budget, in the order of the config's budgets.
    struct Budget {
        let spent: MetricSeries
        let reserved: MetricSeries
        let limit: MetricSeries
    }

    let budgets: [Budget]
    /// Recorded by label values: a series appears on a budget's first
    /// refusal, not for every budget at start.
    let rejections: Metric
    let measuredSettlements: MetricSeries
    let estimatedSettlements: MetricSeries
    /// Requests refused because their cost could not be bounded.
    let unbounded: MetricSeries

    init(host: PluginHost, rules: [BudgetRule]) throws {
        let labels = ["budget", "period"]
        let spent = try host.defineGauge(name: "tollgate_budget_spent_usd", help: "Spent in the budget's current window.", labels: labels)
        let reserved = try host.defineGauge(name: "tollgate_budget_reserved_usd",
                                            help: "Held by requests in flight (in-flight exposure).", labels: labels)
        let limit = try host.defineGauge(name: "tollgate_budget_limit_usd", help: "The budget's limit per window.", labels: labels)
        rejections = try host.defineCounter(name: "tollgate_budget_rejections_total",
                                            help: "Requests refused with 429 by this budget.", labels: labels)
        let settlements = try host.defineCounter(name: "tollgate_budget_settlements_total",
                                                 help: "Settled requests, by whether usage was measured or estimated.",
                                                 labels: ["usage"])
        budgets = try rules.map { rule in
            let values = [rule.scope, rule.period.rawValue]
            return Budget(spent: try spent.series(values), reserved: try reserved.series(values), limit: try limit.series(values))
        }
        unbounded = try host.defineCounter(name: "tollgate_budget_unbounded_total",
                                           help: "Requests refused with 400 because their cost estimate could not be computed.",
                                           labels: []).series([])
        measuredSettlements = try settlements.series(["measured"])
        estimatedSettlements = try settlements.series(["estimated"])
    }

    /// The limit changes only when the plugin is (re)created.
    func publish(budget index: Int, _ state: CounterState?, withLimit: Bool = false) {
        guard let state else { return }
        budgets[index].spent.record(Double(state.spent) / 1e9)
        budgets[index].reserved.record(Double(state.reserved) / 1e9)
        if withLimit { budgets[index].limit.record(Double(state.limit) / 1e9) }
    }
}
