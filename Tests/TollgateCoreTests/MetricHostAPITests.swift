import CTollgatePlugin
import Foundation
import Logging
import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

/// The metric functions of the host table: a series resolved to a handle
/// (ABI 1.3) records on the same series as metric_record with its labels,
/// handles are shared across generations, and bad input is refused.
final class MetricHostAPITests: XCTestCase {
    let api = HostAPI.table
    let metrics = GatewayMetrics()

    func host() -> HostContext {
        let services = HostServices(metrics: metrics, alerts: AlertRouter(sinks: [], metrics: metrics), logger: Logger(label: "test"),
                                    libraries: PluginLibraryCache(), counters: CounterStore())
        return HostContext(instanceName: "p", services: services, catalog: ModelCatalog(entries: []))
    }

    func define(_ host: HostContext, _ kind: Int32, _ name: String, labels: String) -> UInt32? {
        var id: UInt32 = 0
        let status = withStrs([name, "help", labels]) { s in api.pointee.metric_define!(host.pointer, kind, s[0], s[1], s[2], &id) }
        return status == TOLLGATE_STATUS_OK ? id : nil
    }

    func series(_ host: HostContext, _ id: UInt32, _ labels: [String]) -> (tollgate_type_status, UInt64) {
        var handle: UInt64 = 0
        let status = withStrs(labels) { s in api.pointee.metric_series!(host.pointer, id, s.baseAddress, s.count, &handle) }
        return (status, handle)
    }

    func record(_ host: HostContext, _ id: UInt32, _ labels: [String], _ value: Double) -> tollgate_type_status {
        withStrs(labels) { s in api.pointee.metric_record!(host.pointer, id, s.baseAddress, s.count, value) }
    }

    func exposition() -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

    func testASeriesHandleRecordsOnTheSameSeriesAsItsLabels() throws {
        let old = host(), new = host()
        let id = try XCTUnwrap(define(old, TOLLGATE_METRIC_COUNTER, "t_calls_total", labels: "team,model"))
        let (status, handle) = series(old, id, ["acme", "small"])
        XCTAssertEqual(status, TOLLGATE_STATUS_OK)
        XCTAssertNotEqual(handle, 0, "handles are never 0")
        // Another generation resolving the same labels gets the same handle.
        XCTAssertEqual(series(new, id, ["acme", "small"]).1, handle)
        XCTAssertNotEqual(series(new, id, ["acme", "large"]).1, handle)

        XCTAssertEqual(api.pointee.metric_series_record!(old.pointer, handle, 2), TOLLGATE_STATUS_OK)
        XCTAssertEqual(api.pointee.metric_series_record!(new.pointer, handle, 3), TOLLGATE_STATUS_OK)
        XCTAssertEqual(record(old, id, ["acme", "small"], 4), TOLLGATE_STATUS_OK)
        XCTAssertTrue(exposition().contains(#"t_calls_total{team="acme",model="small"} 9"#), exposition())
    }

    func testGaugeAndHistogramSeries() throws {
        let h = host()
        let gauge = try XCTUnwrap(define(h, TOLLGATE_METRIC_GAUGE, "t_level", labels: ""))
        let histogram = try XCTUnwrap(define(h, TOLLGATE_METRIC_HISTOGRAM, "t_wait_seconds", labels: "route"))
        let level = series(h, gauge, []).1
        let wait = series(h, histogram, ["chat"]).1
        XCTAssertEqual(api.pointee.metric_series_record!(h.pointer, level, 7), TOLLGATE_STATUS_OK)
        XCTAssertEqual(api.pointee.metric_series_record!(h.pointer, level, 5), TOLLGATE_STATUS_OK)
        XCTAssertEqual(api.pointee.metric_series_record!(h.pointer, wait, 0.25), TOLLGATE_STATUS_OK)
        XCTAssertEqual(api.pointee.metric_series_record!(h.pointer, level, -1), TOLLGATE_STATUS_OK, "a gauge may go negative")
        let text = exposition()
        XCTAssertTrue(text.contains("t_level -1"), text)
        XCTAssertTrue(text.contains(#"t_wait_seconds_count{route="chat"} 1"#), text)
    }

    func testBadInputIsRefused() throws {
        let h = host()
        let id = try XCTUnwrap(define(h, TOLLGATE_METRIC_COUNTER, "t_refused_total", labels: "reason"))
        XCTAssertEqual(series(h, id, []).0, TOLLGATE_STATUS_INVALID_ARGUMENT, "wrong label count")
        XCTAssertEqual(series(h, id + 100, ["x"]).0, TOLLGATE_STATUS_INVALID_ARGUMENT, "unknown metric")
        var handle: UInt64 = 0
        XCTAssertEqual(api.pointee.metric_series!(h.pointer, id, nil, 1, &handle), TOLLGATE_STATUS_INVALID_ARGUMENT, "NULL labels")
        XCTAssertEqual(withStrs(["x"]) { s in api.pointee.metric_series!(h.pointer, id, s.baseAddress, 1, nil) },
                       TOLLGATE_STATUS_INVALID_ARGUMENT, "NULL out-parameter")
        let bad: [UInt8] = [0xFF, 0xFE]
        let status = bad.withUnsafeBufferPointer { b -> tollgate_type_status in
            var s = tollgate_type_str(ptr: UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self), len: 2)
            return api.pointee.metric_series!(h.pointer, id, &s, 1, &handle)
        }
        XCTAssertEqual(status, TOLLGATE_STATUS_INVALID_ARGUMENT, "labels must be UTF-8")

        let good = series(h, id, ["x"]).1
        XCTAssertEqual(api.pointee.metric_series_record!(h.pointer, 0, 1), TOLLGATE_STATUS_INVALID_ARGUMENT, "handle 0")
        XCTAssertEqual(api.pointee.metric_series_record!(h.pointer, good + 1000, 1), TOLLGATE_STATUS_INVALID_ARGUMENT)
        XCTAssertEqual(api.pointee.metric_series_record!(h.pointer, good, -1), TOLLGATE_STATUS_INVALID_ARGUMENT, "negative counter")
        XCTAssertEqual(api.pointee.metric_series_record!(h.pointer, good, .nan), TOLLGATE_STATUS_INVALID_ARGUMENT)
        XCTAssertEqual(record(h, id, ["x"], .nan), TOLLGATE_STATUS_INVALID_ARGUMENT, "NaN by labels too")
        XCTAssertEqual(api.pointee.metric_series_record!(h.pointer, good, 1), TOLLGATE_STATUS_OK)
        XCTAssertTrue(exposition().contains(#"t_refused_total{reason="x"} 1"#), exposition())
    }

    func testTheTableSaysItHasTheFunctions() {
        XCTAssertGreaterThanOrEqual(api.pointee.abi_minor, 3, "a host of 1.3 or later")
        XCTAssertGreaterThanOrEqual(Int(api.pointee.struct_size), MemoryLayout<tollgate_type_host_api>.offset(of: \.metric_series_record)!
            + MemoryLayout<tollgate_callback_metric_series_record>.size)
    }
}

/// Lends strings as a C array of tollgate_type_str for `body`.
private func withStrs<R>(_ strings: [String], _ body: (UnsafeBufferPointer<tollgate_type_str>) -> R) -> R {
    let copies = strings.map { strdup($0)! }
    defer { copies.forEach { free($0) } }
    let strs = copies.map { tollgate_type_str(ptr: $0, len: strlen($0)) }
    return strs.withUnsafeBufferPointer(body)
}
