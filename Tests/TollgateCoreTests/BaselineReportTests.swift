import XCTest
@testable import TollgateReports

final class BaselineReportTests: XCTestCase {
    let day = FinanceTestTime.day
    let start = FinanceTestTime.november

    /// Ten days of a team: a tagged feature that starts on day 2 (with a
    /// quiet day 4 and refusals), an untagged trickle on days 0 and 1,
    /// rows just outside the window, and a team that was only refused.
    func makeLedger() throws -> FinanceTestLedger {
        let ledger = try FinanceTestLedger()
        var rows: [FinanceTestLedger.Row] = []
        let search: [Int: [Int64]] = [2: [60, 40], 3: [300], 5: [50], 6: [200], 7: [200], 8: [150, 50], 9: [1_000]]
        for (index, costs) in search {
            for (i, cost) in costs.enumerated() {
                rows.append(.init(ts: start + Int64(index) * day + Int64(i) * 3_600_000_000, feature: "search", tokensIn: 10,
                                  cost: cost))
            }
        }
        for _ in 0..<3 { rows.append(.init(ts: start + 4 * day + 5, feature: "search", outcome: "rejected")) }
        rows.append(.init(ts: start + 1, cost: 7))
        rows.append(.init(ts: start + day + 1, cost: 8))
        rows.append(.init(ts: start - 1, feature: "search", cost: 1_000_000))
        rows.append(.init(ts: start + 10 * day, feature: "search", cost: 1_000_000))
        rows.append(.init(ts: start + 3 * day, org: "beta", team: "ml", feature: "train", outcome: "rejected"))
        try ledger.insert(rows)
        return ledger
    }

    func testMedianDayOverTheDaysSinceTheFirstAdmittedRequest() throws {
        let ledger = try makeLedger()
        let window = BaselineReport.window(days: 10, endingAt: start + 10 * day + 12 * 3_600_000_000)
        XCTAssertEqual(window, LedgerTimeRange(from: start, to: start + 10 * day))
        let report = try BaselineReport.run(ledgerAt: ledger.path, window: window, percent: 140, slices: 1)
        XCTAssertEqual(report.days, 10)

        let search = try XCTUnwrap(report.lines.first { $0.feature == "search" })
        // Days 2...9: 100, 300, 0, 50, 200, 200, 200, 1000.
        XCTAssertEqual(search.days, 8)
        XCTAssertEqual(search.activeDays, 7)
        XCTAssertEqual(search.requests, 9)
        XCTAssertEqual(search.refused, 3)
        XCTAssertEqual(search.spendNanos, 2_050)
        XCTAssertEqual(search.stats, BaselineReport.Stats(meanNanos: 257, medianNanos: 200, p90Nanos: 1_000,
                                                          suggestedDailyNanos: 280, suggestedMonthlyNanos: 8_400))

        let untagged = try XCTUnwrap(report.lines.first { $0.level == .feature && $0.team == "payments" && $0.feature == nil })
        XCTAssertEqual(untagged.days, 10)
        XCTAssertEqual(untagged.stats?.medianNanos, 0)
        XCTAssertEqual(untagged.stats?.meanNanos, 2)  // 15 / 10, rounded up
        XCTAssertEqual(untagged.stats?.p90Nanos, 7)

        // The team's own days: 7, 8, 100, 300, 0, 50, 200, 200, 200, 1000.
        let team = try XCTUnwrap(report.lines.first { $0.level == .team && $0.team == "payments" })
        XCTAssertEqual(report.lines.first, team)
        XCTAssertEqual(team.days, 10)
        XCTAssertEqual(team.spendNanos, 2_065)
        XCTAssertEqual(team.stats?.medianNanos, 150)
        XCTAssertEqual(team.stats?.suggestedDailyNanos, 210)
        XCTAssertEqual(team.stats?.suggestedMonthlyNanos, 6_300)

        // Only refused: no baseline, but the refusals show.
        let ml = try XCTUnwrap(report.lines.first { $0.level == .feature && $0.team == "ml" })
        XCTAssertNil(ml.stats)
        XCTAssertEqual(ml.refused, 1)
        XCTAssertEqual(ml.days, 0)

        // The total is the window's admitted spend, exactly.
        let total = try XCTUnwrap(report.table.total)
        XCTAssertEqual(total[8], .money(2_065))
        XCTAssertEqual(total[8], .money(try ledger.costSum(from: window.from, to: window.to)))

        // Slices read in parallel, by time or by rowid, give the same report.
        for kind in [LedgerScan.Plan.Kind.time, .rows] {
            XCTAssertEqual(try BaselineReport.run(ledgerAt: ledger.path, window: window, percent: 140, slices: 4, prefer: kind), report)
        }
    }

    func testPercentAndRoundingUp() throws {
        XCTAssertEqual(BaselineReport.stats([1, 2], percent: 140)?.medianNanos, 2)
        XCTAssertEqual(BaselineReport.stats([3], percent: 133)?.suggestedDailyNanos, 4)  // 3.99 -> 4
        XCTAssertEqual(BaselineReport.stats([100], percent: 150)?.suggestedDailyNanos, 150)
        XCTAssertNil(BaselineReport.stats([], percent: 140))
        let large = Int64.max / 2
        XCTAssertEqual(BaselineReport.stats([large], percent: 300)?.suggestedDailyNanos, Int64.max)
        XCTAssertEqual(BaselineReport.ceilMultiplyDivide(10, 1, 3), 4)
        XCTAssertEqual(BaselineReport.ceilMultiplyDivide(9, 1, 3), 3)
    }

    func testTableFormats() throws {
        let ledger = try makeLedger()
        let window = LedgerTimeRange(from: start, to: start + 10 * day)
        let table = try BaselineReport.run(ledgerAt: ledger.path, window: window, percent: 130).table
        XCTAssertTrue(table.title.contains("130%"), table.title)
        let csv = ReportFormat.csv.render(table)
        let header = try XCTUnwrap(csv.split(separator: "\r\n").first)
        XCTAssertTrue(header.hasPrefix("level,org,team,feature,days,active_days,requests,refused,spend,spend_nanos,"), String(header))
        XCTAssertTrue(csv.contains("feature,acme,payments,search,8,7,9,3,0.00000205,2050,"), csv)
        XCTAssertFalse(csv.contains("TOTAL"))
        XCTAssertTrue(ReportFormat.table.render(table).contains("TOTAL"))
    }
}
