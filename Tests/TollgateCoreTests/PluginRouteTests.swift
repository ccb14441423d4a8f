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

/// Plugin routes (ABI 1.4), host side: what declare_route accepts, where;
/// a generation's route table (two plugins may not serve one route); the
/// dispatch to on_route and what a failing plugin route answers; and that
/// a plugin built before 1.4 is never asked for a hook its descriptor does
/// not have.
final class PluginRouteTests: XCTestCase {
    let capture = LogCapture()
    let catalog = ModelCatalog(entries: [])

    func services() -> HostServices {
        let metrics = GatewayMetrics()
        return HostServices(metrics: metrics, alerts: AlertRouter(sinks: [], metrics: metrics), logger: capture.logger,
                            libraries: PluginLibraryCache(cacheDirectory: HookChainTests.workDir + "/routes-cache"))
    }

    func declare(_ host: HostContext, _ method: String, _ path: String, role: Int32 = TOLLGATE_ROUTE_ROLE_ADMIN) -> tollgate_type_status {
        lendStrs([method, path]) { s in HostAPI.table.pointee.declare_route!(host.pointer, s[0], s[1], role) }
    }

    func testDeclareRouteTakesWellFormedAdminRoutesInCreateOnly() {
        let host = HostContext(instanceName: "p", services: services(), catalog: catalog, hasRouteHook: true)
        XCTAssertEqual(declare(host, "GET", "/admin/p"), TOLLGATE_STATUS_WRONG_PHASE, "outside on_create")
        host.phase = .create
        XCTAssertEqual(declare(host, "GET", "/admin/p"), TOLLGATE_STATUS_OK)
        XCTAssertEqual(declare(host, "POST", "/admin/p"), TOLLGATE_STATUS_OK, "another method is another route")
        XCTAssertEqual(declare(host, "GET", "/admin/p/history-2.v1~x_y"), TOLLGATE_STATUS_OK)
        XCTAssertEqual(declare(host, "GET", "/admin/p"), TOLLGATE_STATUS_REFUSED, "declared twice")
        for core in ["/admin/reload", "/admin/plugins", "/admin/counters"] {
            XCTAssertEqual(declare(host, "GET", core), TOLLGATE_STATUS_REFUSED, "\(core) is the core's")
        }
        for path in ["/admin/", "/admin", "/v1/models", "/admin/p/", "/admin//p", "/admin/../x", "/admin/p?x=1", "/admin/a b",
                     "admin/p", "/admin/é"] {
            XCTAssertEqual(declare(host, "GET", path), TOLLGATE_STATUS_INVALID_ARGUMENT, path)
        }
        XCTAssertEqual(declare(host, "get", "/admin/q"), TOLLGATE_STATUS_INVALID_ARGUMENT, "methods are upper case")
        XCTAssertEqual(declare(host, "HEAD", "/admin/q"), TOLLGATE_STATUS_INVALID_ARGUMENT)
        XCTAssertEqual(declare(host, "GET", "/admin/q", role: 99), TOLLGATE_STATUS_INVALID_ARGUMENT, "no such role")
        XCTAssertEqual(host.declaredRoutes.map(\.key), ["GET /admin/p", "POST /admin/p", "GET /admin/p/history-2.v1~x_y"])

        let hookless = HostContext(instanceName: "q", services: services(), catalog: catalog, hasRouteHook: false)
        hookless.phase = .create
        XCTAssertEqual(declare(hookless, "GET", "/admin/q"), TOLLGATE_STATUS_REFUSED, "no on_route to answer it")
    }

    func echo(_ s: HostServices, name: String, path: String? = nil) throws -> PluginInstance {
        let library = try s.libraries.acquire(path: try HookChainTests.compile("route_echo"), pluginName: name)
        let config = path.map { #"{"path":"\#($0)"}"# } ?? "{}"
        return try PluginInstance(instanceName: name, library: library, failClosed: nil, config: try JSONValue.parse(config),
                                  services: s, catalog: catalog)
    }

    func testARouteIsAnsweredByThePluginThatDeclaredIt() throws {
        let s = services()
        let plugin = try echo(s, name: "echo")
        defer {
            plugin.destroy()
            s.libraries.release(plugin.library)
        }
        XCTAssertEqual(plugin.routes, [PluginRoute(method: "GET", path: "/admin/echo", role: .admin)])
        var routes = PluginRoutes()
        try routes.add(plugin)

        guard case .response(let status, let contentType, let body)? = routes.answer(method: "GET", path: "/admin/echo",
                                                                                       query: "a=1&b=two", body: Array("hi".utf8),
                                                                                       caller: .master)
        else { return XCTFail("expected the plugin's answer") }
        XCTAssertEqual(status, 200)
        XCTAssertEqual(contentType, "application/json", "an empty content type is JSON")
        XCTAssertEqual(String(decoding: body, as: UTF8.self),
                       #"{"method":"GET","path":"/admin/echo","query":"a=1&b=two","body":"hi"}"#)

        XCTAssertNil(routes.answer(method: "POST", path: "/admin/echo", query: "", body: [], caller: .master), "GET only")
        XCTAssertNil(routes.answer(method: "GET", path: "/admin/other", query: "", body: [], caller: .master))

        for mode in ["fail", "silent"] {
            guard case .error(let error)? = routes.answer(method: "GET", path: "/admin/echo", query: "mode=\(mode)", body: [],
                                                          caller: .master)
            else { return XCTFail("expected an error for mode=\(mode)") }
            XCTAssertEqual(error.status, 500)
            XCTAssertEqual(error.type, "plugin_error")
            XCTAssertEqual(error.message, "Plugin 'echo' failed to answer GET /admin/echo.")
        }
        let warnings = capture.lines.filter { $0.level == .warning }.map(\.message)
        XCTAssertEqual(warnings, ["on_route for GET /admin/echo returned internal: answered 500 plugin_error",
                                  "on_route for GET /admin/echo returned OK without route_respond: answered 500 plugin_error"])
        let series = String(decoding: s.metrics.exposition(), as: UTF8.self)
        XCTAssertTrue(series.contains(#"tollgate_plugin_hook_duration_seconds_count{plugin="echo",hook="on_route"} 3"#)
            || series.contains(#"tollgate_plugin_hook_duration_seconds_count{hook="on_route",plugin="echo"} 3"#), series)
    }

    func generationYAML(storage: String, plugins: [(id: String, path: String?)]) throws -> TollgateConfig {
        let library = try HookChainTests.compile("route_echo")
        let entries = plugins.map { plugin in
            "  - {id: \(plugin.id), path: \(library)" + (plugin.path.map { ", config: {path: \"\($0)\"}" } ?? "") + "}"
        }
        return try ConfigLoader.parse(yaml: """
            storage: {dir: \(storage)}
            models:
              - {name: small, provider: mock, price: {input_per_mtok: "0.4", output_per_mtok: "1.6"}}
            plugins:
            \(entries.joined(separator: "\n"))
            """, file: HookChainTests.workDir + "/routes.yaml")
    }

    func testTwoPluginsDeclaringOneRouteMakeTheGenerationInvalidNamingBoth() throws {
        let s = services()
        let builder = GenerationBuilder(services: s, onDrained: { _ in })
        let storage = HookChainTests.workDir + "/routes-storage"
        let clash = try generationYAML(storage: storage, plugins: [("first", nil), ("second", "/admin/other"), ("third", nil)])
        XCTAssertThrowsError(try builder.build(config: clash, id: 1)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("plugin 'third'"), text)
            XCTAssertTrue(text.contains("declares the route GET /admin/echo, which plugin 'first' (\(HookChainTests.workDir)/routes.yaml:5:5) "
                + "already serves"), text)
            XCTAssertTrue(text.hasPrefix(HookChainTests.workDir + "/routes.yaml:"), "the clashing entry's place: \(text)")
        }
        XCTAssertEqual(s.libraries.openImageCount, 0, "a failed build releases every library")

        let fine = try generationYAML(storage: storage, plugins: [("first", nil), ("second", "/admin/other")])
        let generation = try builder.build(config: fine, id: 2)
        defer { generation.destroyInstances(libraries: s.libraries) }
        XCTAssertEqual(generation.routes.all.map(\.key), ["GET /admin/echo", "GET /admin/other"])
        guard case .response(_, _, let body)? = generation.routes.answer(method: "GET", path: "/admin/other", query: "", body: [],
                                                                          caller: .master)
        else { return XCTFail("expected the second plugin's answer") }
        XCTAssertTrue(String(decoding: body, as: UTF8.self).contains(#""path":"/admin/other""#))
    }

    func testAPluginThatDeclaresACoreRouteFailsToCreate() throws {
        let s = services()
        XCTAssertThrowsError(try echo(s, name: "greedy", path: "/admin/counters")) { error in
            XCTAssertTrue("\(error)".contains("declare_route answered \(TOLLGATE_STATUS_REFUSED)"), "\(error)")
        }
    }

    func testAPluginBuiltBefore1_4IsNotAskedForOnRoute() throws {
        let s = services()
        let library = try s.libraries.acquire(path: try HookChainTests.compile("pre_1_4_descriptor"), pluginName: "old")
        let plugin = try PluginInstance(instanceName: "old", library: library, failClosed: nil, config: .object(JSONObject()),
                                        services: s, catalog: catalog)
        defer {
            plugin.destroy()
            s.libraries.release(library)
        }
        XCTAssertNil(plugin.onRoute, "on_route lies past the descriptor's struct_size")
        XCTAssertFalse(plugin.host.hasRouteHook)
        XCTAssertTrue(plugin.routes.isEmpty)
    }
}
