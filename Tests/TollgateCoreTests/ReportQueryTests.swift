import Foundation
import XCTest
import TollgateSQLite
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

/// The spend report tests use the finance tests' ledger.
typealias ReportTestLedger = FinanceTestLedger

final class ReportQueryTests: XCTestCase {
    let day1 = Int64(1_793_491_200) * 1_000_000  // 2026-11-01
    let hour: Int64 = 3_600_000_000

    func testGroupsSumExactlyToTheLedger() throws {
        let ledger = try ReportTestLedger()
        var rows: [ReportTestLedger.Row] = []
        var expected: [String: (requests: Int64, cost: Int64, tokensIn: Int64)] = [:]
        var totalCost: Int64 = 0
        for i in 0..<500 {
            let team = ["payments", "search", "growth"][i % 3]
            let cost = Int64(i * 7_919 + 1)  // odd nano amounts: a float would drift
            rows.append(.init(ts: day1 + Int64(i) * 1_000_000, team: team, feature: i % 5 == 0 ? nil : "f\(i % 2)",
                              tokensIn: Int64(i), tokensOut: 2, cost: cost, estimated: i % 50 == 0))
            expected[team, default: (0, 0, 0)].requests += 1
            expected[team, default: (0, 0, 0)].cost += cost
            expected[team, default: (0, 0, 0)].tokensIn += Int64(i)
            totalCost += cost
        }
        try ledger.insert(rows)
        _ = try LedgerFile.openForReading(ledger.path)

        let report = try SpendQuery(dimensions: [try ReportDimension.parse("team")]).run(ledgerAt: ledger.path)
        XCTAssertEqual(report.dimensions, ["team"])
        XCTAssertEqual(report.groups.count, 3)
        for group in report.groups {
            let team = try XCTUnwrap(group.keys[0])
            XCTAssertEqual(group.totals.requests, expected[team]?.requests, team)
            XCTAssertEqual(group.totals.costNanos, expected[team]?.cost, team)
            XCTAssertEqual(group.totals.tokensIn, expected[team]?.tokensIn, team)
        }
        XCTAssertEqual(report.total.costNanos, totalCost)
        XCTAssertEqual(report.total.requests, 500)
        XCTAssertEqual(report.total.tokensOut, 1000)
        XCTAssertEqual(report.total.estimatedRequests, 10)
        // Most expensive first.
        XCTAssertEqual(report.groups.map(\.totals.costNanos), report.groups.map(\.totals.costNanos).sorted(by: >))

        // A finer grouping adds up to the same total, NULL keys included.
        let fine = try SpendQuery(dimensions: try ReportDimension.parseList("team, feature")).run(ledgerAt: ledger.path)
        XCTAssertEqual(fine.total, report.total)
        XCTAssertTrue(fine.groups.contains { $0.keys[1] == nil })
        XCTAssertEqual(fine.groups.reduce(0) { $0 + $1.totals.costNanos }, totalCost)
    }

    func testRangeIsHalfOpen() throws {
        let ledger = try ReportTestLedger()
        try ledger.insert([.init(ts: day1 - 1, cost: 1), .init(ts: day1, cost: 10), .init(ts: day1 + 24 * hour - 1, cost: 100),
                           .init(ts: day1 + 24 * hour, cost: 1000)])
        _ = try LedgerFile.openForReading(ledger.path)
        let oneDay = try SpendQuery(fromMicros: day1, toMicros: day1 + 24 * hour).run(ledgerAt: ledger.path)
        XCTAssertEqual(oneDay.total.costNanos, 110)
        XCTAssertEqual(oneDay.groups.count, 1)
        XCTAssertEqual(try SpendQuery(fromMicros: day1).run(ledgerAt: ledger.path).total.costNanos, 1110)
        XCTAssertEqual(try SpendQuery(toMicros: day1).run(ledgerAt: ledger.path).total.costNanos, 1)
        let empty = try SpendQuery(fromMicros: day1 + 48 * hour).run(ledgerAt: ledger.path)
        XCTAssertEqual(empty.groups, [])
        XCTAssertEqual(empty.total, SpendReport.Totals())
    }

    func testTimeBucketsModelAndTags() throws {
        let ledger = try ReportTestLedger()
        try ledger.insert([
            .init(ts: day1 + 1, model: "large", modelRequested: "small", cost: 5, tags: #"{"cost_center":"cc1"}"#),
            .init(ts: day1 + 2 * hour + 5, model: nil, modelRequested: "small", cost: 0, outcome: "rejected"),
            .init(ts: day1 + 25 * hour, model: "small", cost: 7, tags: #"{"cost_center":"cc2"}"#),
        ])
        _ = try LedgerFile.openForReading(ledger.path)
        let byDay = try SpendQuery(dimensions: try ReportDimension.parseList("day")).run(ledgerAt: ledger.path)
        XCTAssertEqual(Set(byDay.groups.map { $0.keys[0] }), ["2026-11-01", "2026-11-02"])
        let byHour = try SpendQuery(dimensions: try ReportDimension.parseList("hour")).run(ledgerAt: ledger.path)
        XCTAssertTrue(byHour.groups.contains { $0.keys[0] == "2026-11-01T02:00Z" }, "\(byHour.groups)")
        let byMonth = try SpendQuery(dimensions: try ReportDimension.parseList("month")).run(ledgerAt: ledger.path)
        XCTAssertEqual(byMonth.groups.map { $0.keys[0] }, ["2026-11"])
        // model = what served, else what was asked for.
        let byModel = try SpendQuery(dimensions: try ReportDimension.parseList("model,outcome")).run(ledgerAt: ledger.path)
        XCTAssertEqual(Set(byModel.groups.map { "\($0.keys[0] ?? "-")/\($0.keys[1] ?? "-")" }),
                       ["large/success", "small/rejected", "small/success"])
        let byTag = try SpendQuery(dimensions: try ReportDimension.parseList("tag.cost_center")).run(ledgerAt: ledger.path)
        XCTAssertEqual(byTag.groups.map(\.keys), [["cc2"], ["cc1"], [nil]])
        XCTAssertEqual(byTag.dimensions, ["tag.cost_center"])
    }

    func testByGrantEachRowCountsUnderEveryGrantOnItsPathAndTheTotalOnce() throws {
        let ledger = try ReportTestLedger()
        // acme > recs > recs-search, acme > ads; some rows on no grant.
        let paths: [([String], String?)] = [(["acme", "recs", "recs-search"], "lead@x"), (["acme", "recs"], "head@x"),
                                            (["acme", "ads"], "ads@x"), (["acme"], "cfo@x"), ([], nil)]
        var rows: [ReportTestLedger.Row] = []
        var byGrant: [String: (requests: Int64, cost: Int64, tokensIn: Int64)] = [:]
        var byOwner: [String: (requests: Int64, cost: Int64)] = [:]
        var total: (requests: Int64, cost: Int64, tokensIn: Int64) = (0, 0, 0)
        for i in 0..<400 {
            let (path, owner) = paths[i % paths.count]
            let cost = Int64(i * 104_729 + 3)
            rows.append(.init(ts: day1 + Int64(i) * 1_000_000, team: path.contains("ads") ? "ads" : "recs", tokensIn: Int64(i),
                              cost: cost, grants: path, grantOwner: owner))
            for grant in path.isEmpty ? ["(none)"] : path {
                byGrant[grant, default: (0, 0, 0)].requests += 1
                byGrant[grant, default: (0, 0, 0)].cost += cost
                byGrant[grant, default: (0, 0, 0)].tokensIn += Int64(i)
            }
            byOwner[owner ?? "(none)", default: (0, 0)].requests += 1
            byOwner[owner ?? "(none)", default: (0, 0)].cost += cost
            total.requests += 1
            total.cost += cost
            total.tokensIn += Int64(i)
        }
        try ledger.insert(rows)
        let grant = try ReportDimension.parse("grant")
        _ = try LedgerFile.openForReading(ledger.path, dimensions: [grant])

        let query = SpendQuery(dimensions: [grant])
        XCTAssertTrue(query.sql.text.contains("LEFT JOIN json_each(ledger.grant_ids)"), query.sql.text)
        let report = try query.run(ledgerAt: ledger.path)
        XCTAssertEqual(report.dimensions, ["grant"])
        XCTAssertTrue(report.groupsNest)
        XCTAssertEqual(Set(report.groups.map { $0.keys[0] ?? "(none)" }), Set(byGrant.keys))
        for group in report.groups {
            let name = group.keys[0] ?? "(none)"
            XCTAssertEqual(group.totals.requests, byGrant[name]?.requests, name)
            XCTAssertEqual(group.totals.costNanos, byGrant[name]?.cost, name)
            XCTAssertEqual(group.totals.tokensIn, byGrant[name]?.tokensIn, name)
        }
        // Grants nest: acme holds recs, which holds recs-search.
        let acme = try XCTUnwrap(report.groups.first { $0.keys[0] == "acme" })
        let recs = try XCTUnwrap(report.groups.first { $0.keys[0] == "recs" })
        let search = try XCTUnwrap(report.groups.first { $0.keys[0] == "recs-search" })
        XCTAssertGreaterThan(acme.totals.costNanos, recs.totals.costNanos)
        XCTAssertGreaterThan(recs.totals.costNanos, search.totals.costNanos)
        // The total is the ledger's, each request once, not the sum of the groups.
        XCTAssertEqual(report.total.requests, total.requests)
        XCTAssertEqual(report.total.costNanos, total.cost)
        XCTAssertEqual(report.total.tokensIn, total.tokensIn)
        XCTAssertGreaterThan(report.groups.reduce(0) { $0 + $1.totals.costNanos }, total.cost)
        XCTAssertEqual(report.total, try SpendQuery().run(ledgerAt: ledger.path).total)
        XCTAssertTrue(SpendReportFormat.table.render(report).contains("Grants nest"))

        // By grant owner (the deepest grant's): a plain column, the groups add up.
        let owners = try SpendQuery(dimensions: try ReportDimension.parseList("grant_owner")).run(ledgerAt: ledger.path)
        XCTAssertFalse(owners.groupsNest)
        XCTAssertEqual(owners.groups.count, byOwner.count)
        for group in owners.groups {
            let name = group.keys[0] ?? "(none)"
            XCTAssertEqual(group.totals.requests, byOwner[name]?.requests, name)
            XCTAssertEqual(group.totals.costNanos, byOwner[name]?.cost, name)
        }
        XCTAssertEqual(owners.total.costNanos, total.cost)
        XCTAssertFalse(SpendReportFormat.table.render(owners).contains("Grants nest"))

        // With another dimension and a range.
        let firstHalf = day1 + 200 * 1_000_000
        let mixed = try SpendQuery(toMicros: firstHalf, dimensions: try ReportDimension.parseList("team,grant"))
            .run(ledgerAt: ledger.path)
        XCTAssertEqual(mixed.total.requests, 200)
        let adsUnderAcme = try XCTUnwrap(mixed.groups.first { $0.keys == ["ads", "acme"] })
        XCTAssertEqual(adsUnderAcme.totals.requests, 40)
        XCTAssertEqual(mixed.groups.first { $0.keys == ["ads", "ads"] }?.totals.requests, 40)
        XCTAssertNil(mixed.groups.first { $0.keys == ["ads", "recs"] })
        XCTAssertEqual(try ReportDimension.parse("grant_id"), grant)
    }

    func testUnknownDimensionsAndForeignFilesAreExplained() throws {
        XCTAssertThrowsError(try ReportDimension.parse("colour")) { error in
            XCTAssertTrue("\(error)".contains("team"), "\(error)")
        }
        XCTAssertThrowsError(try ReportDimension.parse("tag.a'b"))
        XCTAssertEqual(try ReportDimension.parse("tag.feature").name, "feature")
        XCTAssertEqual(try ReportDimension.parseList("team,team, key_id").map(\.name), ["team", "key"])

        XCTAssertThrowsError(try LedgerFile.openForReading("/nonexistent/ledger.sqlite")) { error in
            XCTAssertTrue("\(error)".contains("cannot open the ledger"), "\(error)")
        }
        let path = "/tmp/tollgate-not-a-ledger-\(getpid()).sqlite"
        defer { unlink(path) }
        let other = try SQLiteDatabase(path: path)
        try other.execute("CREATE TABLE things (x INTEGER)")
        XCTAssertThrowsError(try LedgerFile.openForReading(path)) { error in
            XCTAssertTrue("\(error)".contains("no ledger table"), "\(error)")
        }
    }
}
