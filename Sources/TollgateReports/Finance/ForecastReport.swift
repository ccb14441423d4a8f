import TollgateConfig
import TollgateJSON
import TollgateUnits

/// `tollgate report forecast` and the dashboard's forecast-vs-actual
/// chart: per team, what it forecast and what it spent, for the period and
/// the ones before it, and the haircut the configured rule recommends for
/// a team that kept forecasting too high.
package struct ForecastReport: Equatable, Sendable {
    package struct Entry: Equatable, Sendable {
        package var period: ReportPeriod
        package var forecast: Forecast?
        package var actualNanos: Int64
        /// Actual over forecast, basis points.
        package var accuracy: Int64? { forecast.flatMap { FinanceMath.share(actualNanos, of: $0.amountNanos) } }
    }

    package struct Haircut: Equatable, Sendable {
        /// The overestimated periods that triggered it, oldest first.
        package var evidence: [Entry]
        /// What the cut applies to: next period's forecast, else the team's grant.
        package var baseNanos: Int64
        package var baseSource: String
        package var recommendedNanos: Int64
    }

    package struct TeamHistory: Equatable, Sendable {
        /// "org/team"
        package var team: String
        /// Oldest first; the last is the reported period.
        package var entries: [Entry]
        package var haircut: Haircut?
    }

    package var period: ReportPeriod
    package var rule: FinancePolicy.HaircutRule
    package var teams: [TeamHistory]

    package static func run(config: TollgateConfig, grants: GrantTable, ledgerPath: String, period: ReportPeriod, forecasts: [Forecast],
                            scope: FinanceScope = .everything) throws -> ForecastReport {
        let policy = config.finance
        let history = period.history(max(policy.historyPeriods, policy.haircut.periods))
        var actual: [String: [Int64]] = [:]
        for cell in try FinanceScan.spend(ledgerPath: ledgerPath, periods: history, dimensions: [FinanceScan.org, FinanceScan.team]) {
            guard let org = cell.keys[0], let team = cell.keys[1], scope.covers(org: org, team: team) else { continue }
            actual["\(org)/\(team)", default: Array(repeating: 0, count: history.count)][cell.period] += cell.totals.costNanos
        }
        var byTeam: [String: [String: Forecast]] = [:]
        for forecast in forecasts { byTeam[forecast.team, default: [:]][forecast.period] = forecast }
        var names: [String] = []
        for org in config.orgs {
            for team in org.teams where scope.covers(org: org.name, team: team.name) { names.append("\(org.name)/\(team.name)") }
        }
        for name in byTeam.keys.sorted() where !names.contains(name) {
            let parts = name.split(separator: "/").map(String.init)
            if parts.count == 2, scope.covers(org: parts[0], team: parts[1]) { names.append(name) }
        }
        var teams: [TeamHistory] = []
        for name in names {
            let spent = actual[name] ?? Array(repeating: 0, count: history.count)
            let entries = history.enumerated().map { i, p in
                Entry(period: p, forecast: byTeam[name]?[p.description], actualNanos: spent[i])
            }
            var team = TeamHistory(team: name, entries: entries)
            let recent = entries.suffix(policy.haircut.periods)
            let over = recent.allSatisfy { entry in
                guard let accuracy = entry.accuracy else { return false }
                return accuracy < Int64(policy.haircut.belowPercent) * 100
            }
            if over {
                var base: (Int64, String)?
                if let next = byTeam[name]?[period.next.description] {
                    base = (next.amountNanos, "the forecast for \(period.next) (\(Money.format(nanos: next.amountNanos)))")
                } else if let grant = Self.teamGrant(name, grants: grants) {
                    let amount = grant.buckets.reduce(Int64(0)) { Saturating.add($0, $1.amountNanos) }
                    base = (amount, "grant \(grant.id) (\(Money.format(nanos: amount)) \(grant.period.rawValue))")
                }
                if let (amount, source) = base {
                    team.haircut = Haircut(evidence: Array(recent), baseNanos: amount, baseSource: source,
                                           recommendedNanos: FinanceMath.percent(amount, Int64(100 - policy.haircut.cutPercent)))
                }
            }
            teams.append(team)
        }
        return ForecastReport(period: period, rule: policy.haircut, teams: teams)
    }

    /// The team-level grant of "org/team" (the first, when several).
    static func teamGrant(_ team: String, grants: GrantTable) -> Grant? {
        grants.grants.first { $0.scope.level == .team && "\($0.scope.org)/\($0.scope.team ?? "")" == team && !$0.isRevoked }
    }

    /// The haircut of "org/team", if the rule recommends one.
    package func haircut(of team: String) -> Haircut? { teams.first { $0.team == team }?.haircut }

    // MARK: the table

    package var table: ReportTable {
        let columns: [ReportTable.Column] = [
            .init("team"), .init("period"), .init("forecast"), .init("actual"), .init("accuracy"), .init("error"),
            .init("peak_multiplier", "peak"), .init("events"), .init("haircut_next_grant", "haircut → next grant"),
        ]
        var rows: [[ReportTable.Cell]] = []
        // Accuracy and error of the total: over the teams with a forecast.
        var totalForecast: Int64 = 0, totalActual: Int64 = 0, forecastedActual: Int64 = 0
        for team in teams {
            for (i, entry) in team.entries.enumerated() {
                let last = i == team.entries.count - 1
                let f = entry.forecast
                // Past periods with neither a forecast nor spend say nothing.
                if !last, f == nil, entry.actualNanos == 0 { continue }
                if last {
                    totalActual = Saturating.add(totalActual, entry.actualNanos)
                    if let f {
                        totalForecast = Saturating.add(totalForecast, f.amountNanos)
                        forecastedActual = Saturating.add(forecastedActual, entry.actualNanos)
                    }
                }
                rows.append([
                    .text(team.team), .text(entry.period.description), f.map { .money($0.amountNanos) } ?? .none, .money(entry.actualNanos),
                    entry.accuracy.map { .percent($0) } ?? .none, f.map { .money(entry.actualNanos - $0.amountNanos) } ?? .none,
                    f?.peakMultiplierHundredths.map { .text(Self.multiplier($0)) } ?? .none,
                    f.map { $0.events.isEmpty ? .none : .text($0.events.joined(separator: "; ")) } ?? .none,
                    last ? (team.haircut.map { .money($0.recommendedNanos) } ?? .none) : .none,
                ])
            }
        }
        var notes = ["Accuracy = actual over forecast; error = actual − forecast (in TOTAL: over the teams with a forecast). Rule: a team whose actuals stayed below "
            + "\(rule.belowPercent)% of its forecast for \(rule.periods) period(s) in a row gets a \(rule.cutPercent)% haircut on its next grant."]
        for team in teams {
            guard let h = team.haircut else { continue }
            let evidence = h.evidence.map { e in
                "\(e.period): \(Money.format(nanos: e.actualNanos)) of \(Money.format(nanos: e.forecast?.amountNanos ?? 0)) "
                    + "(\(ReportFormat.percent(e.accuracy ?? 0)))"
            }.joined(separator: ", ")
            notes.append("Haircut \(team.team): \(evidence) → \(h.baseSource) − \(rule.cutPercent)% = \(Money.format(nanos: h.recommendedNanos)).")
        }
        let total: [ReportTable.Cell] = [.text("TOTAL"), .text(period.description), .money(totalForecast), .money(totalActual),
                                         FinanceMath.share(forecastedActual, of: totalForecast).map { .percent($0) } ?? .none,
                                         totalForecast > 0 ? .money(forecastedActual - totalForecast) : .none, .none, .none, .none]
        return ReportTable(title: "Forecast vs actual, \(period) (with the \(teams.first?.entries.count ?? 0) periods to it)",
                           columns: columns, rows: rows, total: total, notes: notes, meta: [
                               ("period", .string(period.description)),
                               ("rule", .object(JSONObject([("below_percent", .int(Int64(rule.belowPercent))),
                                                            ("periods", .int(Int64(rule.periods))),
                                                            ("cut_percent", .int(Int64(rule.cutPercent)))]))),
                           ])
    }

    package static func multiplier(_ hundredths: Int64) -> String {
        let fraction = hundredths % 100
        return "\(hundredths / 100)" + (fraction == 0 ? "" : fraction % 10 == 0 ? ".\(fraction / 10)" : ".\(fraction < 10 ? "0" : "")\(fraction)") + "x"
    }
}
