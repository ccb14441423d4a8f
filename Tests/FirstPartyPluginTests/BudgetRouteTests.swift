import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The budget plugin serves its own view, GET /admin/budgets (ABI 1.4), in
/// the shape the gateway served before plugins could serve routes: what
/// the end-to-end tests and operators' tools read.
final class BudgetRouteTests: XCTestCase {
    func load(_ config: String) throws -> PluginUnderTest {
        try PluginUnderTest(libraryPath: BudgetPluginTests.libraryPath, config: JSONValue.parse(config))
    }

    let budgets = #"""
    {"budgets": [
      {"scope": "team/acme/payments", "period": "daily", "amount": "0.01"},
      {"scope": "org/acme", "period": "monthly", "amount": "1"},
      {"scope": "key/other-key", "period": "total", "amount": "5"}
    ]}
    """#

    func testTheViewListsEveryBudgetWithItsNumbersOrderedByCounter() throws {
        let plugin = try load(budgets)
        // Beside it, the grants' view (BudgetAllocationRouteTests).
        XCTAssertEqual(plugin.host.declaredRoutes, [FakeHost.DeclaredRoute(method: "GET", path: "/admin/budgets", role: .admin),
                                                    FakeHost.DeclaredRoute(method: "GET", path: "/admin/allocation", role: .reader)])
        let call = FakeCall(maxOutputTokens: 50)
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        try plugin.postCall(call, usage: (in: 10, out: 20, cached: 0), outcome: .success)  // 36,000 nanos
        let held = FakeCall(maxOutputTokens: 50, requestID: "req-2")
        XCTAssertEqual(try plugin.preCall(held).verdict, .continue)
        let reserved = try XCTUnwrap(plugin.host.counters.state(named: "budget:org/acme:monthly")?.reserved)

        let result = try plugin.route("GET", "/admin/budgets")
        XCTAssertEqual(result.httpStatus, 200)
        XCTAssertEqual(result.response?.contentType, "application/json")
        func money(_ nanos: Int64) -> String { Money.format(nanos: nanos) }
        let expected = """
            {"budgets":[\
            {"scope":"key/other-key","level":"key","period":"total","counter":"budget:key/other-key:total",\
            "limit_nanos":5000000000,"spent_nanos":0,"reserved_nanos":0,"remaining_nanos":5000000000,\
            "limit":"\(money(5_000_000_000))","spent":"\(money(0))","reserved":"\(money(0))","remaining":"\(money(5_000_000_000))",\
            "window_start":null,"resets_at":null},\
            {"scope":"org/acme","level":"org","period":"monthly","counter":"budget:org/acme:monthly",\
            "limit_nanos":1000000000,"spent_nanos":36000,"reserved_nanos":\(reserved),"remaining_nanos":\(1_000_000_000 - 36000 - reserved),\
            "limit":"\(money(1_000_000_000))","spent":"\(money(36000))","reserved":"\(money(reserved))",\
            "remaining":"\(money(1_000_000_000 - 36000 - reserved))",\
            "window_start":"2026-01-01T00:00:00Z","resets_at":"2026-02-01T00:00:00Z"},\
            {"scope":"team/acme/payments","level":"team","period":"daily","counter":"budget:team/acme/payments:daily",\
            "limit_nanos":10000000,"spent_nanos":36000,"reserved_nanos":\(reserved),"remaining_nanos":\(10_000_000 - 36000 - reserved),\
            "limit":"\(money(10_000_000))","spent":"\(money(36000))","reserved":"\(money(reserved))",\
            "remaining":"\(money(10_000_000 - 36000 - reserved))",\
            "window_start":"2026-01-01T00:00:00Z","resets_at":"2026-01-02T00:00:00Z"}\
            ]}
            """
        XCTAssertEqual(result.response?.body, expected)
        try plugin.postCall(held, outcome: .clientDisconnect)
    }

    func testTheRouteCanMoveOrBeTurnedOffForASecondInstance() throws {
        let moved = try load(#"{"admin_route": "/admin/budgets-eu", "budgets": []}"#)
        XCTAssertEqual(moved.host.declaredRoutes.map(\.path), ["/admin/budgets-eu", "/admin/allocation"])
        XCTAssertEqual(try moved.route("GET", "/admin/budgets-eu").response?.body, #"{"budgets":[]}"#)
        XCTAssertEqual(try load(#"{"admin_route": "off"}"#).host.declaredRoutes.map(\.path), ["/admin/allocation"])
        XCTAssertTrue(try load(#"{"admin_route": "off", "allocation_route": "off"}"#).host.declaredRoutes.isEmpty)
        XCTAssertThrowsError(try load(#"{"admin_route": "/budgets"}"#)) { error in
            XCTAssertTrue("\(error)".contains("budget config: admin_route must be a path under /admin/"), "\(error)")
        }
    }
}
