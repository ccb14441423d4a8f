import CTollgatePlugin
import Foundation
import Logging
import TollgateJSON
import TollgateABI
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

/// What a plugin and an operator learn when the host refuses a call or a
/// plugin gives a verdict without its reason: the plugin a status it can
/// tell apart (WRONG_PHASE, not NOT_FOUND), the operator a counter and a
/// log line that names the status.
final class HostCallRefusalTests: XCTestCase {
    let catalog = ModelCatalog(entries: [
        ModelEntry(name: "small", provider: .mock, price: Price(inputPerMTokNanos: 400_000_000, outputPerMTokNanos: 1_600_000_000)),
    ])
    let identity = Identity(keyId: "k1", org: "acme", team: "payments", owner: "o@x", keyClass: .production,
                            allowedModels: nil, expiresAt: nil)
    let capture = LogCapture()

    func services() -> HostServices {
        let metrics = GatewayMetrics()
        return HostServices(metrics: metrics, alerts: AlertRouter(sinks: [], metrics: metrics), logger: capture.logger,
                            libraries: PluginLibraryCache(cacheDirectory: HookChainTests.workDir + "/refusal-cache"))
    }

    func instance(_ services: HostServices, fixture: String = "recorder", name: String, config: String = "{}") throws -> PluginInstance {
        let library = try services.libraries.acquire(path: try HookChainTests.compile(fixture), pluginName: name)
        return try PluginInstance(instanceName: name, library: library, failClosed: nil, config: try JSONValue.parse(config),
                                  services: services, catalog: catalog)
    }

    func call(pluginCount: Int) throws -> CallContext {
        let body = #"{"model":"small","messages":[{"role":"user","content":"hi"}]}"#
        return CallContext(requestID: "req_9", route: "/v1/chat/completions", identity: identity,
                           request: try CanonicalRequest(dialect: .openai, body: Array(body.utf8)), catalog: catalog,
                           requestHeaders: HeaderList([("x-tier", "fast")], caseInsensitive: true), receivedAtMicros: 0,
                           pluginCount: pluginCount)
    }

    func exposition(_ s: HostServices) -> String { String(decoding: s.metrics.exposition(), as: UTF8.self) }

    func mapGet(_ c: CallContext, _ map: Int32, _ key: String) -> tollgate_type_status {
        var out = tollgate_type_str()
        return key.withCString { HostAPI.table.pointee.map_get(c.pointer, map, .init(ptr: $0, len: key.utf8.count), &out) }
    }

    func testUpstreamHeadersBeforeTheUpstreamAnsweredAreAWrongPhaseNotAnAbsentHeader() throws {
        let c = try call(pluginCount: 1)
        c.upstreamHeaders = HeaderList([("content-type", "text/event-stream")], caseInsensitive: true)
        let api = HostAPI.table.pointee
        var count = 0
        var key = tollgate_type_str(), value = tollgate_type_str()
        c.phase = .preCall
        XCTAssertEqual(mapGet(c, TOLLGATE_MAP_UPSTREAM_HEADERS, "content-type"), TOLLGATE_STATUS_WRONG_PHASE)
        XCTAssertEqual(api.map_count(c.pointer, TOLLGATE_MAP_UPSTREAM_HEADERS, &count), TOLLGATE_STATUS_WRONG_PHASE)
        XCTAssertEqual(api.map_entry(c.pointer, TOLLGATE_MAP_UPSTREAM_HEADERS, 0, &key, &value), TOLLGATE_STATUS_WRONG_PHASE)
        XCTAssertEqual(mapGet(c, TOLLGATE_MAP_REQUEST_HEADERS, "x-tier"), TOLLGATE_STATUS_OK, "other maps read as before")
        for phase in [CallContext.Phase.chunk, .postCall] {
            c.phase = phase
            XCTAssertEqual(mapGet(c, TOLLGATE_MAP_UPSTREAM_HEADERS, "content-type"), TOLLGATE_STATUS_OK)
            XCTAssertEqual(mapGet(c, TOLLGATE_MAP_UPSTREAM_HEADERS, "x-absent"), TOLLGATE_STATUS_NOT_FOUND)
            XCTAssertEqual(api.map_count(c.pointer, TOLLGATE_MAP_UPSTREAM_HEADERS, &count), TOLLGATE_STATUS_OK)
            XCTAssertEqual(count, 1)
        }
    }

    func testRefusedHostCallsAreCountedPerPluginFunctionAndStatus() throws {
        let s = services()
        let plugin = try instance(s, name: "prober")
        defer {
            plugin.destroy()
            s.libraries.release(plugin.library)
        }
        let c = try call(pluginCount: 1)
        let api = HostAPI.table.pointee
        c.runningPlugin = plugin
        c.phase = .postCall
        XCTAssertEqual("small".withCString { api.set_model(c.pointer, .init(ptr: $0, len: 5)) }, TOLLGATE_STATUS_WRONG_PHASE)
        XCTAssertEqual("small".withCString { api.set_model(c.pointer, .init(ptr: $0, len: 5)) }, TOLLGATE_STATUS_WRONG_PHASE)
        XCTAssertEqual("x".withCString { api.map_set(c.pointer, TOLLGATE_MAP_REQUEST_HEADERS, .init(ptr: $0, len: 1), .init(ptr: $0, len: 1)) },
                       TOLLGATE_STATUS_READ_ONLY)
        c.phase = .preCall
        XCTAssertEqual(mapGet(c, TOLLGATE_MAP_UPSTREAM_HEADERS, "content-type"), TOLLGATE_STATUS_WRONG_PHASE)
        var tokens: Int64 = 0
        XCTAssertEqual(api.get_int(c.pointer, TOLLGATE_PROP_TOKENS_CACHED, &tokens), TOLLGATE_STATUS_WRONG_PHASE)
        XCTAssertEqual(mapGet(c, TOLLGATE_MAP_REQUEST_HEADERS, "x-absent"), TOLLGATE_STATUS_NOT_FOUND, "not a refusal")

        let text = exposition(s)
        func count(_ function: String, _ status: String) -> Double? {
            text.split(separator: "\n").first {
                $0.hasPrefix("tollgate_plugin_host_call_refused_total{") && $0.contains(#"plugin="prober""#)
                    && $0.contains(#"function="\#(function)""#) && $0.contains(#"status="\#(status)""#)
            }.flatMap { Double($0.split(separator: " ").last!) }
        }
        XCTAssertEqual(count("set_model", "wrong_phase"), 2, text)
        XCTAssertEqual(count("map_set", "read_only"), 1, text)
        XCTAssertEqual(count("map_get", "wrong_phase"), 1, text)
        XCTAssertEqual(count("get_int", "wrong_phase"), 1, text)
        XCTAssertFalse(text.contains(#"status="not_found""#), "an absent value is no refusal")
    }

    func testStatusesAreNamedForOperators() {
        XCTAssertEqual(HostStatusName.of(TOLLGATE_STATUS_WRONG_PHASE), "wrong_phase")
        XCTAssertEqual(HostStatusName.of(TOLLGATE_STATUS_INVALID_ARGUMENT), "invalid_argument")
        XCTAssertEqual(HostStatusName.of(TOLLGATE_STATUS_INTERNAL), "internal")
        XCTAssertEqual(HostStatusName.of(42), "unknown status 42")
    }

    func testVerdictsWithoutSetErrorAreLoggedAndSaySo() throws {
        let s = services()
        let silentReject = try instance(s, name: "mute", config: #"{"name":"mute","action":"reject_silently"}"#)
        let silentError = try instance(s, name: "lenient", config: #"{"name":"lenient","action":"error_silently"}"#)
        let config = try ConfigLoader.parse(yaml: """
            models:
              - {name: small, provider: mock, price: {input_per_mtok: "0.4", output_per_mtok: "1.6"}}
            """, file: HookChainTests.workDir + "/refusal.yaml")
        let generation = Generation(id: 1, config: config, plugins: [silentError, silentReject], onDrained: { _ in })
        defer { generation.destroyInstances(libraries: s.libraries) }
        let chain = HookChain(generation: generation, timers: HookTimers(metrics: s.metrics))
        let c = try call(pluginCount: 2)
        guard case .reject(let error, let decidedBy) = chain.runPreCall(c) else { return XCTFail("expected a reject") }
        XCTAssertEqual(error.status, 500)
        XCTAssertEqual(error.code, "plugin_rejected")
        XCTAssertEqual(decidedBy, "mute")
        chain.runPostCall(c)

        let lines = capture.lines
        let reject = try XCTUnwrap(lines.first { $0.metadata["plugin"] == "mute" }, "\(lines.map(\.message))")
        XCTAssertEqual(reject.level, .warning)
        XCTAssertTrue(reject.message.contains("REJECT without set_error"), reject.message)
        XCTAssertEqual(reject.metadata["request_id"], "req_9")
        let failure = try XCTUnwrap(lines.first { $0.metadata["plugin"] == "lenient" }, "\(lines.map(\.message))")
        XCTAssertTrue(failure.message.contains("set_error supplies"), failure.message)
    }
}
