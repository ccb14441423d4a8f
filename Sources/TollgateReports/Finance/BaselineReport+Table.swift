import TollgateConfig
import TollgateJSON
import TollgateUnits

extension BaselineReport {
    /// The report in the finance reports' shared shape (`--format table|csv|json|markdown`).
    package var table: ReportTable {
        let columns: [ReportTable.Column] = [
            .init("level"), .init("org"), .init("team"), .init("feature"), .init("days"), .init("active_days", "active"),
            .init("requests"), .init("refused"), .init("spend"), .init("mean_day", "mean/day"),
            .init("baseline_day", "baseline/day"), .init("p90_day", "p90 day"),
            .init("suggested_day", "suggested/day"), .init("suggested_month", "suggested/month"),
        ]
        func text(_ value: String?) -> ReportTable.Cell { value.map(ReportTable.Cell.text) ?? .none }
        let rows: [[ReportTable.Cell]] = lines.map { line in
            let money: [ReportTable.Cell] = line.stats.map { s in
                [.money(s.meanNanos), .money(s.medianNanos), .money(s.p90Nanos), .money(s.suggestedDailyNanos),
                 .money(s.suggestedMonthlyNanos)]
            } ?? Array(repeating: .none, count: 5)
            return [.text(line.level.rawValue), text(line.org), text(line.team),
                    line.level == .team ? .text("*") : text(line.feature), .integer(Int64(line.days)),
                    .integer(Int64(line.activeDays)), .integer(line.requests), .integer(line.refused),
                    .money(line.spendNanos)] + money
        }
        let features = lines.filter { $0.level == .feature }
        var spend: Int64 = 0
        for line in features { spend = Saturating.add(spend, line.spendNanos) }
        let total: [ReportTable.Cell] = [.text("TOTAL"), .none, .none, .none, .integer(Int64(days)), .none,
                                         .integer(features.reduce(0) { $0 + $1.requests }),
                                         .integer(features.reduce(0) { $0 + $1.refused }), .money(spend)]
            + Array(repeating: .none, count: 5)
        let from = ReportTime.format(micros: window.from)
        let to = ReportTime.format(micros: window.to)
        return ReportTable(
            title: "Baselines over the \(days) days from \(from) to \(to) (exclusive); suggested grant \(percent)% of the baseline day",
            columns: columns, rows: rows, total: total,
            notes: [
                "baseline/day is the median day of admitted spend, from the subject's first admitted request to the end of the window",
                "(days without traffic after that count as zero); mean and p90 are over the same days. Admitted: every ledger row",
                "but the refused (outcome rejected), which are counted apart: a refusal is demand the baseline did not see, so",
                "take the baseline from a window in which the budget ran in mode: observe.",
                "suggested/day = baseline/day x \(percent)% (finance.baseline_suggest_percent); suggested/month = suggested/day x "
                    + "\(Self.daysPerMonth). Rounded up to the nano-dollar.",
                "A team line (feature *) is the team's own days summed over its features: size the team's grant on it, and its",
                "feature grants on the feature lines (medians do not add: the features' suggestions need not sum to the team's).",
                "TOTAL counts the feature lines only: the window's admitted spend and requests, each row once.",
            ],
            meta: [("from", .string(from)), ("to", .string(to)), ("days", .int(Int64(days))),
                   ("suggest_percent", .int(Int64(percent))), ("days_per_month", .int(Self.daysPerMonth))])
    }
}
