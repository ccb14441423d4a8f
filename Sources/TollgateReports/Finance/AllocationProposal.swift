import TollgateConfig
import TollgateJSON
import TollgateUnits

/// `tollgate allocation propose --period next`: next period's grants from
/// trailing usage, the teams' forecasts (after any haircut) and the grants'
/// priorities, as a diff against the current allocation table. A proposal
/// only: nothing is applied (docs/finance.md).
///
/// Per grant whose period matches the proposal's (monthly grants for a
/// month, quarterly for a quarter; the others are listed unchanged):
/// - a team grant with a forecast for the period: the forecast, less the
///   haircut the forecast rule recommends;
/// - otherwise, with spend in the trailing periods: their average ×
///   `finance.baseline_suggest_percent` (headroom);
/// - otherwise: unchanged.
/// Then, from the root down, children that add up to more than their
/// parent's proposal are cut to fit, the cut shared in proportion to each
/// child's proposal × its priority number (priority 1 is cut least).
package struct AllocationProposal: Equatable, Sendable {
    package struct Line: Equatable, Sendable {
        package var grant: String
        package var owner: String
        package var scope: String
        package var period: GrantPeriod
        package var currentNanos: Int64
        package var proposedNanos: Int64
        package var trailingNanos: Int64?
        package var forecastNanos: Int64?
        package var priority: Int
        /// How the proposal was reached.
        package var basis: String
    }

    package var period: ReportPeriod
    package var trailingPeriods: [ReportPeriod]
    package var lines: [Line]

    package static func run(config: TollgateConfig, grants: GrantTable, ledgerPath: String, period: ReportPeriod,
                            forecasts: [Forecast]) throws -> AllocationProposal {
        let policy = config.finance
        let trailing = period.previous.history(min(3, policy.historyPeriods))
        var spent: [String: Int64] = [:]
        for cell in try FinanceScan.spend(ledgerPath: ledgerPath, periods: trailing, dimensions: [ReportDimension.grant]) {
            guard let id = cell.keys[0] else { continue }
            spent[id] = Saturating.add(spent[id] ?? 0, cell.totals.costNanos)
        }
        // The haircut rule, judged on the periods before the proposal's.
        let forecastReport = try ForecastReport.run(config: config, grants: grants, ledgerPath: ledgerPath, period: period.previous,
                                                    forecasts: forecasts)
        let matching: GrantPeriod?
        switch period.kind {
        case .month: matching = .monthly
        case .quarter: matching = .quarterly
        case .range: matching = nil
        }
        var lines: [Line] = []
        for grant in grants.grants where !grant.isRevoked {
            let current = grant.buckets.reduce(Int64(0)) { Saturating.add($0, $1.amountNanos) }
            var line = Line(grant: grant.id, owner: grant.owner, scope: grant.scope.description, period: grant.period,
                            currentNanos: current, proposedNanos: current, trailingNanos: nil, forecastNanos: nil,
                            priority: grant.rationale.priority ?? 3, basis: "")
            guard grant.period == matching else {
                line.basis = "\(grant.period.rawValue) grant: not proposed for \(period)"
                lines.append(line)
                continue
            }
            if let s = spent[grant.id] { line.trailingNanos = FinanceMath.divide(s, Int64(trailing.count)) }
            let team = grant.scope.level == .team ? "\(grant.scope.org)/\(grant.scope.team ?? "")" : nil
            let forecast = team.flatMap { t in forecasts.last { $0.team == t && $0.period == period.description } }
            if let forecast {
                line.forecastNanos = forecast.amountNanos
                if let team, let haircut = forecastReport.haircut(of: team) {
                    line.proposedNanos = FinanceMath.percent(forecast.amountNanos, Int64(100 - forecastReport.rule.cutPercent))
                    line.basis = "forecast \(Money.format(nanos: forecast.amountNanos)) − \(forecastReport.rule.cutPercent)% haircut "
                        + "(\(haircut.evidence.count) period(s) under \(forecastReport.rule.belowPercent)% of forecast)"
                } else {
                    line.proposedNanos = forecast.amountNanos
                    line.basis = "forecast for \(period)"
                }
            } else if let t = line.trailingNanos, t > 0 {
                line.proposedNanos = FinanceMath.percent(t, Int64(policy.baselineSuggestPercent))
                line.basis = "trailing \(Money.format(nanos: t))/period × \(policy.baselineSuggestPercent)%"
            } else {
                line.basis = "no spend in \(trailing.first!)..\(trailing.last!) and no forecast: unchanged"
            }
            lines.append(line)
        }
        fitChildren(&lines, grants: grants)
        return AllocationProposal(period: period, trailingPeriods: trailing, lines: lines)
    }

    /// From the root down: children whose proposals add up to more than
    /// their parent's are cut to fit, weighted by proposal × priority.
    static func fitChildren(_ lines: inout [Line], grants: GrantTable) {
        let order = grants.grants.indices.sorted { grants.depths[$0] < grants.depths[$1] }
        for parent in order {
            let children = grants.children(of: parent).filter { lines[$0].period == lines[parent].period && !grants.grants[$0].isRevoked }
            guard !children.isEmpty else { continue }
            let sum = children.reduce(Int64(0)) { Saturating.add($0, lines[$1].proposedNanos) }
            let room = lines[parent].proposedNanos
            guard sum > room else { continue }
            var cut = sum - room
            // Share the cut by proposal × priority, capped at each proposal; repeat for what a cap left over.
            var open = children
            while cut > 0, !open.isEmpty {
                let weights = open.map { Saturating.multiply(lines[$0].proposedNanos, Int64(max(1, lines[$0].priority))) }
                let total = weights.reduce(Int64(0), Saturating.add)
                guard total > 0 else { break }
                var taken: Int64 = 0
                for (i, child) in open.enumerated() {
                    var share = Saturating.multiplyDivide(cut, weights[i], total)
                    if i == open.count - 1 { share = max(share, cut - taken - 0) }
                    share = min(share, lines[child].proposedNanos, cut - taken)
                    lines[child].proposedNanos -= share
                    taken += share
                }
                cut -= taken
                open = open.filter { lines[$0].proposedNanos > 0 }
                if taken == 0 { break }
            }
            for child in children {
                lines[child].basis += "; cut to fit \(lines[parent].grant) (\(Money.format(nanos: room)))"
            }
        }
    }

    package var table: ReportTable {
        let columns: [ReportTable.Column] = [
            .init("grant"), .init("owner"), .init("period"), .init("current"), .init("proposed"), .init("change"),
            .init("change_percent", "change %"), .init("trailing"), .init("forecast"), .init("priority"), .init("basis"),
        ]
        let rows: [[ReportTable.Cell]] = lines.map { l in
            [.text(l.grant), .text(l.owner), .text(l.period.rawValue), .money(l.currentNanos), .money(l.proposedNanos),
             .money(l.proposedNanos - l.currentNanos), FinanceMath.change(from: l.currentNanos, to: l.proposedNanos).map { .percent($0) } ?? .none,
             l.trailingNanos.map { .money($0) } ?? .none, l.forecastNanos.map { .money($0) } ?? .none, .integer(Int64(l.priority)),
             .text(l.basis)]
        }
        return ReportTable(title: "Proposed allocation for \(period) (a proposal: nothing is applied)", columns: columns, rows: rows,
                           notes: ["Trailing = average spend per period over \(trailingPeriods.first!)..\(trailingPeriods.last!). "
                                   + "Apply a line by editing the grant in the config (config grants) or with `tollgate grant update` (minted grants)."],
                           meta: [("period", .string(period.description)), ("applied", .bool(false))])
    }
}
