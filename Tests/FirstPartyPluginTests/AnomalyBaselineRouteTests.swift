import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// GET /admin/anomaly/baseline (reader role): a subject's daily baseline as
/// the spike rule compares against it, and the factor, for the dashboard's
/// chart; narrowed to the caller's scope.
final class AnomalyBaselineRouteTests: XCTestCase {
    typealias F = AnomalyFixture
    let dollar = AnomalyFixture.dollar

    func baseline(_ plugin: PluginUnderTest, _ subject: String, scope: String = "", status: UInt16 = 200) throws -> JSONValue? {
        let result = try plugin.route("GET", "/admin/anomaly/baseline", query: "subject=" + subject,
                                      callerRole: scope.isEmpty ? "admin" : "viewer", callerScope: scope)
        XCTAssertEqual(result.httpStatus, status, result.response?.body ?? "")
        return result.json
    }

    func testTheBaselineAndTheAlertLineAreWhatTheSpikeRuleUses() throws {
        let plugin = try F.load(#"{"factor": 3, "min_daily_spend": "5", "projection_hours": 0}"#)
        XCTAssertEqual(plugin.host.declaredRoutes, [FakeHost.DeclaredRoute(method: "GET", path: "/admin/anomaly/baseline", role: .reader)])
        try F.steadyWeek(plugin, perDay: 10 * dollar)
        try F.spend(plugin, 20 * dollar, at: F.time(day: 8, hour: 9))
        let view = try XCTUnwrap(try baseline(plugin, "team/acme/payments"))
        XCTAssertEqual(view["subject"], .string("team/acme/payments"))
        XCTAssertEqual(view["day"], .string(F.date(day: 8)))
        XCTAssertEqual(view["factor"], .string("3"))
        XCTAssertEqual(view["factor_milli"], .int(3_000))
        XCTAssertEqual(view["baseline_days"], .int(7))
        XCTAssertEqual(view["baseline_nanos"], .int(10 * dollar))
        XCTAssertEqual(view["alert_nanos"], .int(30 * dollar), "baseline x factor")
        XCTAssertEqual(view["today_nanos"], .int(20 * dollar))
        XCTAssertEqual(view["history"]?.arrayValue?.count, 7)
        // The spike rule agrees: $11 more reaches the $30 line.
        try F.spend(plugin, 11 * dollar, at: F.time(day: 8, hour: 18))
        XCTAssertEqual(plugin.host.alerts.map(\.kind), ["spend_spike"])
    }

    func testColdStartHasNoLine() throws {
        let plugin = try F.load(#"{"factor": 3, "min_history_days": 3}"#)
        try F.steadyWeek(plugin, perDay: 10 * dollar, days: 1...2)
        let view = try XCTUnwrap(try baseline(plugin, "team/acme/payments"))
        XCTAssertEqual(view["baseline_nanos"], .null)
        XCTAssertEqual(view["alert_nanos"], .null)
        XCTAssertEqual(view["baseline_days"], .int(1))
    }

    func testNarrowedToTheCallersScopeAndCheckedSubjects() throws {
        let plugin = try F.load(#"{"factor": 3}"#)
        try F.steadyWeek(plugin, perDay: 10 * dollar)
        XCTAssertNotNil(try baseline(plugin, "team/acme/payments", scope: "org/acme"))
        XCTAssertNotNil(try baseline(plugin, "team/acme/payments", scope: "team/acme/payments"))
        _ = try baseline(plugin, "team/acme/search", scope: "team/acme/payments", status: 403)
        _ = try baseline(plugin, "team/other/x", scope: "org/acme", status: 403)
        _ = try baseline(plugin, "key/payments-prod", scope: "org/acme", status: 403)
        _ = try baseline(plugin, "team/acme", status: 400)
    }

    func testTheRouteCanMoveOrBeTurnedOff() throws {
        XCTAssertEqual(try F.load(#"{"baseline_route": "/admin/anomaly/baseline-eu"}"#).host.declaredRoutes.map(\.path),
                       ["/admin/anomaly/baseline-eu"])
        XCTAssertTrue(try F.load(#"{"baseline_route": "off"}"#).host.declaredRoutes.isEmpty)
        XCTAssertThrowsError(try F.load(#"{"baseline_route": "baseline"}"#))
    }
}
