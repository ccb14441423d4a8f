import Foundation
import XCTest

/// The example team router in Plugins/examples, built with its Makefile
/// outside SwiftPM, as a team would, and loaded by the real binary.
final class ExamplePluginEndToEndTests: XCTestCase {
    func testHeaderRouterBuiltWithMakeRoutesByHeader() throws {
        let source = TestPaths.repoRoot + "/Plugins/examples/header-router"
        let out = TestPaths.temporaryDirectory("router")
        let make = ManagedProcess(executable: "/usr/bin/env",
                                  arguments: ["make", "-s", "-C", source, "TOLLGATE_INCLUDE=\(TestPaths.abiInclude)",
                                              "libheader_router.so"])
        try make.start()
        XCTAssertEqual(try make.waitForExit(timeout: 60), 0, make.stderr)
        let built = source + "/libheader_router.so"
        let library = out + "/libheader_router.so"
        try FileManager.default.moveItem(atPath: built, toPath: library)

        let mock = try MockProviderProcess()
        defer { mock.stop() }
        let plugins = """
        plugins:
          - path: \(library)
            config: {header: x-route-tier, routes: {fast: small, smart: large}}
        """
        let gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: mock.port, storage: out + "/data", plugins: plugins),
                                         directory: out)
        defer { gateway.stop() }
        let body = #"{"model":"large","messages":[{"role":"user","content":"route me"}]}"#
        let fast = try HTTP.postJSON(port: gateway.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: body,
                                     headers: [("x-route-tier", "fast")])
        XCTAssertEqual(fast.status, 200, fast.text)
        XCTAssertEqual(fast.header("x-tollgate-model"), "small")
        let none = try HTTP.postJSON(port: gateway.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: body)
        XCTAssertEqual(none.header("x-tollgate-model"), "large")
        let metrics = try HTTP.request(port: gateway.port, method: "GET", path: "/metrics").text
        XCTAssertTrue(metrics.contains(#"header_router_routed_total{tier="fast"} 1"#), metrics)
    }

    func testHeaderRouterRejectsABadConfigClearly() throws {
        let source = TestPaths.repoRoot + "/Plugins/examples/header-router/header_router.c"
        let out = TestPaths.temporaryDirectory("router-bad")
        let library = try CPluginBuilder.build(source: source, into: out, name: "header_router")
        let path = out + "/tollgate.yaml"
        try TestConfig.yaml(mockPort: 9, storage: out + "/data",
                            plugins: "plugins:\n  - path: \(library)\n    config: {routes: {}}\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let check = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: ["check-config", "--config", path])
        try check.start()
        XCTAssertEqual(try check.waitForExit(), 1)
        XCTAssertTrue(check.stderr.contains("routes is empty"), check.stderr)
    }
}
