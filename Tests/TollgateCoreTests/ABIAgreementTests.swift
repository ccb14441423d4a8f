import CTollgatePlugin
import Foundation
import Logging
import TollgateABI
import TollgatePluginTesting
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

/// The gateway's host table and the test kit's fake host table apply one
/// set of ABI rules (TollgateABI). Every host function — get_string and
/// get_int once per property, the map functions once per map — is called
/// in every phase on both tables with the same arguments, and both must
/// answer the same status, WRONG_PHASE exactly where the rules say.
final class ABIAgreementTests: XCTestCase {
    static let catalog = ModelCatalog(entries: [
        ModelEntry(name: "small", provider: .mock,
                   price: Price(inputPerMTokNanos: 400_000_000, outputPerMTokNanos: 1_600_000_000, cachedPerMTokNanos: 100_000_000)),
    ])
    static let body = #"{"model":"small","messages":[{"role":"user","content":"hi"}],"metadata":{"feature":"search"}}"#

    /// A ledger on both hosts (ABI 1.6): the gateway's in a file, the fake's in memory.
    static let ledgerPath = HookChainTests.workDir + "/agreement-ledger-\(getpid()).sqlite"

    let services: HostServices = {
        let metrics = GatewayMetrics()
        return HostServices(metrics: metrics, alerts: AlertRouter(sinks: [], metrics: metrics), logger: Logger(label: "agreement"),
                            libraries: PluginLibraryCache(cacheDirectory: HookChainTests.workDir + "/agreement-cache"),
                            ledger: try! SQLiteLedgerStore.open(path: ABIAgreementTests.ledgerPath, metrics: nil,
                                                                logger: Logger(label: "agreement")))
    }()

    /// Runs `probe` on the gateway's table, the handles in `phase`.
    func runReal(_ probe: ABIProbe, in phase: ABIPhase) throws -> tollgate_type_status {
        let host = HostContext(instanceName: "probe", services: services, catalog: Self.catalog, hasRouteHook: true)
        host.phase = HandlePhase.host(phase)
        let call = CallContext(requestID: "req-1", route: "/v1/chat/completions",
                               identity: Identity(keyId: "test-key", org: "acme", team: "payments", owner: "lead@example.com",
                                                  keyClass: .production, allowedModels: nil, expiresAt: nil),
                               request: try CanonicalRequest(dialect: .openai, body: Array(Self.body.utf8)), catalog: Self.catalog,
                               requestHeaders: HeaderList([("x-tier", "fast")], caseInsensitive: true), receivedAtMicros: 0,
                               pluginCount: 1)
        call.upstreamHeaders = HeaderList([("content-type", "application/json")], caseInsensitive: true)
        call.phase = HandlePhase.call(phase)
        if call.phase == .chunk {
            let data = Array(#"{"choices":[{"delta":{"content":"hi"}}]}"#.utf8)
            call.currentEvent = ResponseEvent(dialect: .openai, isStreamEvent: true, eventName: nil, data: data, raw: data)
        }
        let route = RouteRequest(method: "GET", path: "/admin/probe", query: "a=1", body: [])
        route.phase = HandlePhase.route(phase)
        defer {
            call.arena.reset()
            route.arena.reset()
        }
        return probe.run(ProbeHandles(api: HostAPI.table, host: host.pointer, call: call.pointer, route: route.pointer))
    }

    /// Runs `probe` on the fake host's table, the same handles in `phase`.
    func runFake(_ probe: ABIProbe, in phase: ABIPhase) -> tollgate_type_status {
        let host = FakeHost()
        host.setLedgerReader { _ in ABIAgreementTests.ledgerPath }
        let call = FakeCall(model: "small", prompt: [("user", "hi")], headers: [("x-tier", "fast")],
                            metadata: [("feature", "search")])
        call.upstreamHeaders = [("content-type", "application/json")]
        let route = FakeRoute(method: "GET", path: "/admin/probe", query: "a=1")
        return host.withRawHandle(in: phase, routeHook: true) { hostHandle in
            call.withRawHandle(in: phase, host: host) { callHandle in
                route.withRawHandle(in: phase) { routeHandle in
                    probe.run(ProbeHandles(api: FakeHost.hostAPI(), host: hostHandle, call: callHandle, route: routeHandle))
                }
            }
        }
    }

    func testBothHostsAnswerEveryFunctionAlikeInEveryPhase() throws {
        var compared = 0
        for probe in ABIProbe.all {
            for phase in ABIPhase.allCases {
                let real = try runReal(probe, in: phase)
                let fake = runFake(probe, in: phase)
                let context = "\(probe.label) in \(phase): gateway \(HostStatusName.of(real)), fake host \(HostStatusName.of(fake))"
                XCTAssertEqual(real, fake, context)
                XCTAssertEqual(real == TOLLGATE_STATUS_WRONG_PHASE, probe.wrongPhase(phase),
                               "\(context); the rules say \(probe.wrongPhase(phase) ? "wrong_phase" : "not wrong_phase")")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, HostFunction.allCases.count * ABIPhase.allCases.count)
    }

    /// Every function of the header's table is in the rules, in table order,
    /// and both tables fill it.
    func testTheRulesListEveryFunctionOfTheTableInOrderAndBothTablesHaveThem() {
        let first = MemoryLayout<tollgate_type_host_api>.offset(of: \.log)!
        let slot = MemoryLayout<tollgate_callback_log>.size
        XCTAssertEqual(MemoryLayout<tollgate_type_host_api>.size, first + HostFunction.allCases.count * slot,
                       "the header's table has functions HostFunction does not list")
        for (index, function) in HostFunction.allCases.enumerated() {
            let offset = first + index * slot
            XCTAssertEqual(MemoryLayout<tollgate_type_host_api>.offset(of: Self.field(function)), offset, function.name)
            for (table, name) in [(UnsafePointer(HostAPI.table), "gateway"), (FakeHost.hostAPI(), "fake host")] {
                let pointer = UnsafeRawPointer(table).load(fromByteOffset: offset, as: UnsafeRawPointer?.self)
                XCTAssertNotNil(pointer, "the \(name)'s table has no \(function.name)")
            }
        }
        XCTAssertEqual(HostFunction.table(ofMinor: UInt16(TOLLGATE_ABI_MINOR)).count, HostFunction.allCases.count)
        XCTAssertEqual(HostFunction.allCases.filter { $0.addedIn == UInt16(TOLLGATE_ABI_MINOR) }.map(\.name),
                       ["ledger_append", "ledger_read"])
    }

    /// Each function's field in tollgate_type_host_api.
    static func field(_ function: HostFunction) -> PartialKeyPath<tollgate_type_host_api> {
        switch function {
        case .log: return \.log
        case .metricDefine: return \.metric_define
        case .metricRecord: return \.metric_record
        case .getPrice: return \.get_price
        case .computeCost: return \.compute_cost
        case .raiseAlert: return \.raise_alert
        case .getString: return \.get_string
        case .getInt: return \.get_int
        case .setModel: return \.set_model
        case .setMaxOutputTokens: return \.set_max_output_tokens
        case .promptSegmentCount: return \.prompt_segment_count
        case .getPromptSegment: return \.get_prompt_segment
        case .setPromptSegment: return \.set_prompt_segment
        case .getBody: return \.get_body
        case .setBody: return \.set_body
        case .mapCount: return \.map_count
        case .mapGet: return \.map_get
        case .mapEntry: return \.map_entry
        case .mapSet: return \.map_set
        case .setError: return \.set_error
        case .setResponse: return \.set_response
        case .getChunkText: return \.get_chunk_text
        case .setChunkText: return \.set_chunk_text
        case .getChunkRaw: return \.get_chunk_raw
        case .setChunkRaw: return \.set_chunk_raw
        case .counterDeclare: return \.counter_declare
        case .counterReserve: return \.counter_reserve
        case .counterSettle: return \.counter_settle
        case .counterRelease: return \.counter_release
        case .counterAdd: return \.counter_add
        case .counterGet: return \.counter_get
        case .getHostString: return \.get_host_string
        case .setFallbackModels: return \.set_fallback_models
        case .setDeployment: return \.set_deployment
        case .metricSeries: return \.metric_series
        case .metricSeriesRecord: return \.metric_series_record
        case .declareRoute: return \.declare_route
        case .routeGetString: return \.route_get_string
        case .routeRespond: return \.route_respond
        case .grantsGet: return \.grants_get
        case .callGrants: return \.call_grants
        case .counterReserveCapped: return \.counter_reserve_capped
        case .ledgerAppend: return \.ledger_append
        case .ledgerRead: return \.ledger_read
        }
    }

    /// The drift this table ended: the gateway always took a NULL role_out,
    /// the fake refused it. Both take it now, and still refuse a NULL text.
    func testANullRoleOutIsAcceptedByBothHostsAndANullTextOutByNeither() throws {
        let probes = ABIProbe.probes(for: .getPromptSegment)
        for probe in probes {
            let real = try runReal(probe, in: .postCall), fake = runFake(probe, in: .postCall)
            XCTAssertEqual(real, probe.label.contains("NULL text") ? TOLLGATE_STATUS_INVALID_ARGUMENT : TOLLGATE_STATUS_OK, probe.label)
            XCTAssertEqual(fake, real, probe.label)
        }
    }
}
