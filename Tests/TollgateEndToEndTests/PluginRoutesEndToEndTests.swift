import Foundation
import XCTest

/// Plugin routes (ABI 1.4) against the real binary: GET /admin/budgets is
/// the budget plugin's route, behind the same master-key check and the
/// same answers as the core's admin routes; /admin/plugins says who serves
/// what; two plugins may not serve one route.
final class PluginRoutesEndToEndTests: XCTestCase {
    static let master = "routes-test-master"

    func plugins(_ entries: String = "") -> String {
        """
        plugins:
          - name: budget
            config:
              budgets:
                - {scope: team/acme/payments, period: daily, amount: "1"}
        \(entries)
        """
    }

    func gateway(plugins: String, environment: [String: String] = ["TOLLGATE_TEST_MASTER": PluginRoutesEndToEndTests.master])
        throws -> GatewayProcess {
        let dir = TestPaths.temporaryDirectory("routes-gw")
        return try GatewayProcess(yaml: TestConfig.yaml(mockPort: 9, storage: dir + "/data", plugins: plugins), directory: dir,
                                  environment: environment)
    }

    func get(_ port: Int, _ path: String, key: String?, method: String = "GET") throws -> HTTPResponse {
        try HTTP.request(port: port, method: method, path: path, headers: key.map { [("authorization", "Bearer \($0)")] } ?? [])
    }

    func error(_ response: HTTPResponse) throws -> (type: String?, code: String?, message: String?) {
        let error = try response.json()["error"] as? [String: Any]
        return (error?["type"] as? String, error?["code"] as? String, error?["message"] as? String)
    }

    func testThePluginRouteIsBehindTheMasterKeyLikeTheCoresOwn() throws {
        let gw = try gateway(plugins: plugins())
        defer { gw.stop() }
        for key in [nil, "wrong"] {
            for path in ["/admin/budgets", "/admin/counters"] {
                let response = try get(gw.port, path, key: key)
                XCTAssertEqual(response.status, 401, "\(path) with \(key ?? "no key")")
                let e = try error(response)
                XCTAssertEqual(e.type, "authentication_error")
                XCTAssertEqual(e.code, "invalid_master_key")
                XCTAssertEqual(e.message, "Admin endpoints need the master key.")
            }
        }
        let budgets = try get(gw.port, "/admin/budgets?ignored=1", key: Self.master)
        XCTAssertEqual(budgets.status, 200, budgets.text)
        XCTAssertEqual(budgets.headers.first { $0.0.lowercased() == "content-type" }?.1, "application/json")
        let list = try XCTUnwrap(try budgets.json()["budgets"] as? [[String: Any]])
        XCTAssertEqual(list.map { $0["counter"] as? String }, ["budget:team/acme/payments:daily"])

        let post = try get(gw.port, "/admin/budgets", key: Self.master, method: "POST")
        XCTAssertEqual(post.status, 404)
        XCTAssertEqual(try error(post).message, "No admin route for POST /admin/budgets.")

        let plugins = try XCTUnwrap(try get(gw.port, "/admin/plugins", key: Self.master).json()["plugins"] as? [[String: Any]])
        XCTAssertEqual(plugins.first?["routes"] as? [String], ["GET /admin/budgets", "GET /admin/allocation"])
        XCTAssertEqual(plugins.first?["hooks"] as? [String], ["pre_call", "post_call", "on_route"])
    }

    func testWithAdminDisabledThePluginRouteAnswers403() throws {
        let gw = try gateway(plugins: plugins(), environment: [:])
        defer { gw.stop() }
        let response = try get(gw.port, "/admin/budgets", key: "anything")
        XCTAssertEqual(response.status, 403)
        XCTAssertEqual(try error(response).code, "admin_disabled")
    }

    func testWithoutABudgetPluginNoOneServesTheBudgetsView() throws {
        let gw = try gateway(plugins: "")
        defer { gw.stop() }
        let response = try get(gw.port, "/admin/budgets", key: Self.master)
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(try error(response).message, "No admin route for GET /admin/budgets.")
    }

    func testTwoPluginsServingOneRouteIsAConfigErrorNamingBoth() throws {
        let dir = TestPaths.temporaryDirectory("routes-check")
        let path = dir + "/tollgate.yaml"
        let second = """
              - name: budget
                id: budget-eu
                config:
                  budgets:
                    - {scope: team/acme/search, period: daily, amount: "1"}
            """
        try TestConfig.yaml(mockPort: 9, storage: dir + "/data", plugins: plugins(second)).write(toFile: path, atomically: true,
                                                                                             encoding: .utf8)
        let process = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: ["check-config", path])
        try process.start()
        XCTAssertEqual(try process.waitForExit(timeout: 60), 1, process.stderr)
        XCTAssertTrue(process.stderr.contains("plugin 'budget-eu'"), process.stderr)
        XCTAssertTrue(process.stderr.contains("declares the route GET /admin/allocation, which plugin 'budget' (\(path):")
                      || process.stderr.contains("declares the route GET /admin/budgets, which plugin 'budget' (\(path):"), process.stderr)

        // Moving the second instance's views makes the config valid.
        let moved = second + "\n      admin_route: /admin/budgets-eu\n      allocation_route: off"
        try TestConfig.yaml(mockPort: 9, storage: dir + "/data", plugins: plugins(moved)).write(toFile: path, atomically: true,
                                                                                            encoding: .utf8)
        let again = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: ["check-config", path])
        try again.start()
        XCTAssertEqual(try again.waitForExit(timeout: 60), 0, again.stderr)
    }
}
