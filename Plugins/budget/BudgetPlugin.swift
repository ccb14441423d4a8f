import TollgatePluginKit

/// Budgets that hold under concurrent streaming: reserve a pessimistic cost
/// on every budget on the request's path before it is forwarded (all at once,
/// all or nothing), settle the real cost after. The same for the grants the
/// core puts the request on (ABI 1.5, GrantEnforcement). Serves its own
/// views, `GET /admin/budgets` and `GET /admin/allocation`. See
/// docs/plugins/budget.md.
public final class BudgetPlugin: TollgatePlugin, PreCallHook, PostCallHook, RouteHook {
    public static let info = PluginInfo(name: "budget", version: "1.0.0", failClosed: true, requiredMinor: 1)

    let host: PluginHost
    let config: BudgetConfig
    /// Counter ids, parallel to `config.budgets`.
    let counters: [CounterID]
    let index: BudgetIndex
    /// Parallel to `config.budgets`: refuses what does not fit for
    /// production keys / for the others (read per request without copying
    /// the rules).
    let strictForProduction: [Bool]
    let strictForOthers: [Bool]
    let metrics: BudgetMetrics
    let thresholds: ThresholdAlerts
    /// nil on a host without grants (older than ABI 1.5).
    let grants: GrantEnforcement?

    public required init(host: PluginHost, config json: JSONValue) throws {
        self.host = host
        config = try BudgetConfig(json: json)
        guard host.hasCounters else {
            throw PluginError("budget: the gateway has no counter store (needs plugin ABI 1.1 or later)")
        }
        counters = try config.budgets.map {
            try host.declareCounter(name: $0.counterName, limit: $0.amountNanos, window: $0.period.window, persist: true)
        }
        index = BudgetIndex(config.budgets)
        strictForOthers = config.budgets.map { $0.mode == .enforce }
        strictForProduction = config.budgets.map { $0.mode == .enforce && $0.atCap != .allow }
        metrics = try BudgetMetrics(host: host, rules: config.budgets)
        let markers = AlertMarkers(host: host)
        thresholds = try ThresholdAlerts(host: host, markers: markers, budgets: config.budgets)
        grants = try GrantEnforcement(host: host, markers: markers)
        for index in config.budgets.indices {
            metrics.publish(budget: index, host.counterState(counters[index]), withLimit: true)
        }
        // On a host older than ABI 1.4 the gateway serves no plugin routes
        // (and such a gateway listed budgets itself).
        if let path = config.adminRoute, host.servesRoutes {
            try host.declareRoute("GET", path, role: .admin)
        }
        // The reader role is ABI 1.5, as grants are.
        if let path = config.allocationRoute, grants != nil, host.servesRoutes {
            try host.declareRoute("GET", path, role: .reader)
        }
        host.log(.info, "budget: \(config.budgets.count) budgets" + (grants == nil ? "; the host has no grants (ABI older than 1.5)" : ""))
    }

    // MARK: pre_call

    public func preCall(_ call: Call) throws -> PreCallVerdict {
        let keyID = call.keyID, org = call.org, team = call.team
        let onPath = index.budgets(org: org, team: team, key: keyID)
        // Grants: admission first (a revoked or expired grant is a 403
        // whatever the cost), in path order.
        var grantCharges: GrantEnforcement.Charges?
        var now: Int64 = 0
        if let grants {
            now = call.receivedAtMicros.map { $0 / 1_000_000 } ?? GrantEnforcement.wallClock()
            switch try grants.admit(call, now: now) {
            case .none: break
            case .charge(let charges): grantCharges = charges
            case .refused(let verdict): return verdict
            }
        }
        guard !onPath.isEmpty || grantCharges != nil else { return .continue }
        let estimate: Int64
        switch ReservationEstimate.cost(call: call, host: host, defaultOutputTokens: config.defaultOutputTokens) {
        case .nanos(let nanos):
            estimate = nanos
        // No figure is never "free": whatever the budgets' modes, a cost
        // that cannot be reserved cannot be let through.
        case .overflow(_, let outputTokens):
            return refuseUnbounded(call, "The cost of this request cannot be bounded: \(outputTokens) output tokens on model "
                + "'\(call.model ?? "")' is beyond what a budget can reserve. Set max_tokens to what the model can produce.")
        case .unpriced(let model):
            return refuseUnbounded(call, "Model '\(model ?? "")' has no price in the gateway's catalog, "
                + "so its cost cannot be reserved against a budget.")
        }
        let production = call.keyClass == "production"
        // Strict: refuses when it does not fit (enforced, and not at_cap:
        // allow for a production key). Soft: always reserved (so in-flight
        // exposure shows), over-limit is alerted, never refused.
        let isStrict = production ? strictForProduction : strictForOthers
        let strict = onPath.filter { isStrict[$0] }
        let soft = onPath.filter { !isStrict[$0] }
        let state = BudgetCallState(estimate: estimate)
        call.state = state  // before reserving: post_call must see every reservation made

        // One capped reservation over the grants' buckets, apart from the
        // budgets' (which keep their own policies).
        if let grants, let grantCharges,
           let refused = try grants.reserve(grantCharges, estimate: estimate, call: call, state: state, now: now) {
            return refused
        }
        if !strict.isEmpty {
            switch host.reserve(strict.map { (counters[$0], estimate) }) {
            case .reserved(let id), .forced(let id, _):
                state.holds.append((id, strict))
            case .refused(let index, let counter):
                let budget = strict[index]
                return refuse(call, budget: budget, counter: counter, estimate: estimate, production: production)
            case .failed(let status):
                throw PluginError("budget: cannot reserve (host answered \(status))")
            }
        }
        if !soft.isEmpty {
            switch host.reserve(soft.map { (counters[$0], estimate) }, force: true) {
            case .reserved(let id):
                state.holds.append((id, soft))
            case .forced(let id, _):
                state.holds.append((id, soft))
                // The host names the first budget it forced; every soft
                // budget this reservation took past its limit gets its own
                // alert (an observe budget and an at_cap: allow budget
                // over at once raise both kinds).
                for budget in soft {
                    guard let counter = host.counterState(counters[budget]), counter.isOverLimit else { continue }
                    thresholds.overrun(config.budgets[budget], state: counter)
                }
            case .refused:
                throw PluginError("budget: a forced reservation was refused")
            case .failed(let status):
                throw PluginError("budget: cannot reserve (host answered \(status))")
            }
        }
        // Gauges are published after settle (post_call), not here: one
        // update per request keeps the metrics registry off the hot path.
        return .continue
    }

    private func refuse(_ call: Call, budget index: Int, counter: CounterState, estimate: Int64, production: Bool) -> PreCallVerdict {
        let rule = config.budgets[index]
        metrics.rejections.record(1, labels: [rule.scope, rule.period.rawValue])
        thresholds.refused(rule, state: counter, keyClass: call.keyClass ?? "unknown", keyID: call.keyID ?? "unknown")
        let rejection = BudgetRejection(rule: rule, state: counter, estimate: estimate)
        if let seconds = rejection.retryAfterSeconds { call.setResponseHeader("retry-after", String(seconds)) }
        call.setResponseHeader("x-tollgate-budget", rule.scope)
        return call.reject(status: 429, type: "budget_exceeded", code: "budget_exceeded", message: rejection.message)
    }

    /// A 400: the request's cost has no upper bound a budget could hold.
    private func refuseUnbounded(_ call: Call, _ message: String) -> PreCallVerdict {
        metrics.unbounded.record(1)
        host.log(.warning, "budget: refused: \(message)", call: call)
        return call.reject(status: 400, type: "invalid_request_error", code: "cost_unbounded", message: message)
    }

    // MARK: post_call

    public func postCall(_ call: Call) throws {
        guard let state = call.state(as: BudgetCallState.self), !state.holds.isEmpty || state.grantHold != nil else { return }
        // The host reports a cost for every call that reached the provider;
        // should it have none for a success, the reservation's estimate is
        // settled rather than nothing.
        let success = call.outcomeKind == .success
        let cost = call.costNanos.map { max(0, $0) } ?? (success ? state.estimate : 0)
        // Settle whatever was served (a stream cut mid-way is settled for
        // what was produced); release what never reached the provider or
        // produced nothing (upstream error, a later plugin's reject, a
        // client gone before the answer).
        let settle = success || cost > 0
        var touched: [Int] = []
        for (reservation, budgets) in state.holds {
            let status = settle ? host.settle(reservation, amounts: Array(repeating: cost, count: budgets.count))
                                : host.release(reservation)
            if !status.isOK {
                host.log(.error, "budget: \(settle ? "settle" : "release") failed: \(status)", call: call)
            }
            touched.append(contentsOf: budgets)
        }
        state.holds.removeAll()
        if let hold = state.grantHold, let grants {
            state.grantHold = nil
            grants.finish(hold, settle: settle, cost: cost, call: call)
        }
        if settle { (call.usageEstimated ? metrics.estimatedSettlements : metrics.measuredSettlements).record(1) }
        for index in touched {
            let counter = host.counterState(counters[index])
            metrics.publish(budget: index, counter)
            if settle, cost > 0, let counter { thresholds.check(config.budgets[index], counter: counters[index], state: counter) }
        }
    }

    // MARK: GET /admin/budgets, GET /admin/allocation

    public func onRoute(_ route: Route) throws -> RouteResponse {
        if let grants, let path = config.allocationRoute, route.path == path {
            // Read the table now rather than wait for a request to bring a
            // newer version (a grant minted a moment ago shows at once).
            let table = try grants.cache.refresh()
            let slots = try grants.counters.slots(for: table)
            return .json(AllocationView.json(table: table, slots: slots, now: GrantEnforcement.wallClock(),
                                             caller: CallerScope(route.callerScope), state: { self.host.counterState($0) }))
        }
        let budgets = config.budgets.indices.compactMap { index in
            host.counterState(counters[index]).map { (rule: config.budgets[index], state: $0) }
        }
        return .json(BudgetView.json(budgets))
    }
}

/// What one request holds: its reservations and the budgets each covers,
/// and its reservation on its grants.
final class BudgetCallState {
    let estimate: Int64
    var holds: [(ReservationID, [Int])] = []
    var grantHold: GrantHold?

    init(estimate: Int64) { self.estimate = estimate }
}

@_cdecl("tollgate_plugin_entry_v1")
public func tollgate_plugin_entry_v1(_ hostMajor: UInt16, _ hostMinor: UInt16) -> UnsafeRawPointer? {
    PluginExport.entry(BudgetPlugin.self, hostMajor: hostMajor, hostMinor: hostMinor)
}
