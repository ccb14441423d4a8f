import Foundation
import TollgateLedger
import TollgateJSON
import TollgateABI
import TollgateHost
import TollgateSQLite
import XCTest
@testable import TollgateReports

/// A ledger file written before schema 2 (no grant columns), 3 (no daily
/// rollup) or 4 (no capacity index) is migrated in place: by the shared
/// `LedgerSchema.migration`, and by the host's ledger store when it opens
/// the file. No row is lost, old rows record no grant, the rollup is built
/// from the rows already there and kept by the trigger after, the
/// capacity index is built, and the report can group it by grant.
final class LedgerMigrationTests: XCTestCase {
    /// The ledger as schema version 1 created it, verbatim.
    static let version1Schema = """
        CREATE TABLE IF NOT EXISTS ledger (
          id              INTEGER PRIMARY KEY,
          ts_us           INTEGER NOT NULL,
          request_id      TEXT    NOT NULL,
          org             TEXT,
          team            TEXT,
          key_id          TEXT,
          owner           TEXT,
          key_class       TEXT,
          end_user        TEXT,
          feature         TEXT,
          environment     TEXT,
          experiment      TEXT,
          use_case        TEXT,
          tags            TEXT    NOT NULL DEFAULT '{}',
          api             TEXT,
          route           TEXT,
          provider        TEXT,
          deployment      TEXT,
          model_requested TEXT,
          model_served    TEXT,
          tokens_in       INTEGER NOT NULL DEFAULT 0,
          tokens_out      INTEGER NOT NULL DEFAULT 0,
          tokens_cached   INTEGER NOT NULL DEFAULT 0,
          cost_nanos      INTEGER NOT NULL DEFAULT 0,
          usage_estimated INTEGER NOT NULL DEFAULT 0,
          outcome         TEXT    NOT NULL,
          status          INTEGER NOT NULL DEFAULT 0,
          decided_by      TEXT,
          outcome_detail  TEXT,
          latency_us      INTEGER NOT NULL DEFAULT 0,
          upstream_us     INTEGER NOT NULL DEFAULT 0,
          stream          INTEGER NOT NULL DEFAULT 0,
          attempts        INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS ledger_ts ON ledger(ts_us);
        CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT OR IGNORE INTO ledger_meta(key, value) VALUES ('schema_version', '1');
        """

    var path: String!

    override func setUp() {
        path = NSTemporaryDirectory() + "tollgate-ledger-v1-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sqlite"
    }

    override func tearDown() {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    }

    /// A version-1 ledger with `count` rows (cost i+1 nano-dollars each).
    func makeVersion1Ledger(rows count: Int) throws {
        let db = try SQLiteDatabase(path: path)
        try db.execute(Self.version1Schema)
        let insert = try db.prepare("""
            INSERT INTO ledger (ts_us, request_id, org, team, cost_nanos, tokens_in, outcome, status)
            VALUES (?1, ?2, 'acme', 'recs', ?3, ?4, 'success', 200)
            """)
        try db.transaction {
            for i in 0..<count {
                try insert.run([.integer(1_793_491_200_000_000 + Int64(i)), .text("old-\(i)"), .integer(Int64(i + 1)),
                                .integer(Int64(10 * i))])
            }
        }
    }

    static func columns(_ db: SQLiteDatabase) throws -> [String] {
        try db.query(LedgerSchema.columnsQuery).compactMap { $0[1].string }
    }

    static func objects(_ db: SQLiteDatabase) throws -> [String] {
        try db.query(LedgerSchema.objectsQuery).compactMap { $0.first?.string }
    }

    static func migration(_ db: SQLiteDatabase) throws -> [String] {
        LedgerSchema.migration(existingColumns: try columns(db), existingObjects: try objects(db))
    }

    static func schemaVersion(_ db: SQLiteDatabase) throws -> String? {
        try db.query("SELECT value FROM ledger_meta WHERE key = 'schema_version'").first?.first?.string
    }

    func testTheMigrationAddsTheGrantColumnsAndKeepsEveryRow() throws {
        try makeVersion1Ledger(rows: 25)
        let db = try SQLiteDatabase(path: path)
        let before = try Self.columns(db)
        XCTAssertFalse(before.contains("grant_ids"))
        let migration = try Self.migration(db)
        XCTAssertEqual(migration.filter { $0.hasPrefix("ALTER TABLE ledger ADD COLUMN") }.count, 3, "\(migration)")
        try db.transaction {
            for statement in migration { try db.execute(statement) }
        }
        try db.execute(LedgerSchema.createStatements)

        let after = try Self.columns(db)
        XCTAssertEqual(after, before + ["grant_ids", "grant_owner", "exception_ids"])
        XCTAssertEqual(try Self.schemaVersion(db), "4")
        try RollupCheck.assertMatchesLedger(db, "the backfill")
        XCTAssertEqual(try db.query("SELECT sum(requests), sum(cost_nanos) FROM ledger_daily").first,
                       [.integer(25), .integer((1...25).reduce(0, +))])
        let rows = try db.query("SELECT request_id, cost_nanos, tokens_in, grant_ids, grant_owner FROM ledger ORDER BY id")
        XCTAssertEqual(rows.count, 25)
        for (i, row) in rows.enumerated() {
            XCTAssertEqual(row[0].string, "old-\(i)")
            XCTAssertEqual(row[1], .integer(Int64(i + 1)))
            XCTAssertEqual(row[2], .integer(Int64(10 * i)))
            XCTAssertEqual(row[3].string, "[]", "an old row was charged to no recorded grant")
            XCTAssertEqual(row[4], .null)
        }
        XCTAssertEqual(try Self.migration(db), [], "a current ledger needs nothing")
        XCTAssertEqual(LedgerSchema.migration(existingColumns: [], existingObjects: []), [], "a new file is created whole")

        // The shared insert (35 columns) works on the migrated table.
        let insert = try db.prepare(LedgerSchema.insert)
        var values = [SQLiteValue](repeating: .null, count: 35)
        values[0] = .integer(1_793_491_300_000_000)
        values[1] = .text("new")
        for i in [19, 20, 21, 22, 23, 25, 28, 29, 30, 31] { values[i] = .integer(0) }
        values[22] = .integer(1000)
        values[12] = .text("{}")
        values[24] = .text("success")
        values[32] = .text(#"["acme","recs"]"#)
        values[33] = .text("head@x")
        values[34] = .text("[]")
        try insert.run(values)

        try RollupCheck.assertMatchesLedger(db, "after an insert")
        let report = try SpendQuery(dimensions: [try ReportDimension.parse("grant")]).run(ledgerAt: path)
        XCTAssertEqual(report, try SpendQuery(dimensions: [try ReportDimension.parse("grant")]).run(ledgerAt: path, rollup: false))
        XCTAssertEqual(report.total.requests, 26)
        XCTAssertEqual(report.total.costNanos, (1...25).reduce(0, +) + 1000)
        XCTAssertEqual(report.groups.first { $0.keys == [nil] }?.totals.requests, 25)
        XCTAssertEqual(report.groups.first { $0.keys == ["acme"] }?.totals.costNanos, 1000)
    }

    /// A schema-2 ledger (every column, no rollup) gets the rollup built
    /// from its rows, then kept by the trigger; a rollup table found
    /// without its triggers is rebuilt, not trusted.
    func testASchema2LedgerGetsTheRollupBuiltFromItsRows() throws {
        try makeVersion1Ledger(rows: 0)
        let db = try SQLiteDatabase(path: path)
        try db.transaction {
            for column in LedgerSchema.addedColumns { try db.execute("ALTER TABLE ledger ADD COLUMN \(column.name) \(column.definition)") }
            try db.execute("UPDATE ledger_meta SET value = '2' WHERE key = 'schema_version'")
        }
        let insert = try db.prepare(LedgerSchema.insert)
        let day: Int64 = 86_400_000_000
        let midnight = LedgerRollupTests.midnight
        try db.transaction {
            for i in 0..<300 {
                try insert.run(LedgerRollupTests.row(
                    ts: midnight - day + Int64(i) * 600_000_000, org: i % 9 == 0 ? nil : "acme", team: ["a", "", nil, "b"][i % 4],
                    feature: i % 6 == 0 ? "" : (i % 5 == 0 ? nil : "f\(i % 3)"), served: i % 13 == 0 ? nil : "small",
                    cost: Int64(i), outcome: i % 10 == 0 ? "rejected" : "success",
                    grants: i % 3 == 0 ? "[]" : #"["acme","acme-a"]"#, grantOwner: i % 3 == 0 ? nil : "lead@x"))
            }
        }
        XCTAssertFalse(try Self.objects(db).contains("ledger_daily"))
        let migration = try Self.migration(db)
        XCTAssertFalse(migration.contains { $0.hasPrefix("ALTER TABLE") }, "no column is missing")
        XCTAssertTrue(migration.contains { $0.contains("FROM ledger WHERE true") }, "the backfill: \(migration)")
        try db.transaction { for statement in migration { try db.execute(statement) } }
        try db.execute(LedgerSchema.createStatements)
        XCTAssertEqual(try Self.schemaVersion(db), "4")
        XCTAssertTrue(LedgerSchema.hasRollup(existingObjects: try Self.objects(db)))
        try RollupCheck.assertMatchesLedger(db, "the backfill")
        try insert.run(LedgerRollupTests.row(ts: midnight + 3 * day, org: nil, cost: 9, id: "after"))
        try RollupCheck.assertMatchesLedger(db, "a row after the migration")

        // Someone dropped a trigger: rows written meanwhile are not in the
        // rollup, so the next open rebuilds it.
        try db.execute("DROP TRIGGER ledger_daily_add")
        try insert.run(LedgerRollupTests.row(ts: midnight, cost: 1_000, id: "unseen"))
        let rebuild = try Self.migration(db)
        XCTAssertTrue(rebuild.contains("DELETE FROM ledger_daily"), "\(rebuild)")
        try db.transaction { for statement in rebuild { try db.execute(statement) } }
        try RollupCheck.assertMatchesLedger(db, "rebuilt")
        XCTAssertEqual(try Self.migration(db), [])
    }

    func testANewerSchemaVersionIsNeverLowered() throws {
        try makeVersion1Ledger(rows: 1)
        let db = try SQLiteDatabase(path: path)
        try db.execute("UPDATE ledger_meta SET value = '7' WHERE key = 'schema_version'")
        for statement in try Self.migration(db) { try db.execute(statement) }
        XCTAssertEqual(try Self.schemaVersion(db), "7")
        XCTAssertTrue(try Self.columns(db).contains("grant_owner"))
    }

    func testTheReportExplainsALedgerNotMigratedYet() throws {
        try makeVersion1Ledger(rows: 3)
        XCTAssertNoThrow(try LedgerFile.openForReading(path), "other dimensions still read an old ledger")
        XCTAssertEqual(try SpendQuery(dimensions: [try ReportDimension.parse("team")]).run(ledgerAt: path).total.requests, 3)
        for name in ["grant", "grant_owner"] {
            XCTAssertThrowsError(try LedgerFile.openForReading(path, dimensions: [try ReportDimension.parse(name)])) { error in
                XCTAssertTrue("\(error)".contains("predates ledger schema 2"), "\(error)")
                XCTAssertTrue("\(error)".contains("--by \(name)"), "\(error)")
            }
        }
    }

    /// A schema-3 ledger (every column, the rollup, no capacity index)
    /// gets only the index, built from its rows: no column added, the
    /// rollup kept as it is (not rebuilt), every row kept; once is enough.
    func makeSchema3Ledger(rows count: Int) throws -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: path)
        try db.execute(LedgerSchema.createStatements)
        try db.execute("DROP INDEX \(LedgerSchema.capacityIndex)")
        try db.execute("UPDATE ledger_meta SET value = '3' WHERE key = 'schema_version'")
        let insert = try db.prepare(LedgerSchema.insert)
        try db.transaction {
            for i in 0..<count {
                try insert.run(LedgerRollupTests.row(ts: LedgerRollupTests.midnight + Int64(i) * 7_000_000, team: ["a", nil, "b"][i % 3],
                                                     served: i % 5 == 0 ? nil : "small", cost: Int64(i), id: "old-\(i)"))
            }
        }
        return db
    }

    func testASchema3LedgerGetsTheCapacityIndexBuiltFromItsRows() throws {
        let db = try makeSchema3Ledger(rows: 120)
        XCTAssertFalse(LedgerSchema.hasCapacityIndex(existingObjects: try Self.objects(db)))
        let rollupBefore = try db.query("SELECT * FROM ledger_daily ORDER BY id")
        let rowsBefore = try db.query("SELECT * FROM ledger ORDER BY id")
        let migration = try Self.migration(db)
        XCTAssertEqual(migration.count, 3, "the index, then the version: \(migration)")
        XCTAssertTrue(migration[0].hasPrefix("CREATE INDEX IF NOT EXISTS ledger_capacity ON ledger(ts_us, "), "\(migration)")
        XCTAssertFalse(migration.contains { $0.contains("ledger_daily") }, "the rollup is kept, not rebuilt: \(migration)")
        try db.transaction { for statement in migration { try db.execute(statement) } }
        try db.execute(LedgerSchema.createStatements)

        XCTAssertEqual(try Self.schemaVersion(db), "4")
        XCTAssertTrue(LedgerSchema.hasCapacityIndex(existingObjects: try Self.objects(db)))
        XCTAssertEqual(try db.query("SELECT * FROM ledger ORDER BY id"), rowsBefore, "every row kept as it was")
        XCTAssertEqual(try db.query("SELECT * FROM ledger_daily ORDER BY id"), rollupBefore)
        XCTAssertEqual(try db.query("PRAGMA integrity_check").first?.first?.string, "ok")
        XCTAssertEqual(try db.query("SELECT count(*) FROM ledger INDEXED BY ledger_capacity WHERE ts_us >= 0").first?.first,
                       .integer(120), "the index holds every row")
        XCTAssertEqual(try Self.migration(db), [], "a current ledger needs nothing")
        // Run twice (a crash between the two opens), the statements change nothing.
        try db.transaction { for statement in migration { try db.execute(statement) } }
        XCTAssertEqual(try db.query("SELECT * FROM ledger ORDER BY id"), rowsBefore)
        XCTAssertEqual(try Self.schemaVersion(db), "4")

        // The index follows the rows the writer adds.
        try db.prepare(LedgerSchema.insert).run(LedgerRollupTests.row(ts: LedgerRollupTests.midnight + 5, cost: 7, id: "new"))
        XCTAssertEqual(try db.query("SELECT count(*) FROM ledger INDEXED BY ledger_capacity WHERE ts_us >= 0").first?.first,
                       .integer(121))
        XCTAssertEqual(try db.query("PRAGMA integrity_check").first?.first?.string, "ok")
    }

    // MARK: The host's ledger store

    /// A row as a plugin appends it (ABI 1.6), validated by the ABI's rules.
    static func row(_ id: String, grants: [String] = [], owner: String? = nil) throws -> LedgerRowRules.Row {
        try LedgerRowRules.parse(JSONObject([
            ("ts_us", .int(1_767_225_600_000_000)), ("request_id", .string(id)), ("org", .string("acme")), ("team", .string("recs")),
            ("model_served", .string("small")), ("tokens_in", .int(100)), ("tokens_out", .int(10)), ("cost_nanos", .int(56)),
            ("outcome", .string("success")), ("status", .int(200)), ("grant_ids", .array(grants.map(JSONValue.string))),
            ("grant_owner", owner.map(JSONValue.string) ?? .null),
        ])).get()
    }

    func testTheHostsLedgerStoreMigratesAnOldLedgerInPlaceAndWritesTheGrants() throws {
        try makeVersion1Ledger(rows: 40)
        let store = try SQLiteLedgerStore(path: path, onError: { XCTFail("\($0)") })
        let migration = try XCTUnwrap(store.migration)
        XCTAssertTrue(migration.summary.hasPrefix("added grant_ids, grant_owner, exception_ids; "
            + "built the daily rollup from the rows: 1 rollup row(s) in "), migration.summary)
        XCTAssertTrue(migration.summary.hasSuffix(" ms; built the capacity index"), migration.summary)
        XCTAssertNotNil(store.append(try Self.row("new-search", grants: ["acme", "recs", "recs-search"], owner: "lead@x")))
        XCTAssertNotNil(store.append(try Self.row("new-none")))
        store.close()
        XCTAssertNil(store.append(try Self.row("after-close")), "a closed store takes no row")

        let db = try SQLiteDatabase(path: path)
        XCTAssertEqual(try Self.schemaVersion(db), "4")
        try RollupCheck.assertMatchesLedger(db, "the backfill, then the host's rows through the trigger")
        let old = try db.query("SELECT count(*), sum(cost_nanos) FROM ledger WHERE request_id LIKE 'old-%' AND grant_ids = '[]' "
            + "AND grant_owner IS NULL")
        XCTAssertEqual(old.first, [.integer(40), .integer((1...40).reduce(0, +))], "every old row kept, with no grant")
        let new = try db.query("SELECT request_id, grant_ids, grant_owner FROM ledger WHERE request_id LIKE 'new-%' ORDER BY id")
        XCTAssertEqual(new.map { $0.map(\.string) }, [["new-search", #"["acme","recs","recs-search"]"#, "lead@x"],
                                                      ["new-none", "[]", nil]], "root first; the deepest grant's owner")

        // Opened again: nothing left to migrate.
        let again = try SQLiteLedgerStore(path: path, onError: { _ in })
        XCTAssertNil(again.migration)
        again.close()
        XCTAssertNoThrow(try LedgerFile.openForReading(path, dimensions: [try ReportDimension.parse("grant")]))
    }

    func testTheHostsLedgerStoreBuildsTheCapacityIndexOnASchema3Ledger() throws {
        _ = try makeSchema3Ledger(rows: 30)  // closed as it goes
        let store = try SQLiteLedgerStore(path: path, onError: { XCTFail("\($0)") })
        let migration = try XCTUnwrap(store.migration)
        XCTAssertTrue(migration.summary.hasPrefix("built the capacity index from the rows in "), migration.summary)
        XCTAssertNotNil(store.append(try Self.row("new")))
        store.close()

        let db = try SQLiteDatabase(path: path)
        XCTAssertEqual(try Self.schemaVersion(db), "4")
        XCTAssertEqual(try db.query("SELECT count(*) FROM ledger INDEXED BY ledger_capacity WHERE ts_us >= 0").first?.first,
                       .integer(31), "every old row and the new one")
        try RollupCheck.assertMatchesLedger(db, "the rollup kept, and the new row through the trigger")
    }
}
