import CTollgatePlugin
import Foundation
import Logging
import TollgateJSON
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

/// The host side of the ABI without a network: C plugins compiled by the
/// system compiler, loaded by the real loader, driven through HookChain.
final class HookChainTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let workDir: String = {
        let dir = NSTemporaryDirectory() + "tollgate-hookchain-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    static func compile(_ fixture: String) throws -> String {
        let output = workDir + "/lib\(fixture).so"
        if FileManager.default.fileExists(atPath: output) { return output }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["cc", "-shared", "-fPIC", "-I", repoRoot + "/tollgate-plugin-kit/Sources/CTollgatePlugin/include",
                       repoRoot + "/Tests/Fixtures/CPlugins/\(fixture).c", "-o", output]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return output
    }

    let catalog = ModelCatalog(entries: [
        ModelEntry(name: "small", provider: .mock, price: Price(inputPerMTokNanos: 400_000_000, outputPerMTokNanos: 1_600_000_000)),
        ModelEntry(name: "large", provider: .mock, price: Price(inputPerMTokNanos: 8_000_000_000, outputPerMTokNanos: 32_000_000_000)),
    ])
    let identity = Identity(keyId: "k1", org: "acme", team: "payments", owner: "o@x", keyClass: .production,
                            allowedModels: nil, expiresAt: nil)

    func services() -> HostServices {
        let metrics = GatewayMetrics()
        return HostServices(metrics: metrics, alerts: AlertRouter(sinks: [], metrics: metrics), logger: Logger(label: "test"),
                            libraries: PluginLibraryCache(cacheDirectory: Self.workDir + "/cache"))
    }

    func instance(_ services: HostServices, name: String, config: String) throws -> PluginInstance {
        let library = try services.libraries.acquire(path: try Self.compile("recorder"), pluginName: name)
        return try PluginInstance(instanceName: name, library: library, failClosed: nil, config: try JSONValue.parse(config),
                                  services: services, catalog: catalog)
    }

    func call(pluginCount: Int, body: String = #"{"model":"small","messages":[{"role":"user","content":"a secret here"}]}"#) throws -> CallContext {
        CallContext(requestID: "req_1", route: "/v1/chat/completions", identity: identity,
                    request: try CanonicalRequest(dialect: .openai, body: Array(body.utf8)), catalog: catalog,
                    requestHeaders: HeaderList([("x-route-tier", "fast")], caseInsensitive: true), receivedAtMicros: 0,
                    pluginCount: pluginCount)
    }

    func testOrderVerdictsAndPostCallForEnteredPluginsOnly() throws {
        let log = Self.workDir + "/order-\(UUID().uuidString).log"
        let s = services()
        let plugins = [
            try instance(s, name: "one", config: #"{"name":"one","log":"\#(log)","redact":"secret"}"#),
            try instance(s, name: "two", config: #"{"name":"two","log":"\#(log)","action":"reject","status":402}"#),
            try instance(s, name: "three", config: #"{"name":"three","log":"\#(log)"}"#),
        ]
        let generation = Generation(id: 1, config: try minimalConfig(), plugins: plugins, onDrained: { _ in })
        let chain = HookChain(generation: generation, timers: HookTimers(metrics: s.metrics))
        let c = try call(pluginCount: 3)
        guard case .reject(let error, let by) = chain.runPreCall(c) else { return XCTFail("expected a reject") }
        XCTAssertEqual(error.status, 402)
        XCTAssertEqual(by, "two")
        XCTAssertEqual(c.enteredCount, 2)
        XCTAssertEqual(c.request.segments[0].text, "a [REDACTED] here", "edits of earlier plugins stay")
        XCTAssertEqual(c.attributes["seen_by"], "two", "later plugins see and overwrite attributes")
        c.outcome = "rejected"
        chain.runPostCall(c)
        chain.runPostCall(c)  // a second run does nothing
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.map { $0.split(separator: " ").prefix(2).joined(separator: " ") },
                       ["pre one", "pre two", "post two", "post one"])
        XCTAssertTrue(lines[2].contains("req_1 rejected"), "call_state from pre_call reaches post_call: \(lines[2])")
        generation.destroyInstances(libraries: s.libraries)
    }

    func testPhaseRulesAreEnforcedByTheHostTable() throws {
        let s = services()
        let plugin = try instance(s, name: "p", config: #"{"name":"p"}"#)
        let c = try call(pluginCount: 1)
        let api = HostAPI.table.pointee
        c.phase = .postCall
        XCTAssertEqual("small".withCString { api.set_model(c.pointer, .init(ptr: $0, len: 5)) }, TOLLGATE_STATUS_WRONG_PHASE)
        var value: Int64 = 0
        c.phase = .preCall
        XCTAssertEqual(api.get_int(c.pointer, TOLLGATE_PROP_TOKENS_OUT, &value), TOLLGATE_STATUS_WRONG_PHASE)
        XCTAssertEqual(api.get_int(c.pointer, TOLLGATE_PROP_STREAM, &value), TOLLGATE_STATUS_OK)
        XCTAssertEqual(api.get_int(c.pointer, 9999, &value), TOLLGATE_STATUS_INVALID_ARGUMENT)
        let key = "x-test", injected = "a\r\nset-cookie: evil"
        let status = key.withCString { k in injected.withCString { v in
            api.map_set(c.pointer, TOLLGATE_MAP_RESPONSE_HEADERS, .init(ptr: k, len: 6), .init(ptr: v, len: injected.utf8.count))
        } }
        XCTAssertEqual(status, TOLLGATE_STATUS_INVALID_ARGUMENT, "header injection is refused")
        let readOnly = key.withCString { k in
            api.map_set(c.pointer, TOLLGATE_MAP_REQUEST_HEADERS, .init(ptr: k, len: 6), .init(ptr: k, len: 6))
        }
        XCTAssertEqual(readOnly, TOLLGATE_STATUS_READ_ONLY)
        var out = tollgate_type_str()
        XCTAssertEqual("authorization".withCString { api.map_get(c.pointer, TOLLGATE_MAP_REQUEST_HEADERS, .init(ptr: $0, len: 13), &out) },
                       TOLLGATE_STATUS_NOT_FOUND)
        var cost: Int64 = 0
        XCTAssertEqual("large".withCString { api.compute_cost(plugin.host.pointer, .init(ptr: $0, len: 5), 1_000_000, 1_000_000, 0, &cost) },
                       TOLLGATE_STATUS_OK)
        XCTAssertEqual(cost, 40_000_000_000, "$8 + $32 for a million tokens each way")
        plugin.destroy()
        s.libraries.release(plugin.library)
    }

    func testSameContentSharesAnImageAndRebuiltContentLoadsFresh() throws {
        let s = services()
        let path = try Self.compile("null_hooks")
        let a = try s.libraries.acquire(path: path, pluginName: "a")
        let b = try s.libraries.acquire(path: path, pluginName: "b")
        XCTAssertTrue(a === b)
        // A rebuilt library at the same path (different bytes) is a new image.
        let copy = Self.workDir + "/rebuilt.so"
        try? FileManager.default.removeItem(atPath: copy)
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        bytes.append(contentsOf: [0, 1, 2, 3])  // trailing bytes: same code, new content hash
        FileManager.default.createFile(atPath: copy, contents: bytes)
        let c = try s.libraries.acquire(path: copy, pluginName: "c")
        XCTAssertFalse(a === c)
        XCTAssertNotEqual(a.loadedPath, c.loadedPath)
        s.libraries.release(a)
        s.libraries.release(b)
        s.libraries.release(c)
        XCTAssertEqual(s.libraries.openImageCount, 0)
    }

    func minimalConfig() throws -> TollgateConfig {
        try ConfigLoader.parse(yaml: """
        models:
          - {name: small, provider: mock, price: {input_per_mtok: "0.4", output_per_mtok: "1.6"}}
        """, file: Self.workDir + "/minimal.yaml")
    }
}
