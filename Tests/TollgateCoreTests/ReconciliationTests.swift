import Foundation
import TollgateJSON
import TollgateSQLite
import XCTest
@testable import TollgateConfig
@testable import TollgateReports
import TollgateUnits

/// The comparison of the ledger with a provider's report: planted drift and
/// unattributed spend found, matched cells within the tolerance, dated
/// snapshot names mapped through the catalog, and totals equal to the
/// ledger to the nano-dollar.
final class ReconciliationTests: XCTestCase {
    let nov1Micros: Int64 = 1_793_491_200 * 1_000_000
    let dayMicros: Int64 = 86_400_000_000
    var nov1: Int64 { nov1Micros / dayMicros }

    /// A ledger in the real schema with rows of several providers.
    final class Ledger {
        let path = "/tmp/tollgate-reconcile-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sqlite"
        let db: SQLiteDatabase
        private var next = 0

        init() throws {
            db = try SQLiteDatabase(path: path)
            try db.execute(LedgerFile.createStatements)
        }

        deinit { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }

        func insert(ts: Int64, provider: String, model: String?, requested: String = "x", cost: Int64,
                    tokens: (Int64, Int64, Int64) = (0, 0, 0), outcome: String = "success") throws {
            next += 1
            let statement = try db.prepare("""
                INSERT INTO ledger (ts_us, request_id, provider, model_requested, model_served, tokens_in, tokens_cached,
                  tokens_out, cost_nanos, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                """)
            try statement.run([.integer(ts), .text("req-\(next)"), .text(provider), .text(model ?? requested),
                               model.map(SQLiteValue.text) ?? .null, .integer(tokens.0), .integer(tokens.1), .integer(tokens.2),
                               .integer(cost), .text(outcome)])
        }

        func sum(_ condition: String) throws -> Int64 {
            try db.query("SELECT COALESCE(SUM(cost_nanos), 0) FROM ledger WHERE \(condition)")[0][0].int64 ?? -1
        }
    }

    var catalog: ModelCatalog {
        let price = Price(inputPerMTokNanos: 1, outputPerMTokNanos: 1)
        return ModelCatalog(entries: [
            ModelEntry(name: "small", provider: .openai, upstreamModel: "gpt-4o-mini", price: price),
            ModelEntry(name: "large", provider: .openai, upstreamModel: "gpt-4o-2024-08-06", price: price),
            ModelEntry(name: "medium", provider: .openai, upstreamModel: "gpt-4.1", price: price),
            ModelEntry(name: "fast", provider: .openai, upstreamModel: "shared-model", price: price),
            ModelEntry(name: "cheap", provider: .openai, upstreamModel: "shared-model", price: price),
            ModelEntry(name: "claude", provider: .anthropic, upstreamModel: "gpt-4.1", price: price),
        ])
    }

    func testModelMapUsesTheCatalog() {
        let map = ProviderModelMap(catalog: catalog, provider: .openai)
        XCTAssertEqual(map.label(forProvider: "gpt-4o-mini-2024-07-18"), "small", "a dated snapshot of an undated upstream")
        XCTAssertEqual(map.label(forProvider: "gpt-4o-2024-08-06"), "large")
        XCTAssertEqual(map.label(forProvider: "gpt-4o-2024-11-20"), "large", "another snapshot of gpt-4o")
        XCTAssertEqual(map.label(forProvider: "gpt-4.1-2025-04-14"), "medium", "only this provider's entries")
        XCTAssertEqual(map.label(forProvider: "shared-model"), "cheap+fast", "public names sharing an upstream are one")
        XCTAssertEqual(map.label(forLedger: "fast"), "cheap+fast")
        XCTAssertEqual(map.label(forProvider: "o3-2025-04-16"), "o3-2025-04-16", "unknown: the provider's name")
        XCTAssertEqual(ProviderModelMap.undated("claude-sonnet-4-5-20250929"), "claude-sonnet-4-5")
        XCTAssertEqual(ProviderModelMap.undated("claude-3-5-sonnet-latest"), "claude-3-5-sonnet")
        XCTAssertEqual(ProviderModelMap.undated("gpt-4o"), "gpt-4o")
    }

    /// Planted: 10% drift on `large` on Nov 2, a bypass (o3, never seen by
    /// the gateway) on Nov 2, a ledger-only cell, and a cell off by less
    /// than the tolerance. Anthropic rows and rows without cost stay out.
    func testPlantedDriftAndUnattributedSpend() throws {
        let ledger = try Ledger()
        let d1 = nov1Micros + 3_600_000_000, d2 = d1 + dayMicros, d3 = d2 + dayMicros
        // Odd nano amounts, several rows per cell: totals must stay exact.
        var smallDay1: Int64 = 0
        for i in 0..<7 {
            let cost = Int64(1_000_003 + i * 7_919)
            smallDay1 += cost
            try ledger.insert(ts: d1 + Int64(i), provider: "openai", model: "small", cost: cost, tokens: (10, 2, 5))
        }
        try ledger.insert(ts: d1, provider: "openai", model: nil, requested: "small", cost: 0, outcome: "rejected")
        try ledger.insert(ts: d2, provider: "openai", model: "large", cost: 50_000_001)
        try ledger.insert(ts: d2 + 1, provider: "openai", model: "large", cost: 49_999_999)
        try ledger.insert(ts: d2, provider: "openai", model: "medium", cost: 1_000_000_000)
        try ledger.insert(ts: d3, provider: "openai", model: "fast", cost: 333)
        try ledger.insert(ts: d1, provider: "anthropic", model: "claude", cost: 777_777)
        try ledger.insert(ts: nov1Micros - 1, provider: "openai", model: "small", cost: 5, tokens: (1, 0, 1))  // October

        let day = nov1
        let report = try ProviderReport(provider: .openai, source: "test", cells: [
            ProviderReport.Cell(day: day, model: "gpt-4o-mini-2024-07-18", costNanos: smallDay1,
                                tokens: ProviderReport.Tokens(input: 70, cached: 14, output: 35)),
            ProviderReport.Cell(day: day + 1, model: "gpt-4o-2024-08-06", costNanos: 110_000_000),
            ProviderReport.Cell(day: day + 1, model: "o3-2025-04-16", costNanos: 2_500_000_007),
            ProviderReport.Cell(day: day + 1, model: "gpt-4.1", costNanos: 1_009_000_000),  // +0.89%: within 1%
            ProviderReport.Cell(day: day + 40, model: "gpt-4.1", costNanos: 99),  // outside the range
        ])
        let from = nov1Micros, to = nov1Micros + 30 * dayMicros
        let cells = try ReconciliationLedger.cells(ledgerAt: ledger.path, fromMicros: from, toMicros: to, provider: .openai)
        XCTAssertFalse(cells.contains { $0.model == "claude" }, "another provider's rows")
        let result = try Reconciliation.compare(ledger: cells, report: report, models: ProviderModelMap(catalog: catalog, provider: .openai),
                                                toleranceBasisPoints: 100, fromMicros: from, toMicros: to)
        let summary = result.cells.map { "\(UTCCalendar.day($0.day * 86_400)) \($0.model) \($0.status.rawValue) \($0.driftNanos)" }
        XCTAssertEqual(summary, [
            "2026-11-01 small matched 0",
            "2026-11-02 large drift 10000000",
            "2026-11-02 medium matched 9000000",
            "2026-11-02 o3-2025-04-16 unattributed 2500000007",
            "2026-11-03 cheap+fast ledger_only -333",
        ])
        XCTAssertEqual(result.cells[1].driftBasisPoints, 909, "10,000,000 of 110,000,000 is 9.09%")
        XCTAssertEqual(result.cells[0].ledgerTokens, 119)
        XCTAssertEqual(result.cells[0].providerTokens, 119)
        XCTAssertEqual(result.cells[0].providerModels, ["gpt-4o-mini-2024-07-18"])
        XCTAssertNil(result.cells[4].driftBasisPoints, "no provider figure to take a percentage of")

        let total = try result.total()
        XCTAssertEqual(total.ledger, try ledger.sum("provider = 'openai' AND ts_us >= \(from) AND ts_us < \(to)"),
                       "the ledger side is the ledger, to the nano-dollar")
        XCTAssertEqual(total.provider, smallDay1 + 110_000_000 + 2_500_000_007 + 1_009_000_000)
        XCTAssertEqual(try result.total(.unattributed).provider, 2_500_000_007)

        let table = try result.table(period: ReportPeriod(.month(2026, 11)))
        XCTAssertEqual(table.total?[2], .money(total.ledger))
        XCTAssertEqual(table.total?[7], .integer(119 + 0 + 0 + 0), "ledger tokens of the cells the ledger has")
        XCTAssertEqual(table.total?[8], ReportTable.Cell.none, "not every provider cell has tokens")
        XCTAssertTrue(table.notes[0].hasPrefix("Cells: 2 matched, 1 drift, 1 unattributed, 1 ledger_only."), table.notes[0])
        XCTAssertTrue(table.title.hasPrefix("OpenAI reconciliation, 2026-11 (2026-11-01 to 2026-12-01, exclusive)"), table.title)
        let text = ReportFormat.table.render(table)
        XCTAssertTrue(text.contains("Unattributed: $2.500000007 in 1 day-model cell(s) — spend on the provider account the gateway "
            + "never saw: a bypass to chase"), text)
        XCTAssertTrue(text.contains("gpt-4o-mini-2024-07-18 -> small"), text)
        XCTAssertTrue(text.contains("2026-11-02  large"), text)
        let json = try JSONValue.parse(Array(ReportFormat.json.render(table).utf8))
        XCTAssertEqual(json["unattributed_nanos"]?.int64Value, 2_500_000_007)
        XCTAssertEqual(json["rows"]?[1]?["drift_nanos"]?.int64Value, 10_000_000)
        XCTAssertEqual(json["rows"]?[1]?["drift_pct"]?.stringValue, "9.09")
        XCTAssertEqual(json["total"]?["ledger_cost_nanos"]?.int64Value, total.ledger)
        let csv = ReportFormat.csv.render(table)
        XCTAssertTrue(csv.hasPrefix("day,model,ledger_cost,ledger_cost_nanos,provider_cost,provider_cost_nanos,drift,drift_nanos,"), csv)
        XCTAssertTrue(ReportFormat.markdown.render(table).contains("| 2026-11-02 | o3-2025-04-16 |"))
    }

    func testToleranceAndPercentArithmetic() {
        XCTAssertTrue(Reconciliation.within(100, of: 10_000, 100), "exactly 1% is within 1%")
        XCTAssertFalse(Reconciliation.within(101, of: 10_000, 100))
        XCTAssertTrue(Reconciliation.within(-100, of: 10_000, 100))
        XCTAssertTrue(Reconciliation.within(0, of: 0, 0))
        XCTAssertFalse(Reconciliation.within(1, of: 0, 100))
        XCTAssertTrue(Reconciliation.within(Int64.max, of: Int64.max, 10_000), "no overflow")
        XCTAssertEqual(Reconciliation.basisPoints(1, of: 3), 3333)
        XCTAssertEqual(Reconciliation.basisPoints(2, of: 3), 6667)
        XCTAssertEqual(Reconciliation.basisPoints(-1, of: 8), -1250)
        XCTAssertEqual(Reconciliation.basisPoints(1, of: 20_000), 1, "half a basis point rounds away from zero")
        XCTAssertNil(Reconciliation.basisPoints(5, of: 0))
    }
}
