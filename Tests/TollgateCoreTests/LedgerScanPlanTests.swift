import XCTest
@testable import TollgateReports

/// The scan reads a range by time through the index or by rowid in table
/// order, in one slice or several: the answer never depends on which.
final class LedgerScanPlanTests: XCTestCase {
    let start = FinanceTestTime.november
    let day = FinanceTestTime.day

    func makeLedger() throws -> FinanceTestLedger {
        let ledger = try FinanceTestLedger()
        let paths: [([String], String?)] = [(["acme", "recs", "recs-search"], "lead@x"), (["acme", "ads"], "ads@x"), ([], nil)]
        var rows: [FinanceTestLedger.Row] = []
        for i in 0..<900 {
            let (grants, owner) = paths[i % 3]
            // Written in about time order, some rows a few minutes late.
            rows.append(.init(ts: start + Int64(i) * 600_000_000 - Int64(i % 5) * 240_000_000, team: ["a", "b"][i % 2],
                              feature: i % 4 == 0 ? nil : "f\(i % 3)", tokensIn: Int64(i), cost: Int64(i) * 7_919 + 1,
                              grants: grants, grantOwner: owner))
        }
        try ledger.insert(rows)
        return ledger
    }

    func testEveryPlanAndSliceCountGivesTheSameSpend() throws {
        let ledger = try makeLedger()
        let everything = try SpendQuery(dimensions: try ReportDimension.parseList("team,feature")).run(ledgerAt: ledger.path, slices: 1)
        XCTAssertEqual(everything.total.requests, 900)
        XCTAssertEqual(everything.total.costNanos, try ledger.costSum(from: Int64.min, to: Int64.max))
        for query in [SpendQuery(dimensions: try ReportDimension.parseList("team,feature")),
                      SpendQuery(fromMicros: start + day, toMicros: start + 3 * day, dimensions: try ReportDimension.parseList("grant")),
                      SpendQuery(fromMicros: start + day / 2, dimensions: try ReportDimension.parseList("grant,team"))] {
            let reference = try query.run(ledgerAt: ledger.path, slices: 1)
            for kind in [LedgerScan.Plan.Kind.time, .rows] {
                for slices in [2, 3, 7] {
                    let range = LedgerTimeRange(from: query.fromMicros ?? Int64.min, to: query.toMicros ?? Int64.max)
                    let scanned = try LedgerScan(path: ledger.path).aggregate(query.ledgerQuery, range: range,
                                                                              dimensions: query.dimensions.count,
                                                                              rowTotal: query.groupsNest, slices: slices, prefer: kind)
                    let groups = scanned.groups.map { row in
                        SpendReport.Group(keys: zip(query.dimensions, row.keys).map { $0.render($1) }, totals: row.totals)
                    }
                    let report = try SpendReport(dimensions: query.dimensions.map(\.name), fromMicros: query.fromMicros,
                                                 toMicros: query.toMicros, groups: groups, rowTotal: scanned.rowTotal)
                    XCTAssertEqual(report, reference, "\(kind), \(slices) slices")
                }
            }
        }
    }

    func testThePlanFollowsTheShareOfTheLedgerInRange() throws {
        let ledger = try makeLedger()
        let scan = LedgerScan(path: ledger.path)
        XCTAssertEqual(try scan.plan(LedgerTimeRange(from: Int64.min, to: Int64.max), slices: 4).kind, .rows)
        XCTAssertEqual(try scan.plan(LedgerTimeRange(from: start + day, to: start + day + 3_600_000_000), slices: 4).kind, .time)
        XCTAssertTrue(try scan.plan(LedgerTimeRange(from: start - 10 * day, to: start - 9 * day), slices: 4).slices.isEmpty)
        let rows = try scan.plan(LedgerTimeRange(from: Int64.min, to: Int64.max), slices: 4).slices
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(rows.first?.0, 1)
        XCTAssertEqual(rows.last?.1, 901)
        XCTAssertEqual(LedgerScan.split(from: 1, to: 4, count: 8).count, 3)
    }
}
