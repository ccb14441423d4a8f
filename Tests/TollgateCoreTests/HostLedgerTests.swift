import CTollgatePlugin
import Foundation
import Logging
import TollgateABI
import TollgateLedger
import TollgateSQLite
import XCTest
@testable import TollgateConfig
@testable import TollgateDialects
@testable import TollgateHost
import TollgateJSON

/// The host's ledger (ABI 1.6): ledger_append validates a row by the ABI's
/// rules and queues it for the ledger file's writer; a row appended inside
/// a hook makes that call wait for its commit; ledger_read answers a file
/// with every row appended so far; close commits everything queued.
final class HostLedgerTests: XCTestCase {
    let api = HostAPI.table
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "tollgate-host-ledger-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var path: String { directory + "/ledger.sqlite" }

    func host(_ ledger: LedgerStore?, metrics: GatewayMetrics = GatewayMetrics()) -> HostContext {
        let services = HostServices(metrics: metrics, alerts: AlertRouter(sinks: [], metrics: metrics), logger: Logger(label: "test"),
                                    libraries: PluginLibraryCache(), ledger: ledger)
        return HostContext(instanceName: "tagging", services: services, catalog: ModelCatalog(entries: []))
    }

    func append(_ host: HostContext, _ json: String) -> tollgate_type_status {
        json.withCString { api.pointee.ledger_append!(host.pointer, tollgate_type_str(ptr: $0, len: strlen($0))) }
    }

    static let row = #"""
        {"ts_us": 1767225600000000, "request_id": "req-1", "org": "acme", "team": "recs", "feature": null,
         "tags": {"cost_center": "cc-42"}, "model_served": "small", "tokens_in": 120, "tokens_out": 34, "cost_nanos": 102400,
         "usage_estimated": true, "outcome": "success", "status": 200, "stream": 0, "grant_ids": ["acme", "recs"],
         "grant_owner": "head@acme.example", "exception_ids": []}
        """#

    func testAnAppendedRowIsInTheLedgerFileAsItsColumns() throws {
        let store = try SQLiteLedgerStore.open(path: path, metrics: nil, logger: Logger(label: "test"))
        let host = host(store)
        XCTAssertEqual(append(host, Self.row), TOLLGATE_STATUS_OK)
        var out = tollgate_type_str()
        XCTAssertEqual(api.pointee.ledger_read!(host.pointer, &out), TOLLGATE_STATUS_OK)
        XCTAssertEqual(String(decoding: UnsafeRawBufferPointer(start: out.ptr, count: out.len), as: UTF8.self), path,
                       "on SQLite, ledger_read answers the ledger file itself, every row committed")
        let db = try SQLiteDatabase(path: path, readOnly: true)
        let rows = try db.query("SELECT request_id, org, feature, tags, tokens_in, cost_nanos, usage_estimated, stream, grant_ids, "
            + "grant_owner, exception_ids, environment, attempts FROM ledger")
        XCTAssertEqual(rows, [[.text("req-1"), .text("acme"), .null, .text(#"{"cost_center":"cc-42"}"#), .integer(120),
                               .integer(102_400), .integer(1), .integer(0), .text(#"["acme","recs"]"#), .text("head@acme.example"),
                               .text("[]"), .null, .integer(0)]],
                       "every key in its column; a key left out takes the column's default")
        XCTAssertEqual(try db.query("SELECT requests, cost_nanos FROM ledger_daily"), [[.integer(1), .integer(102_400)]],
                       "the daily rollup's trigger saw it")
        store.close()
    }

    func testARowTheRulesRefuseIsInvalidArgumentAndLoggedAndNotWritten() throws {
        let store = try SQLiteLedgerStore.open(path: path, metrics: nil, logger: Logger(label: "test"))
        defer { store.close() }
        let host = host(store)
        let refused: [(String, String)] = [
            ("not json", "not valid JSON"),
            (#"["a"]"#, "must be a JSON object"),
            (#"{"ts_us": 1, "request_id": "r", "outcome": "success", "colour": "red"}"#, #"unknown ledger column "colour""#),
            (#"{"id": 7, "ts_us": 1, "request_id": "r", "outcome": "success"}"#, "the host assigns id"),
            (#"{"ts_us": "yesterday", "request_id": "r", "outcome": "success"}"#, #""ts_us" must be a whole number"#),
            (#"{"ts_us": 1, "request_id": "r", "outcome": "success", "tokens_in": 1.5}"#, #""tokens_in" must be a whole number"#),
            (#"{"ts_us": 1, "request_id": "r", "outcome": "success", "tags": {"a": 1}}"#, #""tags" must be an object of strings"#),
            (#"{"ts_us": 1, "request_id": "r", "outcome": "success", "grant_ids": "acme"}"#, #""grant_ids" must be an array of strings"#),
            (#"{"ts_us": 1, "request_id": "r"}"#, #"the row has no "outcome" (required)"#),
        ]
        for (json, message) in refused {
            XCTAssertEqual(append(host, json), TOLLGATE_STATUS_INVALID_ARGUMENT, json)
            guard case .failure(let problem) = LedgerRowRules.parse(Array(json.utf8)) else { return XCTFail(json) }
            XCTAssertTrue(problem.message.contains(message), "\(json): \(problem.message)")
        }
        store.flush()
        XCTAssertEqual(try SQLiteDatabase(path: path, readOnly: true).query("SELECT count(*) FROM ledger"), [[.integer(0)]])
    }

    func testWithoutALedgerAndAfterCloseAnAppendIsUnavailable() throws {
        XCTAssertEqual(append(host(nil), Self.row), TOLLGATE_STATUS_UNAVAILABLE)
        var out = tollgate_type_str()
        XCTAssertEqual(api.pointee.ledger_read!(host(nil).pointer, &out), TOLLGATE_STATUS_UNAVAILABLE)
        let store = try SQLiteLedgerStore.open(path: path, metrics: nil, logger: Logger(label: "test"))
        let host = host(store)
        store.close()
        XCTAssertEqual(append(host, Self.row), TOLLGATE_STATUS_UNAVAILABLE, "closed: the row is refused, not silently lost")
    }

    func testCloseCommitsEveryRowQueuedFromManyThreads() throws {
        let store = try SQLiteLedgerStore.open(path: path, metrics: nil, logger: Logger(label: "test"))
        let host = host(store)
        let threads = 8, perThread = 500
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                let json = #"{"ts_us": \#(i), "request_id": "r-\#(t)-\#(i)", "outcome": "success", "cost_nanos": \#(t + 1)}"#
                XCTAssertEqual(self.append(host, json), TOLLGATE_STATUS_OK)
            }
        }
        store.close()  // no flush before: close commits what is queued
        let db = try SQLiteDatabase(path: path, readOnly: true)
        XCTAssertEqual(try db.query("SELECT count(*), sum(cost_nanos) FROM ledger"),
                       [[.integer(Int64(threads * perThread)), .integer(Int64(perThread * (1...threads).reduce(0, +)))]])
    }

    func testARowAppendedInAHookMakesTheCallWaitForItsCommit() throws {
        let store = try SQLiteLedgerStore.open(path: path, metrics: nil, logger: Logger(label: "test"))
        defer { store.close() }
        let host = host(store)
        let call = try CounterHostAPITests.bareCall()
        RunningCall.set(call)
        XCTAssertEqual(append(host, Self.row), TOLLGATE_STATUS_OK)
        RunningCall.set(nil)
        let wait = try XCTUnwrap(call.durabilityWaits.first)
        XCTAssertTrue(wait.writer === store.writer)
        wait.writer.waitUntilCommitted(wait.ticket)
        XCTAssertEqual(try SQLiteDatabase(path: path, readOnly: true).query("SELECT request_id FROM ledger"), [[.text("req-1")]])
    }

    func testAFailedCommitIsCountedOnTheLedgersErrorMetric() throws {
        let metrics = GatewayMetrics()
        let store = try SQLiteLedgerStore.open(path: path, metrics: metrics, logger: Logger(label: "test"))
        defer { store.close() }
        let host = host(store, metrics: metrics)
        // The file refuses rows behind the host's back.
        try SQLiteDatabase(path: path).execute("CREATE TRIGGER no_rows BEFORE INSERT ON ledger BEGIN SELECT RAISE(FAIL, 'read-only'); END")
        XCTAssertEqual(append(host, Self.row), TOLLGATE_STATUS_OK, "queued: the commit fails later, on the writer")
        store.flush()
        let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
        XCTAssertTrue(exposition.contains("tollgate_ledger_write_errors_total 1"), exposition)
    }

    /// TollgateABI's column list is the ledger's insert, in its order: the
    /// host binds a validated row to LedgerSchema.insert as it is.
    func testTheABIsColumnsAreTheLedgersInsertColumnsInOrder() {
        let insert = LedgerSchema.insert
        let list = insert[insert.index(after: insert.firstIndex(of: "(")!)..<insert.firstIndex(of: ")")!]
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(LedgerRowRules.columns.map(\.name), names)
    }
}
