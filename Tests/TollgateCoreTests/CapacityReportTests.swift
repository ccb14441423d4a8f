import XCTest
@testable import TollgateConfig
@testable import TollgateReports

final class CapacityReportTests: XCTestCase {
    let minute = FinanceTestTime.minute
    let start = FinanceTestTime.november

    /// Two teams of acme whose peaks fall in different minutes, one team
    /// of beta on another provider, a refusal (no tokens), written newest
    /// first so the ledger's row order is not time order.
    func makeLedger() throws -> FinanceTestLedger {
        let ledger = try FinanceTestLedger()
        func at(_ m: Int64, _ second: Int64 = 0) -> Int64 { start + m * minute + second * 1_000_000 }
        var rows: [FinanceTestLedger.Row] = [
            .init(ts: at(0, 10), team: "payments", tokensIn: 60, tokensOut: 40),
            .init(ts: at(1, 1), team: "payments", tokensIn: 300, tokensOut: 100, tokensCached: 200),
            .init(ts: at(1, 59), team: "payments", tokensIn: 300, tokensOut: 100),
            .init(ts: at(5), team: "payments", tokensIn: 200),
            .init(ts: at(1, 30), team: "search", tokensOut: 100),
            .init(ts: at(2, 0), team: "search", tokensIn: 450),
            .init(ts: at(2, 30), team: "search", tokensIn: 450),
            .init(ts: at(5, 20), team: "search", tokensOut: 50),
            .init(ts: at(3, 3), org: "beta", team: "ml", provider: "anthropic", model: "claude", tokensIn: 4_000, tokensOut: 1_000),
            .init(ts: at(4), team: "payments", outcome: "rejected"),
        ]
        rows.reverse()
        try ledger.insert(rows)
        return ledger
    }

    func testTeamPeaksAgainstTheAggregateAndThePools() throws {
        let ledger = try makeLedger()
        let range = LedgerTimeRange(from: start, to: start + 10 * minute)
        let pools = [CapacityPool(provider: "openai", model: "small", tpm: 1_000),
                     CapacityPool(provider: "anthropic", tpm: 10_000),
                     CapacityPool(provider: "openai", model: "large", tpm: 5)]
        let report = try CapacityReport.run(ledgerAt: ledger.path, range: range, pools: pools, slices: 1)

        XCTAssertEqual(report.teams.map { "\($0.org!)/\($0.team!)" }, ["acme/payments", "acme/search", "beta/ml"])
        let payments = report.teams[0].usage
        XCTAssertEqual(payments.peakTPM, 1_000)  // minute 1: 600 + 400, cached input included
        XCTAssertEqual(payments.peakAtMicros, start + minute)
        XCTAssertEqual(payments.activeMinutes, 3)
        XCTAssertEqual(payments.tokens, 1_300)
        XCTAssertNil(payments.p95TPM)
        XCTAssertEqual(report.teams[1].usage.peakTPM, 900)
        XCTAssertEqual(report.teams[1].usage.peakAtMicros, start + 2 * minute)

        // acme's minutes: 100, 1100, 900, 250 -> peak 1100, p95 1100; its teams' peaks add up to 1900.
        let acme = try XCTUnwrap(report.aggregates.first { $0.org == "acme" })
        XCTAssertEqual(acme.usage.peakTPM, 1_100)
        XCTAssertEqual(acme.usage.peakAtMicros, start + minute)
        XCTAssertEqual(acme.usage.p95TPM, 1_100)
        XCTAssertEqual(acme.usage.activeMinutes, 4)
        XCTAssertEqual(acme.sumOfTeamPeaks, 1_900)
        let gateway = try XCTUnwrap(report.aggregates.last)
        XCTAssertTrue(gateway.isGateway)
        XCTAssertEqual(gateway.usage.peakTPM, 5_000)
        XCTAssertEqual(gateway.usage.activeMinutes, 5)
        XCTAssertEqual(gateway.sumOfTeamPeaks, 6_900)
        XCTAssertEqual(gateway.usage.tokens, 7_350)

        XCTAssertEqual(report.pools.map(\.usage.peakTPM), [1_100, 5_000, 0])
        XCTAssertEqual(report.pools.map(\.usage.activeMinutes), [4, 1, 0])
        let table = report.table
        XCTAssertTrue(table.notes.contains { $0.contains("Pool openai/small: the p95 (1100 TPM) is above its capacity (1000 TPM)") },
                      "\(table.notes)")
        let csv = ReportFormat.csv.render(table)
        XCTAssertTrue(csv.contains("org,acme,1100,2026-11-01T00:01:00Z,1100,1900,172.72,,,,4,2350\r\n"), csv)
        XCTAssertTrue(csv.contains("pool,anthropic/*,5000,2026-11-01T00:03:00Z,5000,,,10000,50,50,1,5000\r\n"), csv)

        // Read through the index in time slices, or in table order in rowid
        // slices (a minute then spans slices: it stays open until they merge),
        // the figures are the same.
        for kind in [LedgerScan.Plan.Kind.time, .rows] {
            for slices in [1, 2, 4, 10] {
                XCTAssertEqual(try CapacityReport.run(ledgerAt: ledger.path, range: range, pools: pools, slices: slices, prefer: kind),
                               report, "\(kind), \(slices) slices")
            }
        }
    }

    /// A row written more than the ring's window after later rows (a day):
    /// the table-order pass notices and the range is read again in time order.
    func testARowLaterThanTheWindowFallsBackToTimeOrder() throws {
        let ledger = try FinanceTestLedger()
        let day = FinanceTestTime.day
        var rows: [FinanceTestLedger.Row] = []
        for i in 0..<400 {
            rows.append(.init(ts: start + Int64(i) * 10 * minute + Int64(i % 7) * 1_000_000, team: ["a", "b", "c"][i % 3],
                              tokensIn: Int64(100 + i % 13 * 50)))
        }
        // Minute 1980 (row 198, a's: 100 + 3 x 50 tokens) gets 10,000 more, a day later.
        rows.append(.init(ts: start + 1_980 * minute + 5, team: "a", tokensIn: 10_000))
        try ledger.insert(rows)
        let range = LedgerTimeRange(from: start, to: start + 3 * day)
        let timeOrder = try CapacityReport.run(ledgerAt: ledger.path, range: range, pools: [], slices: 1, prefer: .time)
        XCTAssertEqual(timeOrder.teams.first { $0.team == "a" }?.usage.peakTPM, 10_250)
        XCTAssertEqual(timeOrder.teams.first { $0.team == "a" }?.usage.peakAtMicros, start + 1_980 * minute)
        // In one table-order slice the late row finds its minute closed: the merge refuses it.
        let oneSlice = try LedgerScan(path: ledger.path).scanSlices(
            CapacityScan.query, range: range, slices: 1, prefer: .rows, makeState: { CapacityScan(pools: []) },
            row: { state, row in state.add(row) })
        XCTAssertTrue(oneSlice[0].disordered)
        XCTAssertNil(CapacityReport(range: range, pools: [], slices: oneSlice))
        for slices in [1, 3] {
            XCTAssertEqual(try CapacityReport.run(ledgerAt: ledger.path, range: range, pools: [], slices: slices, prefer: .rows),
                           timeOrder)
        }
    }

    func testPercentileIsNearestRankOverTheMinutesGiven() {
        XCTAssertEqual(CapacityReport.percentile95(Array(1...100).map(Int64.init)), 95)
        XCTAssertEqual(CapacityReport.percentile95(Array(1...20).map(Int64.init).shuffled()), 19)
        XCTAssertEqual(CapacityReport.percentile95([42]), 42)
        XCTAssertEqual(CapacityReport.percentile95([]), 0)
    }

    func testSlicesCoverTheRangeAndCutOnWholeMinutes() {
        let range = LedgerTimeRange(from: start + 17, to: start + 3 * FinanceTestTime.day + 5)
        let slices = LedgerScan.slices(of: range, count: 7)
        XCTAssertEqual(slices.count, 7)
        XCTAssertEqual(slices.first?.from, range.from)
        XCTAssertEqual(slices.last?.to, range.to)
        for (a, b) in zip(slices, slices.dropFirst()) {
            XCTAssertEqual(a.to, b.from)
            XCTAssertEqual(b.from % minute, 0)
            XCTAssertLessThan(b.from, b.to)
        }
        XCTAssertEqual(LedgerScan.slices(of: LedgerTimeRange(from: start, to: start + 30_000_000), count: 4).count, 1)
        XCTAssertEqual(LedgerScan.slices(of: LedgerTimeRange(from: start, to: start), count: 4), [])
        XCTAssertEqual(LedgerScan.slices(of: LedgerTimeRange(from: 0, to: Int64.max), count: 3).count, 3)
    }
}
