import Foundation
import XCTest

/// The routing plugin in the real gateway: rules route, the core keeps
/// every key inside its allowed models, and a team's own C router runs
/// next to it.
final class RoutingEndToEndTests: XCTestCase {
    func testRulesRouteAndAreCounted() throws {
        let stage = try RoutingStage(label: "routing-rules", plugins: """
        plugins:
          - name: routing
            config:
              rules:
                - {name: low-priority, match: {header: {x-priority: low}}, model: small}
                - {name: payments-large, match: {team: payments, key_class: production, model: "lar*"}, model: large}
                - {name: lab, match: {key_class: experimentation}, model: claude-small}
        """)
        defer { stage.stop() }
        let low = try stage.chat(model: "large", headers: [("x-priority", "low")])
        XCTAssertEqual(low.status, 200, low.text)
        XCTAssertEqual(low.header("x-tollgate-model"), "small")
        let normal = try stage.chat(model: "large")
        XCTAssertEqual(normal.header("x-tollgate-model"), "large")
        XCTAssertEqual(try stage.upstreamCalls(), ["mock-small-v1", "mock-large-v1"])
        XCTAssertEqual(try stage.metric("tollgate_routing_matches_total", [("rule", "low-priority")]), 1)
        XCTAssertEqual(try stage.metric("tollgate_routing_matches_total", [("rule", "payments-large")]), 1)
    }

    func testAnAttributeFromAnEarlierPluginRoutes() throws {
        // The recorder test plugin sets the attribute seen_by=<its name>.
        let recorder = try CPluginBuilder.fixture("recorder", into: TestPaths.temporaryDirectory("routing-tag-plugin"))
        let stage = try RoutingStage(label: "routing-tag", plugins: """
        plugins:
          - path: \(recorder)
            config: {name: exp-42}
          - name: routing
            config:
              rules:
                - {name: experiment, match: {tag: {seen_by: "exp-*"}}, model: small}
        """)
        defer { stage.stop() }
        let response = try stage.chat(model: "large")
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("x-tollgate-model"), "small")
    }

    func testARuleCannotRouteAKeyOutOfItsScope() throws {
        let stage = try RoutingStage(label: "routing-scope", plugins: """
        plugins:
          - name: routing
            config:
              rules:
                - {name: up-route, match: {model: small, header: {x-up: "1"}}, model: large}
                - {name: risky-fallback, match: {key_class: experimentation, model: small}, fallbacks: [large]}
        """)
        defer { stage.stop() }
        // The lab key may use small and claude-small only.
        let upRouted = try stage.chat(model: "small", key: TestConfig.labKey, headers: [("x-up", "1")])
        XCTAssertEqual(upRouted.status, 403, upRouted.text)
        let error = try XCTUnwrap(try upRouted.json()["error"] as? [String: Any])
        XCTAssertEqual(error["type"] as? String, "permission_error")
        let message = try XCTUnwrap(error["message"] as? String)
        XCTAssertTrue(message.contains("'payments-lab' may not use model 'large'") && message.contains("requested as 'small'"), message)

        let fallback = try stage.chat(model: "small", key: TestConfig.labKey)
        XCTAssertEqual(fallback.status, 403, "a fallback outside the key's scope is refused too: \(fallback.text)")
        XCTAssertEqual(try stage.upstreamCalls(), [], "never a silent call")

        // The same rule for a key that may use large goes through.
        XCTAssertEqual(try stage.chat(model: "small", headers: [("x-up", "1")]).header("x-tollgate-model"), "large")
    }

    /// The team router in Plugins/examples, copied and built with its
    /// Makefile as a team would, loaded before the first-party routing
    /// plugin: the C router picks the model from x-route-tier, routing
    /// then gives that model a fallback, and both show on /metrics.
    func testATeamCRouterRunsNextToTheRoutingPlugin() throws {
        let source = TestPaths.repoRoot + "/Plugins/examples/header-router"
        let work = TestPaths.temporaryDirectory("team-router")
        for file in ["header_router.c", "Makefile"] {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: work + "/" + file)
        }
        let make = ManagedProcess(executable: "/usr/bin/env",
                                  arguments: ["make", "-s", "-C", work, "TOLLGATE_INCLUDE=\(TestPaths.abiInclude)"])
        try make.start()
        XCTAssertEqual(try make.waitForExit(timeout: 60), 0, make.stderr)

        let stage = try RoutingStage(label: "team-router-stage", models: { port in
            RoutingStage.model("cheap", port: port, price: #"{input_per_mtok: "0.10", output_per_mtok: "0.40"}"#,
                               deployments: [("cheap", "mock-cheap+fail=503")])
                + RoutingStage.model("cheap-backup", port: port, deployments: [])
        }, plugins: """
        plugins:
          - path: \(work)/libheader_router.so
            config: {header: x-route-tier, routes: {fast: cheap}}
          - name: routing
            config:
              rules:
                - {name: cheap-has-backup, match: {model: cheap}, fallbacks: [cheap-backup]}
        """)
        defer { stage.stop() }
        let response = try stage.chat(model: "large", headers: [("x-route-tier", "fast")])
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("x-tollgate-model"), "cheap-backup")
        XCTAssertEqual(try stage.upstreamCalls(), ["mock-cheap+fail=503", "mock-cheap-backup"])

        let untouched = try stage.chat(model: "large")
        XCTAssertEqual(untouched.header("x-tollgate-model"), "large")

        let metrics = try stage.metrics()
        XCTAssertEqual(RoutingStage.value(in: metrics, "header_router_routed_total", [("tier", "fast")]), 1, metrics)
        XCTAssertEqual(RoutingStage.value(in: metrics, "tollgate_routing_matches_total", [("rule", "cheap-has-backup")]), 1)
    }

    func testABadRoutingConfigIsRefusedByCheckConfig() throws {
        let dir = TestPaths.temporaryDirectory("routing-bad")
        let path = dir + "/tollgate.yaml"
        try TestConfig.yaml(mockPort: 9, storage: dir + "/data", plugins: """
        plugins:
          - name: routing
            config: {rules: [{match: {teem: payments}, model: small}]}
        """).write(toFile: path, atomically: true, encoding: .utf8)
        let check = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: ["check-config", "--config", path],
                                   environment: ["TOLLGATE_PLUGIN_DIR": TestPaths.buildDirectory])
        try check.start()
        XCTAssertEqual(try check.waitForExit(), 1)
        XCTAssertTrue(check.stderr.contains("rules[0].match: unknown key 'teem'; did you mean 'team'?"), check.stderr)
    }
}
