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
        // Found by selection, not a sort: the same value as the sorted values' rank, with ties and runs.
        for count in [1, 2, 3, 19, 20, 21, 100, 1_001, 20_000] {
            for spread in [1, 3, 50, 1_000_000] {
                let values = (0..<count).map { _ in Int64.random(in: 0..<Int64(spread)) }
                let sorted = values.sorted()
                XCTAssertEqual(CapacityReport.percentile95(values), sorted[(95 * count + 99) / 100 - 1], "\(count) values < \(spread)")
                XCTAssertEqual(CapacityReport.percentile95(sorted), sorted[(95 * count + 99) / 100 - 1])
                XCTAssertEqual(CapacityReport.percentile95(sorted.reversed()), sorted[(95 * count + 99) / 100 - 1])
            }
        }
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

    /// Ledger schema 4's capacity index holds every column the report
    /// reads: a range is read through it (SQLite: COVERING INDEX, no sort)
    /// in time slices, whatever its size, and the answer is the one the
    /// table's rows give, and the one a ledger without the index (schema
    /// 3, not migrated yet) gives. Rows with NULL and '' keys, a model
    /// only requested, refusals, several providers, written out of order.
    func testTheCapacityIndexGivesTheRowsAnswer() throws {
        let ledger = try FinanceTestLedger()
        let day = FinanceTestTime.day
        var rows: [FinanceTestLedger.Row] = []
        for i in 0..<3_000 {
            let ts = start + Int64(i) * 86_000_000 + Int64(i % 11) * 3_000_000
            var row = FinanceTestLedger.Row(ts: ts, org: [nil, "acme", "", "beta"][i % 4], team: ["a", nil, "", "b", "c"][i % 5],
                                            provider: i % 7 == 0 ? nil : (i % 3 == 0 ? "anthropic" : "openai"),
                                            model: i % 13 == 0 ? nil : ["small", "large", "claude"][i % 3],
                                            tokensIn: Int64(i % 17 * 40), tokensOut: Int64(i % 5 * 25), tokensCached: Int64(i % 3 * 10))
            if i % 19 == 0 { row.outcome = "rejected" }
            if i % 23 == 0 { row.modelRequested = "large" }
            rows.append(row)
        }
        // Written out of time order by up to a few minutes, as requests that end late are.
        for i in stride(from: 0, to: rows.count - 3, by: 4) { rows.swapAt(i, i + 3) }
        try ledger.insert(rows)
        let range = LedgerTimeRange(from: start, to: start + 4 * day)
        let pools = [CapacityPool(provider: "openai", tpm: 2_000), CapacityPool(provider: "anthropic", model: "claude", tpm: 1_000)]

        let plan = try ledger.db.query("EXPLAIN QUERY PLAN " + CapacityScan.indexedQuery.sql(.time),
                                       [.integer(range.from), .integer(range.to)])
        XCTAssertEqual(plan.compactMap { $0.last?.string }, ["SEARCH ledger USING COVERING INDEX ledger_capacity (ts_us>? AND ts_us<?)"])
        XCTAssertEqual(try CapacityScan.query(forLedgerAt: ledger.path).covering, "ledger_capacity")
        let whole = try LedgerScan(path: ledger.path).plan(range, slices: nil, covered: true)
        XCTAssertEqual(whole.kind, .time, "the whole ledger, read through the index")

        let fromRows = try CapacityReport.run(ledgerAt: ledger.path, range: range, pools: pools, slices: 1, prefer: .rows, indexed: false)
        XCTAssertEqual(fromRows.teams.count, 20)
        XCTAssertGreaterThan(fromRows.aggregates.last!.usage.activeMinutes, 2_500)
        for slices in [nil, 1, 3, 8] {
            XCTAssertEqual(try CapacityReport.run(ledgerAt: ledger.path, range: range, pools: pools, slices: slices), fromRows,
                           "indexed, \(slices.map(String.init) ?? "default") slices")
            XCTAssertEqual(try CapacityReport.run(ledgerAt: ledger.path, range: range, pools: pools, slices: slices, indexed: false),
                           fromRows, "the rows, \(slices.map(String.init) ?? "default") slices")
        }
        let part = LedgerTimeRange(from: start + day / 3, to: start + 2 * day + 7)
        XCTAssertEqual(try CapacityReport.run(ledgerAt: ledger.path, range: part, pools: pools),
                       try CapacityReport.run(ledgerAt: ledger.path, range: part, pools: pools, prefer: .time, indexed: false))

        // A ledger of schema 3 has no capacity index: read by rows, the same answer.
        try ledger.db.execute("DROP INDEX ledger_capacity")
        XCTAssertNil(try CapacityScan.query(forLedgerAt: ledger.path).covering)
        XCTAssertEqual(try CapacityReport.run(ledgerAt: ledger.path, range: range, pools: pools), fromRows)
    }

    /// A range read through the capacity index is cut into time slices of
    /// about as many rows each, not equal spans of time: traffic that grows
    /// (here: falls) over the range would leave one core most of the work.
    func testIndexedSlicesHoldAboutAsManyRowsEach() throws {
        let ledger = try FinanceTestLedger()
        // Row i at minute i^2/400: the first quarter of the time holds half the rows.
        try ledger.insert((0..<2_000).map { i in
            FinanceTestLedger.Row(ts: start + Int64(i * i / 400) * minute + Int64(i % 50) * 1_000_000, tokensIn: 10)
        })
        let range = LedgerTimeRange(from: start, to: start + 20 * FinanceTestTime.day)
        let plan = try LedgerScan(path: ledger.path).plan(range, slices: 4, covered: true)
        XCTAssertEqual(plan.kind, .time)
        XCTAssertEqual(plan.slices.count, 4)
        XCTAssertEqual(plan.slices.first?.0, start)
        for (a, b) in zip(plan.slices, plan.slices.dropFirst()) {
            XCTAssertEqual(a.1, b.0)
            XCTAssertEqual(b.0 % minute, 0)
        }
        let rows = try plan.slices.map { slice in
            try ledger.db.query("SELECT count(*) FROM ledger WHERE ts_us >= ?1 AND ts_us < ?2", [.integer(slice.0), .integer(slice.1)])
                .first?.first?.int64 ?? 0
        }
        XCTAssertEqual(rows.reduce(0, +), 2_000, "every row in one slice")
        for count in rows { XCTAssertTrue((400...600).contains(count), "\(rows)") }
        let equalTime = LedgerScan.slices(of: LedgerTimeRange(from: start, to: plan.slices.last!.1), count: 4)
        let first = try ledger.db.query("SELECT count(*) FROM ledger WHERE ts_us < ?1", [.integer(equalTime[0].to)]).first?.first?.int64
        XCTAssertGreaterThan(first ?? 0, 900, "equal spans of time would not be")
        XCTAssertEqual(try CapacityReport.run(ledgerAt: ledger.path, range: range, pools: [], slices: 4),
                       try CapacityReport.run(ledgerAt: ledger.path, range: range, pools: [], slices: 1, indexed: false))
    }
}
