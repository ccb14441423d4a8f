import Foundation
import Logging
import PostgresNIO
import TollgateABI
import TollgateConfig
import TollgateHost
import TollgateJSON
import TollgatePostgres
import TollgateSQLite
import XCTest

/// The shared ledger: each gateway's ledger file is the durable outbox,
/// shipped to `tollgate_ledger` exactly once (source = the file's id, seq =
/// the row's id, ON CONFLICT DO NOTHING, the watermark stored after the
/// database's commit); readers read a local copy synced from the database.
final class PostgresLedgerTests: DatabaseTestCase {
    /// Row `i` of a gateway named `gateway`: varied teams, models, nulls,
    /// tags and grants, a cost that differs by row.
    static func row(_ gateway: String, _ i: Int) throws -> LedgerRowRules.Row {
        let teams = ["payments", "search", "recs"]
        return try LedgerRowRules.parse(JSONObject([
            ("ts_us", .int(1_767_225_600_000_000 + Int64(i) * 1_000_000)), ("request_id", .string("\(gateway)-\(i)")),
            ("org", .string("acme")), ("team", .string(teams[i % 3])), ("feature", i % 4 == 0 ? .null : .string("f\(i % 4)")),
            ("tags", .object(JSONObject([("cost_center", .string("cc-\(i % 5)"))]))), ("model_served", .string(i % 2 == 0 ? "small" : "large")),
            ("tokens_in", .int(Int64(100 + i))), ("tokens_out", .int(Int64(i % 50))), ("cost_nanos", .int(Int64(1_000 + i * 7))),
            ("usage_estimated", .bool(i % 10 == 0)), ("outcome", .string(i % 9 == 0 ? "rejected" : "success")),
            ("status", .int(i % 9 == 0 ? 429 : 200)), ("grant_ids", .array([.string("acme"), .string(teams[i % 3])])),
            ("grant_owner", .string("\(teams[i % 3])@acme.example")), ("exception_ids", .array(i % 13 == 0 ? [.string("exc-1")] : [])),
        ])).get()
    }

    /// A ledger file (through the host's store) with `count` rows of `gateway`.
    func makeLedger(_ name: String, gateway: String, rows range: Range<Int>) throws -> String {
        let path = directory + "/\(name).sqlite"
        let store = try SQLiteLedgerStore(path: path, onError: { XCTFail("\($0)") })
        for i in range { XCTAssertNotNil(store.append(try Self.row(gateway, i))) }
        store.close()
        return path
    }

    func scalar(_ storage: PostgresStorage, _ sql: String) throws -> Int64 {
        try storage.blocking("test query") { client in
            try await client.query(PostgresQuery(unsafeSQL: sql)).collect().first?.decode(Int64.self) ?? -1
        }
    }

    func local(_ path: String, _ sql: String) throws -> Int64 {
        try SQLiteDatabase(path: path, readOnly: true).query(sql).first?.first?.int64 ?? -1
    }

    func testShippingTwiceShipsOnce() throws {
        let storage = try database.storage()
        let path = try makeLedger("gw", gateway: "a", rows: 0..<2_500)
        let shipper = try PostgresLedgerShipper(ledgerPath: path, storage: storage)
        XCTAssertEqual(try shipper.shipAll(), 2_500)
        XCTAssertEqual(shipper.watermark, 2_500)
        XCTAssertEqual(try shipper.shipAll(), 0, "nothing above the watermark")
        XCTAssertEqual(try scalar(storage, "SELECT count(*) FROM tollgate_ledger"), 2_500)
        XCTAssertEqual(try scalar(storage, "SELECT shipped_seq FROM tollgate_ledger_sources"), 2_500)

        // The watermark lost (an old copy of the file's meta): everything is
        // sent again, and the database keeps one of each.
        try SQLiteDatabase(path: path).execute("DELETE FROM ledger_meta WHERE key = 'shipped_seq'")
        XCTAssertEqual(try PostgresLedgerShipper(ledgerPath: path, storage: storage).shipAll(), 2_500)
        XCTAssertEqual(try scalar(storage, "SELECT count(*) FROM tollgate_ledger"), 2_500)
        XCTAssertEqual(try scalar(storage, "SELECT sum(cost_nanos)::BIGINT FROM tollgate_ledger"),
                       try local(path, "SELECT sum(cost_nanos) FROM ledger"))
    }

    func testAShipperKilledBetweenTheCommitAndTheWatermarkReShipsWithoutDuplicates() throws {
        let storage = try database.storage()
        let path = try makeLedger("gw", gateway: "a", rows: 0..<2_300)
        let first = try PostgresLedgerShipper(ledgerPath: path, storage: storage)
        // The database committed the batch; the process died before the
        // local watermark was written.
        XCTAssertEqual(try first.shipBatch(recordWatermark: false), PostgresLedgerShipper.defaultBatchRows)
        XCTAssertEqual(first.watermark, 0)
        XCTAssertEqual(try scalar(storage, "SELECT count(*) FROM tollgate_ledger"), 1_000)

        let restarted = try PostgresLedgerShipper(ledgerPath: path, storage: storage)
        XCTAssertEqual(restarted.source, first.source, "the file keeps its source id")
        XCTAssertEqual(try restarted.shipAll(), 2_300, "the first batch is sent again ...")
        XCTAssertEqual(try scalar(storage, "SELECT count(*) FROM tollgate_ledger"), 2_300, "... and kept once")
        XCTAssertEqual(try scalar(storage, "SELECT count(DISTINCT request_id) FROM tollgate_ledger"), 2_300)
        XCTAssertEqual(try scalar(storage, "SELECT sum(cost_nanos)::BIGINT FROM tollgate_ledger"),
                       try local(path, "SELECT sum(cost_nanos) FROM ledger"))
    }

    func testTwoGatewaysLedgersBothReachTheReadCopyWithTheSameFigures() throws {
        let storage = try database.storage()
        let a = try makeLedger("a", gateway: "a", rows: 0..<1_700)
        let b = try makeLedger("b", gateway: "b", rows: 0..<900)
        let shipperA = try PostgresLedgerShipper(ledgerPath: a, storage: storage)
        let shipperB = try PostgresLedgerShipper(ledgerPath: b, storage: storage)
        XCTAssertNotEqual(shipperA.source, shipperB.source)
        try shipperA.shipAll()
        try shipperB.shipAll()
        let localCost = try local(a, "SELECT sum(cost_nanos) FROM ledger") + local(b, "SELECT sum(cost_nanos) FROM ledger")
        XCTAssertEqual(try scalar(storage, "SELECT sum(cost_nanos)::BIGINT FROM tollgate_ledger"), localCost,
                       "the database's sum is the sum of the gateways' files")

        let copy = try PostgresLedgerReadCopy(path: directory + "/copy.sqlite", storage: storage, batchRows: 700)
        XCTAssertEqual(try copy.sync(), 2_600)
        XCTAssertEqual(try copy.sync(), 0, "in sync: nothing pulled twice")
        XCTAssertEqual(try local(copy.path, "SELECT count(*) FROM ledger"), 2_600)
        XCTAssertEqual(try local(copy.path, "SELECT sum(cost_nanos) FROM ledger"), localCost)
        XCTAssertEqual(try local(copy.path, "SELECT sum(cost_nanos) FROM ledger_daily"), localCost, "the rollup's triggers ran")
        for column in ["tokens_in", "tokens_out", "usage_estimated", "status"] {
            XCTAssertEqual(try local(copy.path, "SELECT sum(\(column)) FROM ledger"),
                           try local(a, "SELECT sum(\(column)) FROM ledger") + local(b, "SELECT sum(\(column)) FROM ledger"), column)
        }
        let sample = try SQLiteDatabase(path: copy.path, readOnly: true)
            .query("SELECT tags, grant_ids, exception_ids, feature FROM ledger WHERE request_id = 'b-0'")
        XCTAssertEqual(sample, [[.text(#"{"cost_center":"cc-0"}"#), .text(#"["acme","payments"]"#), .text(#"["exc-1"]"#), .null]])

        // More rows on one gateway: the next sync pulls just those.
        let more = try SQLiteLedgerStore(path: b, onError: { XCTFail("\($0)") })
        for i in 900..<950 { XCTAssertNotNil(more.append(try Self.row("b", i))) }
        more.close()
        XCTAssertEqual(try shipperB.shipAll(), 50)
        XCTAssertEqual(try copy.sync(), 50)
        XCTAssertEqual(try local(copy.path, "SELECT count(DISTINCT request_id) FROM ledger"), 2_650)

        // A second process syncing the same copy file adds nothing twice.
        let other = try PostgresLedgerReadCopy(path: copy.path, storage: storage)
        XCTAssertEqual(try other.sync(), 0)
    }

    func testTheStoreShipsByItselfAndItsReadablePathHoldsEveryRow() throws {
        let storage = try database.storage()
        let store = try PostgresLedgerStore(path: directory + "/ledger.sqlite", readCopyPath: directory + "/ledger-shared.sqlite",
                                            storage: storage, metrics: nil, logger: TestDatabase.quietLogger)
        for i in 0..<300 { XCTAssertNotNil(store.append(try Self.row("s", i))) }
        let deadline = Date().addingTimeInterval(10)
        while try scalar(storage, "SELECT count(*) FROM tollgate_ledger") < 300, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertEqual(try scalar(storage, "SELECT count(*) FROM tollgate_ledger"), 300, "shipped within the interval, unasked")

        for i in 300..<320 { XCTAssertNotNil(store.append(try Self.row("s", i))) }
        let path = try store.readablePath()
        XCTAssertEqual(path, directory + "/ledger-shared.sqlite")
        XCTAssertEqual(try local(path, "SELECT count(*) FROM ledger"), 320, "every row appended so far, at once")
        store.close()
        XCTAssertNil(store.append(try Self.row("s", 999)))
    }

    func testAFileBehindWhatItShippedShipsItsNewRowsUnderANewSource() throws {
        let storage = try database.storage()
        let path = try makeLedger("gw", gateway: "a", rows: 0..<10)
        let shipper = try PostgresLedgerShipper(ledgerPath: path, storage: storage)
        XCTAssertEqual(try shipper.shipAll(), 10)
        // Restored from a backup taken when it had rows 1...7 and had
        // shipped 1...5 (its watermark with it); the gateway starts on it
        // and writes three new rows: ids 8...10 again.
        let file = try SQLiteDatabase(path: path)
        try file.execute("DELETE FROM ledger WHERE id > 7")
        try file.execute("UPDATE ledger_meta SET value = '5' WHERE key = 'shipped_seq'")
        let restored = try PostgresLedgerShipper(ledgerPath: path, storage: storage)
        XCTAssertNotEqual(restored.source, shipper.source, "ids 8...10 are taken under the old source")
        XCTAssertEqual(restored.watermark, 7)
        let store = try SQLiteLedgerStore(path: path, onError: { XCTFail("\($0)") })
        for i in 100..<103 { XCTAssertNotNil(store.append(try Self.row("a", i))) }
        store.close()
        XCTAssertEqual(try restored.shipAll(), 3)
        XCTAssertEqual(try scalar(storage, "SELECT count(*) FROM tollgate_ledger"), 13, "the new rows kept, nothing twice")
    }

    func testMigrateFromSQLiteShipsTheLedgerWithEveryFigureAndARerunAddsNothing() throws {
        let storage = try database.storage()
        let path = try makeLedger("ledger", gateway: "embedded", rows: 0..<1_234)
        let first = try XCTUnwrap(try SQLiteImport.shipLedger(from: directory, into: storage))
        XCTAssertEqual(first.file, path)
        XCTAssertEqual(first.rowsInFile, 1_234)
        XCTAssertEqual(first.added, 1_234)
        for column in ["cost_nanos", "tokens_in", "tokens_out", "usage_estimated", "status", "ts_us"] {
            XCTAssertEqual(try scalar(storage, "SELECT sum(\(column))::BIGINT FROM tollgate_ledger"),
                           try local(path, "SELECT sum(\(column)) FROM ledger"), column)
        }
        XCTAssertEqual(try scalar(storage, "SELECT count(*) FROM tollgate_ledger WHERE grant_owner = 'search@acme.example'"),
                       try local(path, "SELECT count(*) FROM ledger WHERE grant_owner = 'search@acme.example'"))
        let again = try XCTUnwrap(try SQLiteImport.shipLedger(from: directory, into: storage))
        XCTAssertEqual(again.added, 0)
        XCTAssertEqual(again.source, first.source)
        XCTAssertEqual(try scalar(storage, "SELECT count(*) FROM tollgate_ledger"), 1_234)
        XCTAssertNil(try SQLiteImport.shipLedger(from: directory + "/nothing-here", into: storage))
    }

    /// How fast one shipper moves rows (printed; bench/RESULTS.md).
    func testShippingThroughput() throws {
        let storage = try database.storage()
        let path = try makeLedger("gw", gateway: "a", rows: 0..<20_000)
        let shipper = try PostgresLedgerShipper(ledgerPath: path, storage: storage)
        let start = Date()
        XCTAssertEqual(try shipper.shipAll(), 20_000)
        let seconds = Date().timeIntervalSince(start)
        let copy = try PostgresLedgerReadCopy(path: directory + "/copy.sqlite", storage: storage)
        let syncStart = Date()
        XCTAssertEqual(try copy.sync(), 20_000)
        let syncSeconds = Date().timeIntervalSince(syncStart)
        print("ledger shipping: 20000 rows in \(String(format: "%.2f", seconds)) s (\(Int(20_000 / seconds)) rows/s); "
            + "read copy sync: \(String(format: "%.2f", syncSeconds)) s (\(Int(20_000 / syncSeconds)) rows/s)")
    }
}
