import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// Plugin routes (ABI 1.4) through the kit and the fake host: a plugin
/// author declares routes in init, answers them in onRoute, and tests them
/// in-process with `PluginUnderTest.route(...)`.
final class RouteTests: XCTestCase {
    func testASwiftPluginServesItsRoutesInProcess() throws {
        let plugin = try PluginUnderTest(libraryPath: TestLibraries.kitSamplePath)
        XCTAssertTrue(plugin.hasRoute)
        XCTAssertEqual(plugin.host.declaredRoutes, [
            FakeHost.DeclaredRoute(method: "GET", path: "/admin/kit-sample", role: .admin),
            FakeHost.DeclaredRoute(method: "POST", path: "/admin/kit-sample/echo", role: .admin),
        ])

        let first = try plugin.route("GET", "/admin/kit-sample", query: "q=a%20b+c&other")
        XCTAssertEqual(first.returned, .ok)
        XCTAssertEqual(first.httpStatus, 200)
        XCTAssertEqual(first.response?.contentType, "application/json")
        XCTAssertEqual(first.response?.body, #"{"pre_calls":0,"q":"a b c"}"#)

        try plugin.preCall(FakeCall())
        XCTAssertEqual(try plugin.route("GET", "/admin/kit-sample").json?["pre_calls"]?.int64Value, 1)

        let echo = try plugin.route("POST", "/admin/kit-sample/echo", body: #"{"a":[1,2]}"#)
        XCTAssertEqual(echo.httpStatus, 201)
        XCTAssertEqual(echo.response?.body, #"{"a":[1,2]}"#)
    }

    func testAThrowingRouteIsLoggedAndAnswered500() throws {
        let plugin = try PluginUnderTest(libraryPath: TestLibraries.kitSamplePath)
        let result = try plugin.route("POST", "/admin/kit-sample/echo", body: "not json")
        XCTAssertEqual(result.returned, .internalError)
        XCTAssertNil(result.response)
        XCTAssertEqual(result.httpStatus, 500)
        let line = try XCTUnwrap(plugin.host.logs.last)
        XCTAssertEqual(line.level, .error)
        XCTAssertTrue(line.message.hasPrefix("onRoute POST /admin/kit-sample/echo failed: "), line.message)
    }

    func testARouteThePluginDidNotDeclareIsAHarnessMisuse() throws {
        let plugin = try PluginUnderTest(libraryPath: TestLibraries.kitSamplePath)
        XCTAssertThrowsError(try plugin.route("DELETE", "/admin/kit-sample")) { error in
            XCTAssertTrue(error is HarnessMisuse, "\(error)")
            XCTAssertTrue("\(error)".contains("DELETE /admin/kit-sample is not a route plugin kit-sample declared"), "\(error)")
        }
    }

    /// On a host older than 1.4 there is no declare_route: the sample
    /// (which needs only 1.0) skips its routes and still runs.
    func testOnAnOlderHostThePluginDeclaresNoRoute() throws {
        let plugin = try PluginUnderTest(libraryPath: TestLibraries.kitSamplePath, hostMinor: 3)
        XCTAssertTrue(plugin.host.declaredRoutes.isEmpty)
        XCTAssertEqual(try plugin.preCall(FakeCall()).verdict, .continue)
    }

    func testACPluginDeclaresRoutesOnlyInCreateAndMayOmitTheRole() throws {
        let path = try TestLibraries.compileC(named: "c_routes", source: CPluginSources.routes)
        let plugin = try PluginUnderTest(libraryPath: path)
        XCTAssertEqual(plugin.host.declaredRoutes.map(\.path), ["/admin/c-status"])
        try plugin.preCall(FakeCall(prompt: [("user", "hi")]))
        let result = try plugin.route("GET", "/admin/c-status", query: "x=1")
        XCTAssertEqual(result.response, FakeRoute.Response(status: 200, contentType: "text/plain", body:
            "declared_core=\(TOLLGATE_STATUS_REFUSED) declared_in_pre=\(TOLLGATE_STATUS_WRONG_PHASE) "
            + "null_role=\(TOLLGATE_STATUS_OK) query=x=1"))
    }

    /// A plugin built before 1.4 (its descriptor ends at on_post_call) loads
    /// in the harness as in the gateway, and its next field is never read.
    func testAPluginBuiltBefore1_4LoadsWithoutRoutes() throws {
        let source = try String(contentsOf: TestLibraries.repoRoot.appendingPathComponent("Tests/Fixtures/CPlugins/pre_1_4_descriptor.c"),
                                encoding: .utf8)
        let plugin = try PluginUnderTest(libraryPath: try TestLibraries.compileC(named: "c_pre_1_4", source: source))
        XCTAssertFalse(plugin.hasRoute)
        XCTAssertEqual(plugin.descriptorABIMinor, 3)
        XCTAssertTrue(plugin.host.declaredRoutes.isEmpty)
    }

    func testRouteResponsesRenderTheirBodies() {
        XCTAssertEqual(String(decoding: RouteResponse.error(status: 400, type: "invalid_request_error", code: "bad_period",
                                                            message: "no such period").body, as: UTF8.self),
                       #"{"error":{"message":"no such period","type":"invalid_request_error","param":null,"code":"bad_period"}}"#)
        XCTAssertEqual(RouteResponse.text("ok").contentType, "text/plain; charset=utf-8")
        XCTAssertEqual(RouteResponse.json(.object(JSONObject([("a", .int(1))])), status: 202),
                       RouteResponse(status: 202, contentType: "application/json", body: Array(#"{"a":1}"#.utf8)))
    }
}
