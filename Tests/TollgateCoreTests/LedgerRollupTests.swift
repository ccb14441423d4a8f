import Foundation
import TollgateLedger
import TollgateSQLite
import XCTest
@testable import TollgateReports

/// The daily rollup's triggers (ledger schema 3): after any insert, delete
/// or update on the ledger, `ledger_daily` is the ledger's GROUP BY on its
/// key — NULL kept apart from '', days cut at UTC midnight, refused rows
/// apart from admitted ones — in the same transaction as the row.
final class LedgerRollupTests: XCTestCase {
    var path: String!
    var db: SQLiteDatabase!

    override func setUpWithError() throws {
        path = NSTemporaryDirectory() + "tollgate-rollup-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sqlite"
        db = try SQLiteDatabase(path: path)
        try db.execute(LedgerSchema.createStatements)
    }

    override func tearDown() {
        db = nil
        RollupCheck.remove(path)
    }

    static let midnight: Int64 = 1_793_491_200_000_000  // 2026-11-01T00:00:00Z

    /// A row through the writer's own insert (`LedgerSchema.insert`).
    static func row(ts: Int64, org: String? = "acme", team: String? = "payments", owner: String? = "dev@x",
                    keyClass: String? = "production", feature: String? = "chat", provider: String? = "openai",
                    requested: String? = "small", served: String? = "small", tokensIn: Int64 = 10, tokensOut: Int64 = 5,
                    tokensCached: Int64 = 0, cost: Int64 = 1_000, estimated: Bool = false, outcome: String = "success",
                    grants: String = "[]", grantOwner: String? = nil, id: String = "r") -> [SQLiteValue] {
        func text(_ s: String?) -> SQLiteValue { s.map(SQLiteValue.text) ?? .null }
        var v = [SQLiteValue](repeating: .null, count: 35)
        v[0] = .integer(ts); v[1] = .text(id); v[2] = text(org); v[3] = text(team); v[5] = text(owner); v[6] = text(keyClass)
        v[8] = text(feature); v[12] = .text("{}"); v[15] = text(provider); v[17] = text(requested); v[18] = text(served)
        v[19] = .integer(tokensIn); v[20] = .integer(tokensOut); v[21] = .integer(tokensCached); v[22] = .integer(cost)
        v[23] = .integer(estimated ? 1 : 0); v[24] = .text(outcome); v[25] = .integer(outcome == "rejected" ? 429 : 200)
        for i in [28, 29, 30, 31] { v[i] = .integer(0) }
        v[32] = .text(grants); v[33] = text(grantOwner); v[34] = .text("[]")
        return v
    }

    func insert(_ rows: [[SQLiteValue]]) throws {
        let statement = try db.prepare(LedgerSchema.insert)
        try db.transaction { for row in rows { try statement.run(row) } }
    }

    func testNullAndEmptyTextAreDifferentKeysInEveryNullableColumn() throws {
        let t = Self.midnight + 3_600_000_000
        var rows: [[SQLiteValue]] = []
        for value in [nil, "", "x"] as [String?] {
            for _ in 0..<2 {
                rows += [Self.row(ts: t, org: value), Self.row(ts: t, team: value), Self.row(ts: t, owner: value),
                         Self.row(ts: t, keyClass: value), Self.row(ts: t, feature: value), Self.row(ts: t, provider: value),
                         Self.row(ts: t, requested: value, served: nil), Self.row(ts: t, grantOwner: value)]
            }
        }
        try insert(rows)
        try RollupCheck.assertMatchesLedger(db)
        // Each column's NULL, '' and 'x' rows: three rollup rows of two requests.
        for column in ["org", "team", "owner", "key_class", "feature", "provider", "model", "grant_owner"] {
            let groups = try db.query("SELECT quote(\(column)), requests FROM ledger_daily WHERE \(column) IS NULL OR \(column) IN ('', 'x')")
            XCTAssertEqual(Set(groups.map { $0[0].string ?? "?" }), ["NULL", "''", "'x'"], column)
            XCTAssertTrue(groups.allSatisfy { $0[1] == .integer(2) }, "\(column): \(groups)")
        }
    }

    func testDaysAreCutAtUTCMidnightAndRefusedRowsKeptApart() throws {
        try insert([
            Self.row(ts: Self.midnight - 1, cost: 7), Self.row(ts: Self.midnight, cost: 11), Self.row(ts: Self.midnight + 1, cost: 13),
            Self.row(ts: Self.midnight + 86_400_000_000 - 1, cost: 17),
            Self.row(ts: Self.midnight + 5, served: nil, tokensIn: 0, tokensOut: 0, cost: 0, outcome: "rejected"),
            Self.row(ts: Self.midnight + 6, tokensIn: 0, tokensOut: 0, cost: 0, outcome: "upstream_error"),
            Self.row(ts: Self.midnight + 7, estimated: true, outcome: "aborted"),
        ])
        try RollupCheck.assertMatchesLedger(db)
        let days = try db.query("SELECT day, rejected, consumed, requests, cost_nanos, estimated_requests FROM ledger_daily ORDER BY 1, 2, 3")
        let first = Self.midnight / 86_400_000_000
        XCTAssertEqual(days, [
            [.integer(first - 1), .integer(0), .integer(1), .integer(1), .integer(7), .integer(0)],
            [.integer(first), .integer(0), .integer(0), .integer(1), .integer(0), .integer(0)],
            [.integer(first), .integer(0), .integer(1), .integer(4), .integer(11 + 13 + 17 + 1_000), .integer(1)],
            [.integer(first), .integer(1), .integer(0), .integer(1), .integer(0), .integer(0)],
        ])
    }

    func testSeveralGrantPathsAreKeptAsWritten() throws {
        let t = Self.midnight
        try insert([Self.row(ts: t, grants: #"["acme","recs"]"#, grantOwner: "head@x"),
                    Self.row(ts: t, grants: #"["acme","recs","recs-search"]"#, grantOwner: "lead@x"),
                    Self.row(ts: t, grants: #"["acme","recs"]"#, grantOwner: "head@x"), Self.row(ts: t)])
        try RollupCheck.assertMatchesLedger(db)
        XCTAssertEqual(try db.query("SELECT grant_ids, requests FROM ledger_daily ORDER BY 1").map { $0[0].string ?? "?" },
                       ["[\"acme\",\"recs\",\"recs-search\"]", "[\"acme\",\"recs\"]", "[]"])
    }

    func testDeletesAndUpdatesOnTheLedgerKeepTheRollupEqual() throws {
        var rows: [[SQLiteValue]] = []
        for i in 0..<200 {
            rows.append(Self.row(ts: Self.midnight + Int64(i) * 1_800_000_000, org: i % 7 == 0 ? nil : "acme",
                                 team: ["a", "b", "", nil][i % 4], feature: i % 5 == 0 ? nil : "f\(i % 3)",
                                 cost: Int64(i * 31), outcome: i % 11 == 0 ? "rejected" : "success", id: "r\(i)"))
        }
        try insert(rows)
        try RollupCheck.assertMatchesLedger(db, "after the inserts")
        // Retention: the first two days go.
        try db.execute("DELETE FROM ledger WHERE ts_us < \(Self.midnight + 2 * 86_400_000_000)")
        try RollupCheck.assertMatchesLedger(db, "after a delete")
        XCTAssertEqual(try db.query("SELECT count(*) FROM ledger_daily WHERE day < \(Self.midnight / 86_400_000_000 + 2)").first,
                       [.integer(0)], "a rollup row with no ledger row left is gone")
        // Hand corrections: a key, a cost, a day, to NULL and back.
        try db.execute("UPDATE ledger SET team = NULL, cost_nanos = cost_nanos + 1 WHERE id % 3 = 0")
        try db.execute("UPDATE ledger SET ts_us = ts_us + 86400000000, outcome = 'rejected' WHERE id % 5 = 0")
        try db.execute("UPDATE ledger SET team = '' WHERE team IS NULL AND id % 2 = 0")
        try db.execute("UPDATE ledger SET latency_us = 5")  // a column the rollup does not read
        try RollupCheck.assertMatchesLedger(db, "after updates")
    }

    func testARolledBackRowLeavesNoTraceInTheRollup() throws {
        try insert([Self.row(ts: Self.midnight, cost: 5)])
        let statement = try db.prepare(LedgerSchema.insert)
        struct Abort: Error {}
        XCTAssertThrowsError(try db.transaction {
            try statement.run(Self.row(ts: Self.midnight, cost: 1_000_000))
            throw Abort()
        })
        try RollupCheck.assertMatchesLedger(db)
        XCTAssertEqual(try db.query("SELECT sum(cost_nanos), sum(requests) FROM ledger_daily").first, [.integer(5), .integer(1)])
    }

    /// SQLite turns an integer sum that overflows into a float; the report
    /// reads that as an overflow, as it does when its own sums overflow.
    func testASumPastInt64IsAnOverflowNotAFloat() throws {
        try insert([Self.row(ts: Self.midnight, cost: Int64.max - 10), Self.row(ts: Self.midnight + 1, cost: 100)])
        XCTAssertEqual(try db.query("SELECT typeof(cost_nanos) FROM ledger_daily").first?.first?.string, "real")
        for rollup in [true, false] {
            XCTAssertThrowsError(try SpendQuery().run(ledgerAt: path, rollup: rollup)) { error in
                XCTAssertTrue(error is SpendReport.Overflow, "rollup \(rollup): \(error)")
            }
        }
    }

    func testWhichRangesTheRollupAnswers() throws {
        try insert([Self.row(ts: Self.midnight)])
        let day: Int64 = 86_400_000_000
        XCTAssertTrue(try LedgerRollup.applies(to: LedgerTimeRange(from: .min, to: .max), ledgerAt: path))
        XCTAssertTrue(try LedgerRollup.applies(to: LedgerTimeRange(from: Self.midnight, to: Self.midnight + 30 * day), ledgerAt: path))
        XCTAssertTrue(try LedgerRollup.applies(to: LedgerTimeRange(from: .min, to: Self.midnight), ledgerAt: path))
        XCTAssertFalse(try LedgerRollup.applies(to: LedgerTimeRange(from: Self.midnight + 1, to: .max), ledgerAt: path),
                       "a range that cuts a day reads the rows")
        XCTAssertFalse(try LedgerRollup.applies(to: LedgerTimeRange(from: Self.midnight, to: Self.midnight + day - 60_000_000),
                                                ledgerAt: path))
        let rows = try RollupCheck.copyWithoutRollup(path)
        defer { RollupCheck.remove(rows) }
        XCTAssertFalse(try LedgerRollup.applies(to: LedgerTimeRange(from: .min, to: .max), ledgerAt: rows), "no rollup: rows")
        try insert([Self.row(ts: -5)])
        XCTAssertFalse(try LedgerRollup.applies(to: LedgerTimeRange(from: .min, to: .max), ledgerAt: path),
                       "a row before 1970: its day is not a calendar day, read the rows")
    }
}
