import Foundation
import TollgateLedger
import TollgateSQLite
import XCTest
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateReports

/// Every report that may read the daily rollup gives the same answer from
/// it as from the ledger's rows, on a ledger made to be awkward: NULL and
/// '' keys, refused rows, admitted rows that consumed nothing, estimated
/// usage, several grant paths, no model, rows on both sides of midnight.
final class LedgerRollupReportTests: XCTestCase {
    var ledger: FinanceTestLedger!
    /// The same rows without the rollup (a schema-2 file): read by rows.
    var rowsOnly: String!
    let day: Int64 = 86_400_000_000
    let config = try! ConfigLoader.parse(yaml: FinanceReportTests.yaml, file: "/tmp/finance-test.yaml")
    var table: GrantTable {
        let registry = try! GovernanceRegistry(store: MemoryGovernanceStore())
        registry.configure(config)
        return registry.current.table
    }
    /// 2026-05-01 to 2026-12-05: the months the reports look back over.
    let start = ReportPeriod(.month(2026, 5)).fromMicros
    let november = ReportPeriod(.month(2026, 11))

    override func setUpWithError() throws {
        ledger = try FinanceTestLedger()
        var random = LedgerBenchRandomForTests(seed: 3)
        var rows: [[SQLiteValue]] = []
        let days = Int((november.toMicros + 4 * day - start) / day)
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        for d in 0..<days {
            // Rows across the day, and one either side of its midnight.
            var times = (0..<6).map { _ in start + Int64(d) * day + Int64(random.next() % UInt64(day)) }
            times += [start + Int64(d) * day, start + Int64(d + 1) * day - 1]
            for (i, ts) in times.enumerated() {
                let outcome = pick(["success", "success", "success", "rejected", "upstream_error", "aborted"])
                let consumed = outcome != "rejected" && !(outcome == "upstream_error" && i % 2 == 0)
                let grants = pick([("[]", nil), (#"["acme"]"#, "cfo@x"), (#"["acme","payments"]"#, "a@x"),
                                   (#"["acme","search"]"#, "b@x"), (#"["acme","search"]"#, "")] as [(String, String?)])
                let tokensIn: Int64 = consumed ? Int64(random.next() % 5_000) : 0
                let tokensOut: Int64 = consumed ? Int64(random.next() % 900) + 1 : 0
                rows.append(LedgerRollupTests.row(
                    ts: ts, org: pick(["acme", "acme", "acme", nil, ""]), team: pick(["payments", "search", "growth", nil, ""]),
                    owner: pick(["dev@x", "ops@x", nil, ""]), keyClass: pick(["production", "experimentation", nil]),
                    feature: pick(["chat", "search", nil, ""]), provider: pick(["openai", "anthropic", nil]),
                    requested: pick(["small", "large", nil]), served: outcome == "rejected" ? nil : pick(["small", "large", nil]),
                    tokensIn: tokensIn, tokensOut: tokensOut, tokensCached: consumed ? Int64(random.next() % 3) * 100 : 0,
                    cost: consumed ? tokensIn * 400 + tokensOut * 1_600 : 0, estimated: outcome == "aborted",
                    outcome: outcome, grants: grants.0, grantOwner: grants.1, id: "r\(rows.count)"))
            }
        }
        let insert = try ledger.db.prepare(LedgerSchema.insert)
        try ledger.db.transaction { for row in rows { try insert.run(row) } }
        try RollupCheck.assertMatchesLedger(ledger.db)
        rowsOnly = try RollupCheck.copyWithoutRollup(ledger.path)
    }

    override func tearDown() {
        if let rowsOnly { RollupCheck.remove(rowsOnly) }
        ledger = nil
    }

    var ranges: [(Int64?, Int64?)] {
        [(nil, nil), (november.fromMicros, november.toMicros), (november.previous.fromMicros, nil), (nil, november.fromMicros + 5 * day),
         (november.fromMicros + day, november.fromMicros + 2 * day)]
    }

    func testSpendFromTheRollupEqualsTheRowScan() throws {
        let lists = ["", "org", "team", "feature", "owner", "class", "provider", "model", "grant_owner", "grant", "day", "month",
                     "team,feature,model", "grant,model", "day,org,team,grant", "month,grant_owner,owner,class,provider",
                     "org,team,feature,grant_owner,owner,class,model,provider,day"]
        for list in lists {
            for (from, to) in ranges {
                let query = SpendQuery(fromMicros: from, toMicros: to, dimensions: try ReportDimension.parseList(list))
                XCTAssertNotNil(query.dailyQuery, list)
                let range = LedgerTimeRange(from: from ?? .min, to: to ?? .max)
                XCTAssertTrue(try LedgerRollup.applies(to: range, ledgerAt: ledger.path))
                let rollup = try query.run(ledgerAt: ledger.path)
                let rows = try query.run(ledgerAt: ledger.path, rollup: false)
                XCTAssertEqual(rollup, rows, "--by \(list) from \(String(describing: from)) to \(String(describing: to))")
                XCTAssertEqual(rollup, try query.run(ledgerAt: rowsOnly), list)
                XCTAssertEqual(rollup, try query.run(ledgerAt: ledger.path, slices: 3), "read in three slices: \(list)")
                XCTAssertGreaterThan(rollup.total.requests, 0)
            }
        }
        // The groups hold what was asked: NULL and '' apart.
        let byOrg = try SpendQuery(dimensions: [try ReportDimension.parse("org")]).run(ledgerAt: ledger.path)
        XCTAssertEqual(Set(byOrg.groups.map(\.keys)), [["acme"], [nil], [""]])
        // A dimension the rollup lacks: the rows are read.
        for list in ["key", "hour", "outcome", "tag.cost_center", "exception", "team,end_user"] {
            XCTAssertNil(SpendQuery(dimensions: try ReportDimension.parseList(list)).dailyQuery, list)
        }
    }

    func testFocusFromTheRollupEqualsTheRowScan() throws {
        let ranges = [LedgerTimeRange(from: start, to: november.toMicros + 4 * day), LedgerTimeRange(from: november.fromMicros, to: november.toMicros),
                      LedgerTimeRange(from: november.fromMicros + 3 * day, to: november.fromMicros + 4 * day),
                      LedgerTimeRange(from: november.fromMicros + 3_600_000_000, to: november.toMicros)]
        for range in ranges {
            let rollup = try FocusExport.charges(ledgerAt: ledger.path, range: range)
            let rows = try FocusExport.charges(ledgerAt: ledger.path, range: range, rollup: false)
            XCTAssertEqual(rollup, rows, "\(range)")
            XCTAssertEqual(rollup, try FocusExport.charges(ledgerAt: rowsOnly, range: range, slices: 2))
            for kind in [LedgerScan.Plan.Kind.time, .rows] {
                XCTAssertEqual(rollup, try FocusExport.charges(ledgerAt: ledger.path, range: range, slices: 4, prefer: kind),
                               "the rollup read in 4 slices by \(kind)")
            }
            XCTAssertGreaterThan(rollup.count, 0)
            XCTAssertEqual(rollup.costNanos, try ledger.costSum(from: range.from, to: range.to))
            var a: [UInt8] = [], b: [UInt8] = []
            FocusExport().write(rollup, range: range, format: .csv) { a += $0 }
            FocusExport().write(rows, range: range, format: .csv) { b += $0 }
            XCTAssertEqual(a, b)
        }
    }

    func testBaselineFromTheRollupEqualsTheRowScan() throws {
        for days in [1, 30, 60, 200] {
            let window = BaselineReport.window(days: days, endingAt: november.toMicros + day / 2)
            let rollup = try BaselineReport.run(ledgerAt: ledger.path, window: window, percent: 140)
            XCTAssertEqual(rollup, try BaselineReport.run(ledgerAt: ledger.path, window: window, percent: 140, rollup: false), "\(days) days")
            XCTAssertEqual(rollup, try BaselineReport.run(ledgerAt: rowsOnly, window: window, percent: 140, slices: 3))
            XCTAssertTrue(rollup.lines.contains { $0.refused > 0 })
        }
    }

    func testChargebackForecastAndProposalFromTheRollupEqualTheRowScan() throws {
        for grouping in ChargebackReport.Grouping.allCases {
            for period in [november, ReportPeriod(.quarter(2026, 3)), ReportPeriod(.range(november.fromMicros, november.fromMicros + 7 * day)),
                           ReportPeriod(.range(november.fromMicros + 1, november.toMicros))] {
                func run(_ path: String) throws -> ChargebackReport {
                    try ChargebackReport.run(config: config, grants: table, ledgerPath: path, period: period, by: grouping) { _, _ in [] }
                }
                let rollup = try run(ledger.path)
                XCTAssertEqual(rollup, try run(rowsOnly), "\(grouping) \(period)")
                XCTAssertGreaterThan(rollup.totalRequests, 0)
            }
        }
        let forecasts = [Forecast(team: "acme/payments", period: "2026-10", amountNanos: 9_000_000_000_000, submittedBy: "t", submittedAt: 0),
                         Forecast(team: "acme/payments", period: "2026-11", amountNanos: 9_000_000_000_000, submittedBy: "t", submittedAt: 0)]
        func forecast(_ path: String) throws -> ForecastReport {
            try ForecastReport.run(config: config, grants: table, ledgerPath: path, period: november, forecasts: forecasts)
        }
        let rollup = try forecast(ledger.path)
        XCTAssertEqual(rollup, try forecast(rowsOnly))
        XCTAssertTrue(rollup.teams.contains { $0.entries.contains { $0.actualNanos > 0 } })
        func propose(_ path: String) throws -> AllocationProposal {
            try AllocationProposal.run(config: config, grants: table, ledgerPath: path, period: november.next, forecasts: forecasts)
        }
        XCTAssertEqual(try propose(ledger.path), try propose(rowsOnly))
        let cells = try FinanceScan.spend(ledgerPath: ledger.path, periods: november.history(6), dimensions: [.grant])
        let rowCells = try FinanceScan.spend(ledgerPath: ledger.path, periods: november.history(6), dimensions: [.grant], rollup: false)
        XCTAssertEqual(cells.map { "\($0.period) \($0.keys) \($0.totals)" }, rowCells.map { "\($0.period) \($0.keys) \($0.totals)" })
    }
}

/// The bench's deterministic PRNG (splitmix64), for the tests' ledgers.
struct LedgerBenchRandomForTests {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
