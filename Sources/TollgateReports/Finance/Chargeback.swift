import TollgateConfig
import TollgateJSON
import TollgateUnits

/// `tollgate report chargeback` and the dashboard's Chargeback view: per
/// team (or grant, owner, feature), the exact spend of the period, its
/// share of the bill, the outcomes the team reported and the cost per
/// outcome, each against the previous period, with the team's cost centre.
/// docs/finance.md says what a finance partner reads in each column.
package struct ChargebackReport: Equatable, Sendable {
    package enum Grouping: String, CaseIterable, Sendable {
        case team, grant, owner, feature
        package static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
    }

    /// One outcome metric of a row.
    package struct Metric: Equatable, Sendable {
        package var name: String
        package var count: Int64
        package var previousCount: Int64
        /// Spend over count, rounded half up; nil without outcomes.
        package var costPerOutcome: Int64?
        package var previousCostPerOutcome: Int64?
        /// Basis points; nil when either period has no cost per outcome.
        package var change: Int64?
    }

    package struct Row: Equatable, Sendable {
        /// The grouping's values: ["demo/recs"], ["demo/recs", "carousel"], ["recs-carousel"], ["pm@example.com"].
        package var keys: [String]
        package var costCenter: String?
        package var requests: Int64
        package var spendNanos: Int64
        package var previousSpendNanos: Int64
        /// The group's one or two outcome metrics (the team's declared ones first).
        package var metrics: [Metric]
    }

    package var period: ReportPeriod
    package var grouping: Grouping
    /// Most spend first.
    package var rows: [Row]
    package var totalRequests: Int64
    package var totalSpendNanos: Int64
    package var previousTotalSpendNanos: Int64

    /// Reads the ledger (one scan over both periods; a second for the bill
    /// when grants nest) and `outcomes` (totals over [from, to)).
    package static func run(config: TollgateConfig, grants: GrantTable, ledgerPath: String, period: ReportPeriod, by grouping: Grouping,
                            scope: FinanceScope = .everything,
                            outcomes: (_ fromMicros: Int64, _ toMicros: Int64) throws -> [OutcomeTotal]) throws -> ChargebackReport {
        let periods = [period.previous, period]
        let dimensions: [ReportDimension]
        switch grouping {
        case .team: dimensions = [FinanceScan.org, FinanceScan.team]
        case .feature: dimensions = [FinanceScan.org, FinanceScan.team, FinanceScan.feature]
        case .grant: dimensions = [FinanceScan.org, FinanceScan.team, ReportDimension.grant]
        case .owner: dimensions = [FinanceScan.org, FinanceScan.team, FinanceScan.grantOwner]
        }
        let cells = try FinanceScan.spend(ledgerPath: ledgerPath, periods: periods, dimensions: dimensions)
        let teams = TeamDirectory(config)

        // Spend per group and period, inside the scope.
        var groups: [[String]: (org: String?, team: String?, requests: Int64, spend: [Int64])] = [:]
        var billRequests: Int64 = 0
        var bill: [Int64] = [0, 0]
        for cell in cells where scope.covers(org: cell.keys[0], team: cell.keys[1]) {
            let org = cell.keys[0], team = cell.keys[1]
            let teamName = org.flatMap { o in team.map { "\(o)/\($0)" } } ?? "(none)"
            let key: [String]
            switch grouping {
            case .team: key = [teamName]
            case .feature: key = [teamName, cell.keys[2] ?? "(none)"]
            case .grant, .owner: key = [cell.keys[2] ?? "(none)"]
            }
            var entry = groups[key] ?? (org, team, 0, [0, 0])
            if entry.org != org { entry.org = nil }
            if entry.team != team { entry.team = nil }
            entry.spend[cell.period] = Saturating.add(entry.spend[cell.period], cell.totals.costNanos)
            if cell.period == 1 { entry.requests = Saturating.add(entry.requests, cell.totals.requests) }
            groups[key] = entry
            if grouping != .grant {
                bill[cell.period] = Saturating.add(bill[cell.period], cell.totals.costNanos)
                if cell.period == 1 { billRequests = Saturating.add(billRequests, cell.totals.requests) }
            }
        }
        if grouping == .grant {
            // Grants nest: the bill counts each request once.
            for cell in try FinanceScan.spend(ledgerPath: ledgerPath, periods: periods, dimensions: [FinanceScan.org, FinanceScan.team])
            where scope.covers(org: cell.keys[0], team: cell.keys[1]) {
                bill[cell.period] = Saturating.add(bill[cell.period], cell.totals.costNanos)
                if cell.period == 1 { billRequests = Saturating.add(billRequests, cell.totals.requests) }
            }
        }

        // Outcomes per group and period.
        var counts: [[String]: [String: [Int64]]] = [:]
        for (index, p) in periods.enumerated() {
            for total in try outcomes(p.fromMicros, p.toMicros) where scope.covers(org: total.org, team: total.team) {
                let teamName = "\(total.org)/\(total.team)"
                let keys: [[String]]
                switch grouping {
                case .team: keys = [[teamName]]
                case .feature: keys = [[teamName, total.feature ?? "(none)"]]
                case .grant: keys = total.grantIDs.isEmpty ? [["(none)"]] : total.grantIDs.map { [$0] }
                case .owner: keys = [[total.grantOwner ?? "(none)"]]
                }
                for key in keys {
                    var perMetric = counts[key] ?? [:]
                    var pair = perMetric[total.metric] ?? [0, 0]
                    pair[index] = Saturating.add(pair[index], total.count)
                    perMetric[total.metric] = pair
                    counts[key] = perMetric
                    if groups[key] == nil { groups[key] = (total.org, total.team, 0, [0, 0]) }
                }
            }
        }

        var rows: [Row] = []
        for (key, entry) in groups {
            let declared: [String]
            switch grouping {
            case .team, .feature: declared = teams.outcomes(org: entry.org, team: entry.team)
            case .grant: declared = grants[key[0]].map { teams.outcomes(org: $0.scope.org, team: $0.scope.team) } ?? []
            case .owner: declared = []
            }
            let reported = (counts[key] ?? [:]).sorted { a, b in
                a.value[1] != b.value[1] ? a.value[1] > b.value[1] : a.key < b.key
            }.map(\.key)
            var names = declared
            for name in reported where !names.contains(name) { names.append(name) }
            let metrics = names.prefix(2).map { name -> Metric in
                let pair = counts[key]?[name] ?? [0, 0]
                let now = FinanceMath.divide(entry.spend[1], pair[1])
                let before = FinanceMath.divide(entry.spend[0], pair[0])
                return Metric(name: name, count: pair[1], previousCount: pair[0], costPerOutcome: now, previousCostPerOutcome: before,
                              change: now.flatMap { n in before.flatMap { FinanceMath.change(from: $0, to: n) } })
            }
            let costCenter: String?
            switch grouping {
            case .team, .feature: costCenter = teams.costCenter(org: entry.org, team: entry.team)
            case .grant: costCenter = grants[key[0]].flatMap { teams.costCenter(org: $0.scope.org, team: $0.scope.team) }
            case .owner: costCenter = teams.costCenter(org: entry.org, team: entry.team)
            }
            rows.append(Row(keys: key, costCenter: costCenter, requests: entry.requests, spendNanos: entry.spend[1],
                            previousSpendNanos: entry.spend[0], metrics: Array(metrics)))
        }
        rows.sort { a, b in a.spendNanos != b.spendNanos ? a.spendNanos > b.spendNanos : a.keys.lexicographicallyPrecedes(b.keys) }
        return ChargebackReport(period: period, grouping: grouping, rows: rows, totalRequests: billRequests,
                                totalSpendNanos: bill[1], previousTotalSpendNanos: bill[0])
    }

    // MARK: the table

    package var table: ReportTable {
        let keyColumns: [ReportTable.Column]
        switch grouping {
        case .team: keyColumns = [.init("team")]
        case .feature: keyColumns = [.init("team"), .init("feature")]
        case .grant: keyColumns = [.init("grant")]
        case .owner: keyColumns = [.init("owner", "grant owner")]
        }
        let hasSecond = rows.contains { $0.metrics.count > 1 }
        var columns = keyColumns + [
            .init("cost_center", "cost centre"), .init("requests"), .init("spend"), .init("share_of_bill", "share"),
            .init("previous_spend", "previous spend"), .init("spend_change", "spend Δ"),
            .init("outcome_metric", "outcome"), .init("outcomes"), .init("cost_per_outcome", "cost/outcome"),
            .init("previous_cost_per_outcome", "previous cost/outcome"), .init("cost_per_outcome_change", "cost/outcome Δ"),
        ]
        if hasSecond {
            columns += [.init("outcome_metric_2", "outcome 2"), .init("outcomes_2"), .init("cost_per_outcome_2", "cost/outcome 2"),
                        .init("cost_per_outcome_2_change", "cost/outcome 2 Δ")]
        }
        func optionalMoney(_ v: Int64?) -> ReportTable.Cell { v.map { .money($0) } ?? .none }
        func optionalPercent(_ v: Int64?) -> ReportTable.Cell { v.map { .percent($0) } ?? .none }
        let body: [[ReportTable.Cell]] = rows.map { row in
            var cells: [ReportTable.Cell] = row.keys.map { .text($0) }
            cells += [row.costCenter.map { .text($0) } ?? .none, .integer(row.requests), .money(row.spendNanos),
                      optionalPercent(FinanceMath.share(row.spendNanos, of: totalSpendNanos)), .money(row.previousSpendNanos),
                      optionalPercent(FinanceMath.change(from: row.previousSpendNanos, to: row.spendNanos))]
            if let m = row.metrics.first {
                cells += [.text(m.name), .integer(m.count), optionalMoney(m.costPerOutcome), optionalMoney(m.previousCostPerOutcome),
                          optionalPercent(m.change)]
            } else {
                cells += [.none, .none, .none, .none, .none]
            }
            if hasSecond {
                if row.metrics.count > 1 {
                    let m = row.metrics[1]
                    cells += [.text(m.name), .integer(m.count), optionalMoney(m.costPerOutcome), optionalPercent(m.change)]
                } else {
                    cells += [.none, .none, .none, .none]
                }
            }
            return cells
        }
        var total: [ReportTable.Cell] = [.text("TOTAL")] + Array(repeating: .text(""), count: keyColumns.count - 1)
        total += [.text(""), .integer(totalRequests), .money(totalSpendNanos), totalSpendNanos > 0 ? .percent(10_000) : .none,
                  .money(previousTotalSpendNanos), optionalPercent(FinanceMath.change(from: previousTotalSpendNanos, to: totalSpendNanos)),
                  .none, .none, .none, .none, .none]
        if hasSecond { total += [.none, .none, .none, .none] }
        var notes = ["Cost per outcome = the period's spend over the outcomes reported for it (POST /v1/outcomes), rounded to "
            + "the nano-dollar; Δ compares with \(period.previous)."]
        if grouping == .grant {
            notes.append("Grants nest: a request counts under every grant on its path, so the rows add up to more than TOTAL.")
        }
        return ReportTable(title: "Chargeback \(period), by \(grouping.rawValue)", columns: columns, rows: body, total: total,
                           notes: notes, meta: [
                               ("period", .string(period.description)), ("previous_period", .string(period.previous.description)),
                               ("from", .string(ReportTime.format(micros: period.fromMicros))),
                               ("to", .string(ReportTime.format(micros: period.toMicros))), ("by", .string(grouping.rawValue)),
                           ])
    }
}

/// Teams' outcome metrics and cost centres, from the config.
struct TeamDirectory {
    private var teams: [String: TeamConfig] = [:]

    init(_ config: TollgateConfig) {
        for org in config.orgs {
            for team in org.teams { teams["\(org.name)/\(team.name)"] = team }
        }
    }

    func team(org: String?, team: String?) -> TeamConfig? {
        guard let org, let team else { return nil }
        return teams["\(org)/\(team)"]
    }

    func outcomes(org: String?, team: String?) -> [String] { self.team(org: org, team: team)?.outcomes ?? [] }
    func costCenter(org: String?, team: String?) -> String? { self.team(org: org, team: team)?.costCenter }
}
