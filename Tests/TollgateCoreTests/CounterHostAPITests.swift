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

/// The counter functions of the host table: two plugin instances (two
/// generations) share counters by name, status codes follow the header,
/// and a persisted settle inside a hook makes the call wait for the commit.
final class CounterHostAPITests: XCTestCase {
    let api = HostAPI.table

    func services(_ counters: CounterStore) -> HostServices {
        let metrics = GatewayMetrics()
        return HostServices(metrics: metrics, alerts: AlertRouter(sinks: [], metrics: metrics), logger: Logger(label: "test"),
                            libraries: PluginLibraryCache(), counters: counters)
    }

    /// A call with nothing in it, for a host function that binds to the
    /// running call (RunningCall.set) — a settle, a ledger row.
    static func bareCall() throws -> CallContext {
        CallContext(requestID: "r", route: "/v1/chat/completions",
                    identity: Identity(keyId: "k", org: "acme", team: "t", owner: "o", keyClass: .production,
                                       allowedModels: nil, expiresAt: nil),
                    request: try CanonicalRequest(dialect: .openai, body: Array(#"{"model":"small","messages":[]}"#.utf8)),
                    catalog: ModelCatalog(entries: []), requestHeaders: HeaderList([], caseInsensitive: true),
                    receivedAtMicros: 0, pluginCount: 1)
    }

    func declare(_ host: HostContext, _ name: String, limit: Int64) -> (tollgate_type_status, UInt32) {
        var id: UInt32 = 0
        let status = name.withCString { ptr -> tollgate_type_status in
            var spec = tollgate_type_counter_spec()
            spec.struct_size = UInt32(MemoryLayout<tollgate_type_counter_spec>.size)
            spec.name = tollgate_type_str(ptr: ptr, len: strlen(ptr))
            spec.limit = limit
            spec.window = TOLLGATE_WINDOW_DAY
            spec.flags = TOLLGATE_COUNTER_PERSIST
            return api.pointee.counter_declare!(host.pointer, &spec, &id)
        }
        return (status, id)
    }

    func testTwoGenerationsShareCountersByName() throws {
        let shared = services(CounterStore())
        let old = HostContext(instanceName: "budget", services: shared, catalog: ModelCatalog(entries: []))
        let new = HostContext(instanceName: "budget", services: shared, catalog: ModelCatalog(entries: []))
        let (s1, id1) = declare(old, "budget:org/acme:daily", limit: 100)
        let (s2, id2) = declare(new, "budget:org/acme:daily", limit: 100)
        XCTAssertEqual(s1, TOLLGATE_STATUS_OK)
        XCTAssertEqual(s2, TOLLGATE_STATUS_OK)
        XCTAssertEqual(id1, id2)

        var ids = [id1], amounts: [Int64] = [60]
        var reservation: UInt64 = 0, refused = 0
        XCTAssertEqual(api.pointee.counter_reserve!(old.pointer, &ids, &amounts, 1, 0, &reservation, &refused, nil), TOLLGATE_STATUS_OK)
        XCTAssertEqual(refused, 1, "count when nothing refused")
        XCTAssertNotEqual(reservation, 0)
        // The new generation sees the old one's reservation and is refused.
        var state = tollgate_type_counter_state()
        state.struct_size = UInt32(MemoryLayout<tollgate_type_counter_state>.size)
        var other: UInt64 = 0
        XCTAssertEqual(api.pointee.counter_reserve!(new.pointer, &ids, &amounts, 1, 0, &other, &refused, &state),
                       TOLLGATE_STATUS_REFUSED)
        XCTAssertEqual(refused, 0)
        XCTAssertEqual(state.reserved, 60)
        XCTAssertEqual(state.limit, 100)
        // Settled by the new generation (the old one is draining).
        var actual: [Int64] = [75]
        XCTAssertEqual(api.pointee.counter_settle!(new.pointer, reservation, &actual, 1), TOLLGATE_STATUS_OK)
        XCTAssertEqual(api.pointee.counter_settle!(new.pointer, reservation, &actual, 1), TOLLGATE_STATUS_NOT_FOUND)
        XCTAssertEqual(api.pointee.counter_release!(old.pointer, reservation), TOLLGATE_STATUS_NOT_FOUND)
        XCTAssertEqual(api.pointee.counter_get!(old.pointer, id1, &state), TOLLGATE_STATUS_OK)
        XCTAssertEqual(state.spent, 75)
        XCTAssertEqual(state.reserved, 0)
        XCTAssertEqual(api.pointee.counter_add!(old.pointer, id1, 5), TOLLGATE_STATUS_OK)
        XCTAssertEqual(api.pointee.counter_add!(old.pointer, id1, -5), TOLLGATE_STATUS_INVALID_ARGUMENT)
        XCTAssertEqual(api.pointee.counter_get!(old.pointer, 999, &state), TOLLGATE_STATUS_INVALID_ARGUMENT)
        XCTAssertEqual(api.pointee.counter_reserve!(old.pointer, &ids, &amounts, 0, 0, &other, &refused, nil),
                       TOLLGATE_STATUS_INVALID_ARGUMENT)
        XCTAssertEqual(declare(old, "", limit: 1).0, TOLLGATE_STATUS_INVALID_ARGUMENT)
        XCTAssertEqual(declare(old, "x", limit: -1).0, TOLLGATE_STATUS_INVALID_ARGUMENT)
    }

    func testASettleInsideAHookMakesTheResponseWaitForTheCommit() throws {
        let dir = NSTemporaryDirectory() + "tollgate-hostapi-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let journal = try SpentJournal(path: dir + "/counters.db")
        let store = CounterStore(persistence: journal)
        defer { store.close() }
        let host = HostContext(instanceName: "budget", services: services(store), catalog: ModelCatalog(entries: []))
        let (_, id) = declare(host, "budget:org/acme:daily", limit: 1_000)
        var ids = [id], amounts: [Int64] = [10]
        var reservation: UInt64 = 0, refused = 0
        XCTAssertEqual(api.pointee.counter_reserve!(host.pointer, &ids, &amounts, 1, 0, &reservation, &refused, nil),
                       TOLLGATE_STATUS_OK)
        let call = try CounterHostAPITests.bareCall()
        RunningCall.set(call)
        var actual: [Int64] = [7]
        XCTAssertEqual(api.pointee.counter_settle!(host.pointer, reservation, &actual, 1), TOLLGATE_STATUS_OK)
        RunningCall.set(nil)
        let wait = try XCTUnwrap(call.durabilityWaits.first)
        XCTAssertTrue(wait.writer === journal.writer)
        wait.writer.waitUntilCommitted(wait.ticket)
        XCTAssertEqual(try journal.allRows().map(\.amount), [7])
    }
}
