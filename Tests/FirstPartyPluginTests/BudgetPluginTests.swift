import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The budget plugin against the fake host's counter store: reserve on every
/// budget on the path, refuse with the budget's numbers, settle or release
/// in post_call, class policies, thresholds once per window.
final class BudgetPluginTests: XCTestCase {
    static var libraryPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while url.pathExtension == "xctest" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("libtollgate_budget.so").path
    }

    func load(_ config: String) throws -> PluginUnderTest {
        try PluginUnderTest(libraryPath: Self.libraryPath, config: JSONValue.parse(config))
    }

    /// org $1, team $0.01 daily, another team's and another key's budgets.
    let standard = #"""
    {"default_output_tokens": 100, "budgets": [
      {"scope": "org/acme", "period": "monthly", "amount": "1"},
      {"scope": "team/acme/payments", "period": "daily", "amount": "0.01"},
      {"scope": "team/acme/search", "period": "daily", "amount": "0.01"},
      {"scope": "key/other-key", "period": "total", "amount": "5"}
    ]}
    """#

    func reserved(_ plugin: PluginUnderTest, _ name: String) -> Int64? { plugin.host.counters.state(named: name)?.reserved }
    func spent(_ plugin: PluginUnderTest, _ name: String) -> Int64? { plugin.host.counters.state(named: name)?.spent }

    func testDeclaresOneCounterPerBudgetNamedByScopeAndPeriod() throws {
        let plugin = try load(standard)
        XCTAssertEqual(plugin.descriptorABIMinor, 1, "needs the counter store")
        XCTAssertTrue(plugin.failClosed)
        let names = plugin.host.counters.counters.map(\.name).filter { $0.hasPrefix("budget:") }
        XCTAssertEqual(names, ["budget:org/acme:monthly", "budget:team/acme/payments:daily",
                               "budget:team/acme/search:daily", "budget:key/other-key:total"])
        let team = try XCTUnwrap(plugin.host.counters.counter(named: "budget:team/acme/payments:daily"))
        XCTAssertEqual(team.limit, 10_000_000)
        XCTAssertEqual(team.window, .day)
        XCTAssertTrue(team.persist)
    }

    func testReservesTheEstimateOnEveryBudgetOnThePathAndSettlesTheRealCost() throws {
        let plugin = try load(standard)
        let call = FakeCall(maxOutputTokens: 50)
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        let held = try XCTUnwrap(reserved(plugin, "budget:org/acme:monthly"))
        XCTAssertGreaterThan(held, 50 * 1600, "at least the output bound at the output price")
        XCTAssertEqual(reserved(plugin, "budget:team/acme/payments:daily"), held)
        XCTAssertEqual(reserved(plugin, "budget:team/acme/search:daily"), 0, "not on the path")
        XCTAssertEqual(reserved(plugin, "budget:key/other-key:total"), 0)
        try plugin.postCall(call, usage: (in: 10, out: 20, cached: 0))
        let cost: Int64 = 10 * 400 + 20 * 1600
        XCTAssertEqual(spent(plugin, "budget:org/acme:monthly"), cost)
        XCTAssertEqual(spent(plugin, "budget:team/acme/payments:daily"), cost)
        XCTAssertEqual(reserved(plugin, "budget:org/acme:monthly"), 0)
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
        XCTAssertEqual(plugin.host.metricValue("tollgate_budget_spent_usd", labels: ["team/acme/payments", "daily"]),
                       Double(cost) / 1e9)
    }

    func testRefusesWith429NamingTheBudgetAndNothingIsHeld() throws {
        let plugin = try load(standard)
        // Fill the team budget ($0.01) with settled spend.
        var filled: Int64 = 0
        for i in 0..<100 {
            let call = FakeCall(maxOutputTokens: 50, requestID: "fill-\(i)")
            guard try plugin.preCall(call).verdict == .continue else {
                try plugin.postCall(call, outcome: "rejected", status: 429)
                break
            }
            try plugin.postCall(call, usage: (in: 100, out: 50, cached: 0))
            filled += 100 * 400 + 50 * 1600
        }
        XCTAssertEqual(spent(plugin, "budget:team/acme/payments:daily"), filled)
        let rejectionsBefore = plugin.host.metricValue("tollgate_budget_rejections_total", labels: ["team/acme/payments", "daily"]) ?? 0
        let call = FakeCall(maxOutputTokens: 50, requestID: "refused")
        let pre = try plugin.preCall(call)
        XCTAssertEqual(pre.verdict, .reject)
        let error = try XCTUnwrap(pre.error)
        XCTAssertEqual(error.status, 429)
        XCTAssertEqual(error.type, "budget_exceeded")
        XCTAssertEqual(error.code, "budget_exceeded")
        XCTAssertTrue(error.message.hasPrefix("Budget exceeded: team acme/payments (daily) limit $0.01, spent $"), error.message)
        XCTAssertTrue(error.message.contains("in flight $0.00; resets 2026-01-02T00:00:00Z"), error.message)
        let retryAfter = try XCTUnwrap(call.responseHeader("retry-after").flatMap(Int.init))
        XCTAssertTrue(retryAfter == 1 || retryAfter == 86_400, "\(retryAfter)")
        XCTAssertEqual(reserved(plugin, "budget:org/acme:monthly"), 0, "all or nothing: the org holds nothing either")
        XCTAssertEqual(plugin.host.metricValue("tollgate_budget_rejections_total", labels: ["team/acme/payments", "daily"]),
                       rejectionsBefore + 1)
        try plugin.postCall(call, outcome: "rejected", status: 429)
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
    }

    func testReleasesWhenNothingWasServedAndSettlesACutStream() throws {
        let plugin = try load(standard)
        for outcome in ["upstream_error", "rejected", "client_disconnect"] {
            let call = FakeCall(requestID: outcome)
            try plugin.preCall(call)
            XCTAssertGreaterThan(reserved(plugin, "budget:org/acme:monthly") ?? 0, 0)
            try plugin.postCall(call, outcome: outcome, status: 0)
        }
        XCTAssertEqual(spent(plugin, "budget:org/acme:monthly"), 0)
        XCTAssertEqual(plugin.host.counters.releasedReservations.count, 3)
        // A stream cut after some tokens: settled for what was produced.
        let cut = FakeCall(stream: true, requestID: "cut")
        try plugin.preCall(cut)
        cut.usageEstimated = true
        cut.modelServed = "small"
        try plugin.postCall(cut, usage: (in: 5, out: 7, cached: 0), outcome: "client_disconnect", status: 200)
        XCTAssertEqual(spent(plugin, "budget:org/acme:monthly"), 5 * 400 + 7 * 1600)
        XCTAssertEqual(plugin.host.metricValue("tollgate_budget_settlements_total", labels: ["estimated"]), 1)
        // A success with zero cost is still a settlement, never a release.
        let free = FakeCall(requestID: "free")
        try plugin.preCall(free)
        try plugin.postCall(free, usage: (0, 0, 0))
        XCTAssertEqual(plugin.host.counters.settledReservations.count, 2)
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
    }

    func testExperimentationKeysAreRefusedAtTheCapAndAlerted() throws {
        let plugin = try load(#"{"default_output_tokens": 100, "budgets": [{"scope": "team/acme/payments", "period": "daily", "amount": "0.0001", "at_cap": "allow"}]}"#)
        let lab = FakeCall(identity: .init(keyID: "lab", keyClass: "experimentation"))
        XCTAssertEqual(try plugin.preCall(lab).verdict, .reject)
        try plugin.postCall(lab, outcome: "rejected", status: 429)
        XCTAssertEqual(plugin.host.alerts.map(\.kind), ["budget_cap"])
        // Production keys follow at_cap: allow — through, recorded, alerted.
        let prod = FakeCall(identity: .init(keyID: "prod", keyClass: "production"))
        XCTAssertEqual(try plugin.preCall(prod).verdict, .continue)
        XCTAssertTrue(plugin.host.alerts.contains { $0.kind == "budget_overrun" && $0.severity == .critical })
        try plugin.postCall(prod, usage: (in: 1000, out: 100, cached: 0))
        XCTAssertEqual(spent(plugin, "budget:team/acme/payments:daily"), 1000 * 400 + 100 * 1600)
    }

    func testProductionAtCapRejectIsTheDefault() throws {
        let plugin = try load(#"{"default_output_tokens": 100, "budgets": [{"scope": "org/acme", "period": "weekly", "amount": "0.0001"}]}"#)
        let prod = FakeCall()
        XCTAssertEqual(try plugin.preCall(prod).verdict, .reject)
        XCTAssertTrue(prod.error?.message.contains("resets 2026-01-05T00:00:00Z") == true, "ISO week ends Monday: \(prod.error!.message)")
        try plugin.postCall(prod, outcome: "rejected", status: 429)
    }

    func testObserveModeNeverRefusesButRecordsAndAlerts() throws {
        let plugin = try load(#"{"default_output_tokens": 100, "budgets": [{"scope": "key/test-key", "period": "total", "amount": "0.0001", "mode": "observe"}]}"#)
        let lab = FakeCall(identity: .init(keyID: "test-key", keyClass: "experimentation"))
        XCTAssertEqual(try plugin.preCall(lab).verdict, .continue)
        XCTAssertTrue(plugin.host.alerts.contains { $0.kind == "budget_observe_over" })
        try plugin.postCall(lab, usage: (in: 1000, out: 100, cached: 0))
        XCTAssertEqual(spent(plugin, "budget:key/test-key:total"), 1000 * 400 + 100 * 1600)
        XCTAssertEqual(plugin.host.alerts.filter { $0.kind == "budget_threshold" }.count, 2, "80% and 100%")
    }

    func testAnOverflowingMaxTokensIsRefusedNotReservedAsFree() throws {
        // 1e16 output tokens at $1.60/Mtok is beyond Int64 nano-dollars; the
        // catalog sets no max output to cap it. Before the fix the estimate
        // became 0 and the request went through every budget for free.
        for mode in ["enforce", "observe"] {
            let plugin = try load(#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "1000", "mode": "\#(mode)"}]}"#)
            let call = FakeCall(maxOutputTokens: 10_000_000_000_000_000, requestID: "huge-\(mode)")
            let pre = try plugin.preCall(call)
            XCTAssertEqual(pre.verdict, .reject, mode)
            XCTAssertEqual(pre.error?.status, 400, mode)
            XCTAssertEqual(pre.error?.code, "cost_unbounded", mode)
            XCTAssertTrue(pre.error?.message.contains("10000000000000000 output tokens") == true, pre.error?.message ?? "")
            XCTAssertEqual(plugin.host.metricValue("tollgate_budget_unbounded_total", labels: []), 1)
            try plugin.postCall(call, outcome: "rejected", status: 400)
            XCTAssertEqual(plugin.host.counters.openReservations, 0)
        }
        // Capped by the catalog's max output, the same request is priced.
        let plugin = try load(#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "1000"}]}"#)
        let capped = FakeCall(maxOutputTokens: 10_000_000_000_000_000)
        capped.catalogMaxOutput = 1000
        XCTAssertEqual(try plugin.preCall(capped).verdict, .continue)
        try plugin.postCall(capped, usage: (1, 1, 0))
    }

    func testAModelWithNoPriceIsRefusedNotFree() throws {
        let plugin = try load(#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "1000", "mode": "observe"}]}"#)
        let call = FakeCall(model: "not-in-catalog")
        let pre = try plugin.preCall(call)
        XCTAssertEqual(pre.verdict, .reject)
        XCTAssertEqual(pre.error?.status, 400)
        XCTAssertEqual(pre.error?.code, "cost_unbounded")
        try plugin.postCall(call, outcome: "rejected", status: 400)
    }

    func testEveryBudgetOverItsLimitGetsItsOwnAlert() throws {
        // The example in docs/plugins/budget.md: an observe budget and an
        // at_cap: allow budget, both over on one production request.
        let plugin = try load(#"""
            {"default_output_tokens": 100, "budgets": [
              {"scope": "org/acme", "period": "daily", "amount": "0.0001", "mode": "observe"},
              {"scope": "team/acme/payments", "period": "daily", "amount": "0.0001", "at_cap": "allow"}]}
            """#)
        let prod = FakeCall(identity: .init(keyID: "prod", keyClass: "production"))
        XCTAssertEqual(try plugin.preCall(prod).verdict, .continue)
        let kinds = Set(plugin.host.alerts.map(\.kind))
        XCTAssertTrue(kinds.contains("budget_observe_over"), "\(kinds)")
        XCTAssertTrue(kinds.contains("budget_overrun"), "\(kinds)")
        XCTAssertEqual(Set(plugin.host.alerts.filter { $0.kind.hasPrefix("budget_o") }.map(\.subject)),
                       ["org/acme", "team/acme/payments"])
        try plugin.postCall(prod, usage: (1, 1, 0))
    }

    func testThresholdsAlertOncePerWindowEach() throws {
        let plugin = try load(#"{"thresholds": [50, 90], "default_output_tokens": 10, "budgets": [{"scope": "org/acme", "period": "daily", "amount": "0.001"}]}"#)
        func spend(_ outTokens: Int64, _ id: String) throws {
            let call = FakeCall(maxOutputTokens: 10, requestID: id)
            XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
            try plugin.postCall(call, usage: (in: 0, out: outTokens, cached: 0))
        }
        let thresholdAlerts = { plugin.host.alerts.filter { $0.kind == "budget_threshold" } }
        try spend(10, "a")  // $0.000016 = 1.6%
        XCTAssertTrue(thresholdAlerts().isEmpty)
        for i in 0..<32 { try spend(10, "b\(i)") }  // 33 x 16,000 = 528,000 nanos = 52.8%
        XCTAssertEqual(thresholdAlerts().count, 1)
        XCTAssertTrue(thresholdAlerts()[0].message.contains("reached 50%"), thresholdAlerts()[0].message)
        for i in 0..<24 { try spend(10, "c\(i)") }  // 57 x 16,000 = 912,000 = 91.2%
        XCTAssertEqual(thresholdAlerts().count, 2)
        try spend(5, "d")
        XCTAssertEqual(thresholdAlerts().count, 2, "each threshold once per window")
        // The next day is a new window.
        plugin.host.counters.now += 86_400
        for i in 0..<33 { try spend(10, "e\(i)") }
        XCTAssertEqual(thresholdAlerts().count, 3)
        XCTAssertNotEqual(thresholdAlerts()[0].dedupeKey, thresholdAlerts()[2].dedupeKey)
    }

    func testRequestsOffEveryPathAreUntouched() throws {
        let plugin = try load(standard)
        let call = FakeCall(identity: .init(keyID: "x", org: "globex", team: "ops"))
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        try plugin.postCall(call, usage: (in: 10, out: 10, cached: 0))
        XCTAssertTrue(plugin.host.counters.counters.allSatisfy { $0.spentByWindow.isEmpty && $0.reserved == 0 })
    }

    func testConfigIsValidatedStrictly() {
        let cases: [(String, String)] = [
            (#"{"budgets": [], "budgetz": 1}"#, "unknown key 'budgetz'; did you mean 'budgets'?"),
            (#"{"budgets": [{"scope": "teams/acme", "period": "daily", "amount": "1"}]}"#, "budgets[0].scope must be org/ORG, team/ORG/TEAM or key/KEY_ID"),
            (#"{"budgets": [{"scope": "team/acme", "period": "daily", "amount": "1"}]}"#, "got \"team/acme\""),
            (#"{"budgets": [{"scope": "org/acme", "period": "hourly", "amount": "1"}]}"#, "budgets[0].period must be one of daily, weekly, monthly, total"),
            (#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "$5"}]}"#, "amount must be a USD decimal"),
            (#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "1.0000000001"}]}"#, "at most 9 decimals"),
            (#"{"budgets": [{"scope": "org/acme", "period": "daily"}]}"#, "budgets[0].amount is required"),
            (#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "1", "mode": "watch"}]}"#, "budgets[0].mode must be one of enforce, observe, got \"watch\""),
            (#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "1", "at_cap": "maybe"}]}"#, "budgets[0].at_cap must be one of reject, allow, got \"maybe\""),
            (#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "1", "limit": 3}]}"#, "budgets[0]: unknown key 'limit' (allowed: scope, period, amount, mode, at_cap, thresholds)"),
            (#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "1"}, {"scope": "org/acme", "period": "daily", "amount": "2"}]}"#,
             "already has a daily budget"),
            (#"{"thresholds": [0], "budgets": []}"#, "thresholds[0] must be a percentage from 1 to 1000, got 0"),
        ]
        for (config, expected) in cases {
            XCTAssertThrowsError(try load(config), config) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(config): \(error)")
            }
        }
        XCTAssertNoThrow(try load(#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": 800}]}"#), "a YAML number is fine")
    }
}
