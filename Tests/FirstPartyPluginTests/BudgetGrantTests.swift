import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The budget plugin enforcing money on grants (ABI 1.5): a counter per
/// grant bucket, admission (revoked, expired, grace), one capped
/// reservation over the grants on the path, tiers and their alerts, new
/// table versions. The fake host does not compute paths: each call says
/// which grants it is on (`grantPath`, indices into the table, root first).
final class BudgetGrantTests: XCTestCase {
    static let dollar: Int64 = 1_000_000_000
    /// 2026-01-01T00:00:00Z, the fake counters' clock at start.
    static let start: Int64 = 1_767_225_600

    func load(_ config: String = #"{"default_output_tokens": 100}"#, grants: [JSONValue]? = nil) throws -> PluginUnderTest {
        try PluginUnderTest(libraryPath: BudgetPluginTests.libraryPath, config: JSONValue.parse(config)) { host in
            if let grants { host.setGrants(grants) }
        }
    }

    /// A request received at the fake counters' clock, on `path`.
    func call(_ plugin: PluginUnderTest, _ path: [Int], keyClass: String = "production", team: String = "recs",
              id: String = "req", maxOutputTokens: Int64 = 10) -> FakeCall {
        let call = FakeCall(maxOutputTokens: maxOutputTokens, identity: .init(keyID: "k-\(keyClass)", team: team, keyClass: keyClass),
                            requestID: id, receivedAtMicros: plugin.host.counters.now * 1_000_000)
        call.grantPath = path
        return call
    }

    func state(_ plugin: PluginUnderTest, _ grant: String, _ bucket: String) -> CounterState? {
        plugin.host.counters.state(named: "grant:\(grant):\(bucket)")
    }

    /// The estimate the plugin reserves for `call(plugin, path)`: made and
    /// released on a throwaway plugin with a large grant.
    func estimate(maxOutputTokens: Int64 = 10) throws -> Int64 {
        let plugin = try load(grants: [FakeHost.grant(id: "probe", scope: "org/acme", amounts: [("all", Self.dollar)])])
        let probe = call(plugin, [0], id: "probe", maxOutputTokens: maxOutputTokens)
        XCTAssertEqual(try plugin.preCall(probe).verdict, .continue)
        let held = try XCTUnwrap(state(plugin, "probe", "all")?.reserved)
        try plugin.postCall(probe, outcome: "rejected", status: 429)
        return held
    }

    /// Runs requests costing `cost` each until one is refused; returns how
    /// many were admitted and the refusal.
    func spendUntilRefused(_ plugin: PluginUnderTest, _ path: [Int], keyClass: String = "production", cost: Int64,
                           limit: Int = 500) throws -> (admitted: Int, refusal: FakeCall.ErrorDetails?, refused: FakeCall?) {
        for i in 0..<limit {
            let c = call(plugin, path, keyClass: keyClass, id: "spend-\(i)")
            let pre = try plugin.preCall(c)
            guard pre.verdict == .continue else {
                try plugin.postCall(c, outcome: "rejected", status: Int64(pre.error?.status ?? 0))
                return (i, pre.error, c)
            }
            c.costNanos = cost
            try plugin.postCall(c, usage: (1, 1, 0))
        }
        return (limit, nil, nil)
    }

    /// An org grant, a team grant inside it, a feature grant inside that.
    func nested(org: Int64 = dollar, team: Int64 = dollar, feature: Int64 = dollar) -> [JSONValue] {
        [FakeHost.grant(id: "acme", scope: "org/acme", owner: "cfo@acme.com", amounts: [("all", org)], period: "monthly"),
         FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme", owner: "lead@acme.com", amounts: [("all", team)]),
         FakeHost.grant(id: "recs-search", scope: "feature/acme/recs/search", parent: "recs", owner: "pm@acme.com",
                        amounts: [("all", feature)], period: "weekly")]
    }

    // MARK: Counters

    func testDeclaresACounterPerGrantBucketAtCreateAndForEveryNewTable() throws {
        let plugin = try load(grants: [
            FakeHost.grant(id: "acme", scope: "org/acme", amounts: [("all", 5 * Self.dollar)], period: "quarterly"),
            FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme",
                           amounts: [("production", 2 * Self.dollar), ("experimentation", Self.dollar)], period: "total"),
        ])
        let names = plugin.host.counters.counters.map(\.name).filter { $0.hasPrefix("grant:") }
        XCTAssertEqual(names, ["grant:acme:all", "grant:recs:production", "grant:recs:experimentation"], "declared in on_create")
        let org = try XCTUnwrap(plugin.host.counters.counter(named: "grant:acme:all"))
        XCTAssertEqual(org.limit, 5 * Self.dollar)
        XCTAssertEqual(org.window, .quarter)
        XCTAssertTrue(org.persist)
        XCTAssertEqual(plugin.host.counters.counter(named: "grant:recs:production")?.limit, 2 * Self.dollar)
        XCTAssertEqual(plugin.host.counters.counter(named: "grant:recs:experimentation")?.window, CounterWindow.none)
        XCTAssertEqual(plugin.host.declaredRoutes.last, FakeHost.DeclaredRoute(method: "GET", path: "/admin/allocation", role: .reader))

        // A grant minted at run time: its counter appears with the next
        // request that names the new version.
        plugin.host.setGrants([
            FakeHost.grant(id: "acme", scope: "org/acme", amounts: [("all", 5 * Self.dollar)], period: "quarterly"),
            FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme",
                           amounts: [("production", 2 * Self.dollar), ("experimentation", Self.dollar)], period: "total"),
            FakeHost.grant(id: "recs-bot", scope: "key/k-production", parent: "recs", org: "acme", team: "recs",
                           amounts: [("production", Self.dollar / 10)], source: "minted"),
        ])
        let c = call(plugin, [0, 1, 2])
        XCTAssertEqual(try plugin.preCall(c).verdict, .continue)
        XCTAssertEqual(plugin.host.counters.counter(named: "grant:recs-bot:production")?.limit, Self.dollar / 10)
        XCTAssertGreaterThan(state(plugin, "recs-bot", "production")?.reserved ?? 0, 0)
        try plugin.postCall(c, usage: (10, 10, 0))
        XCTAssertEqual(plugin.host.metricValue("tollgate_grant_spent_usd", labels: ["recs-bot", "production"]),
                       Double(10 * 400 + 10 * 1600) / 1e9)
    }

    func testAHostOlderThan15HasNoGrantsAndTheBudgetsWorkAsBefore() throws {
        let plugin = try PluginUnderTest(
            libraryPath: BudgetPluginTests.libraryPath,
            config: JSONValue.parse(#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "1"}]}"#), hostMinor: 4)
        XCTAssertEqual(plugin.host.declaredRoutes.map(\.path), ["/admin/budgets"], "no allocation route without grants")
        plugin.host.setGrants([FakeHost.grant(id: "tiny", scope: "org/acme", amounts: [("all", 1)])])
        let c = call(plugin, [0])
        XCTAssertEqual(try plugin.preCall(c).verdict, .continue, "grants are skipped, not refused")
        XCTAssertGreaterThan(plugin.host.counters.state(named: "budget:org/acme:daily")?.reserved ?? 0, 0)
        try plugin.postCall(c, usage: (1, 1, 0))
        XCTAssertNil(plugin.host.counters.counter(named: "grant:tiny:all"))
    }

    // MARK: Which grant binds

    func testEachGrantOnThePathBindsWhenItIsTheTightest() throws {
        let estimate = try estimate()
        // Below the estimate even at production's ceiling (150%).
        let tiny = estimate / 2
        let cases: [(String, [JSONValue], String, String)] = [
            ("acme", nested(org: tiny), "org/acme", "cfo@acme.com"),
            ("recs", nested(team: tiny), "team/acme/recs", "lead@acme.com"),
            ("recs-search", nested(feature: tiny), "feature/acme/recs/search", "pm@acme.com"),
        ]
        for (binding, grants, scope, owner) in cases {
            let plugin = try load(grants: grants)
            let c = call(plugin, [0, 1, 2], id: "bound-by-\(binding)")
            let pre = try plugin.preCall(c)
            XCTAssertEqual(pre.verdict, .reject, binding)
            let error = try XCTUnwrap(pre.error)
            XCTAssertEqual(error.status, 429)
            XCTAssertEqual(error.type, "budget_exceeded")
            XCTAssertEqual(error.code, "grant_exceeded")
            XCTAssertTrue(error.message.hasPrefix("Grant exceeded: grant '\(binding)' (\(scope), owner \(owner)), production limit "),
                          error.message)
            XCTAssertTrue(error.message.contains("tollgate exception request --grant \(binding) --amount <USD> --ends <DATE> --reason"), error.message)
            XCTAssertTrue(error.message.contains("ask \(owner)"), error.message)
            XCTAssertTrue(error.message.contains("This request alone may cost up to \(Money.format(nanos: estimate))"), error.message)
            XCTAssertEqual(c.responseHeader("x-tollgate-grant"), binding)
            XCTAssertNil(c.responseHeader("retry-after"), "the estimate alone is over the limit: no retry helps")
            for grant in ["acme", "recs", "recs-search"] {
                XCTAssertEqual(state(plugin, grant, "all")?.reserved, 0, "all or nothing (\(binding) binding, \(grant))")
            }
            XCTAssertEqual(plugin.host.metricValue("tollgate_grant_rejections_total", labels: [binding, "all"]), 1)
            XCTAssertEqual(plugin.host.alerts.filter { $0.kind == "grant_refused" }.map(\.subject), [scope])
            try plugin.postCall(c, outcome: "rejected", status: 429)
            XCTAssertEqual(plugin.host.counters.openReservations, 0)
        }
    }

    func testEveryGrantOnThePathIsChargedTheSameRealCost() throws {
        let plugin = try load(grants: nested())
        let c = call(plugin, [0, 1, 2])
        XCTAssertEqual(try plugin.preCall(c).verdict, .continue)
        let held = try XCTUnwrap(state(plugin, "acme", "all")?.reserved)
        XCTAssertGreaterThan(held, 10 * 1600)
        XCTAssertEqual(state(plugin, "recs", "all")?.reserved, held)
        XCTAssertEqual(state(plugin, "recs-search", "all")?.reserved, held)
        try plugin.postCall(c, usage: (in: 30, out: 7, cached: 0))
        for grant in ["acme", "recs", "recs-search"] {
            XCTAssertEqual(state(plugin, grant, "all")?.spent, 30 * 400 + 7 * 1600, grant)
            XCTAssertEqual(state(plugin, grant, "all")?.reserved, 0, grant)
            XCTAssertEqual(plugin.host.metricValue("tollgate_grant_spent_usd", labels: [grant, "all"]), Double(30 * 400 + 7 * 1600) / 1e9)
            XCTAssertEqual(plugin.host.metricValue("tollgate_grant_limit_usd", labels: [grant, "all"]), 1)
            XCTAssertEqual(plugin.host.metricValue("tollgate_grant_reserved_usd", labels: [grant, "all"]), 0)
        }
        // Nothing served: released everywhere.
        let failed = call(plugin, [0, 1, 2], id: "failed")
        XCTAssertEqual(try plugin.preCall(failed).verdict, .continue)
        try plugin.postCall(failed, outcome: "upstream_error", status: 502)
        XCTAssertEqual(state(plugin, "recs", "all")?.spent, 30 * 400 + 7 * 1600)
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
    }

    func testGrantsAndBudgetsAreReservedSeparatelyAndBothHold() throws {
        let estimate = try estimate()
        // The budget is roomy, the grant binds.
        let plugin = try load(#"{"default_output_tokens": 100, "budgets": [{"scope": "team/acme/recs", "period": "daily", "amount": "1"}]}"#,
                              grants: [FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("all", estimate * 2)])])
        let (admitted, refusal, _) = try spendUntilRefused(plugin, [0], keyClass: "experimentation", cost: estimate)
        XCTAssertEqual(admitted, 2)
        XCTAssertEqual(refusal?.code, "grant_exceeded")
        XCTAssertEqual(plugin.host.counters.state(named: "budget:team/acme/recs:daily")?.spent, estimate * 2)
        XCTAssertEqual(plugin.host.counters.state(named: "budget:team/acme/recs:daily")?.reserved, 0,
                       "the grant refused first: the budget holds nothing")
        // The grant is roomy, the budget binds: its own 429, the grant's hold released.
        let other = try load(#"{"default_output_tokens": 100, "budgets": [{"scope": "team/acme/recs", "period": "daily", "amount": "0.000001"}]}"#,
                             grants: [FakeHost.grant(id: "recs", scope: "team/acme/recs")])
        let c = call(other, [0])
        let pre = try other.preCall(c)
        XCTAssertEqual(pre.error?.code, "budget_exceeded")
        try other.postCall(c, outcome: "rejected", status: 429)
        XCTAssertEqual(state(other, "recs", "all")?.reserved, 0)
        XCTAssertEqual(state(other, "recs", "all")?.spent, 0)
        XCTAssertEqual(other.host.counters.openReservations, 0)
    }

    // MARK: Classes and caps

    func testProductionAndExperimentationBucketsAreChargedSeparately() throws {
        let plugin = try load(grants: [
            FakeHost.grant(id: "recs", scope: "team/acme/recs", owner: "lead@acme.com",
                           amounts: [("production", Self.dollar), ("experimentation", Self.dollar / 1000)]),
        ])
        let prod = call(plugin, [0], keyClass: "production", id: "prod")
        XCTAssertEqual(try plugin.preCall(prod).verdict, .continue)
        try plugin.postCall(prod, usage: (in: 100, out: 10, cached: 0))
        let lab = call(plugin, [0], keyClass: "experimentation", id: "lab")
        XCTAssertEqual(try plugin.preCall(lab).verdict, .continue)
        try plugin.postCall(lab, usage: (in: 1, out: 1, cached: 0))
        XCTAssertEqual(state(plugin, "recs", "production")?.spent, 100 * 400 + 10 * 1600)
        XCTAssertEqual(state(plugin, "recs", "experimentation")?.spent, 400 + 1600)
        // Experimentation's bucket fills; production's is untouched by it.
        let estimate = try estimate()
        let (_, refusal, _) = try spendUntilRefused(plugin, [0], keyClass: "experimentation", cost: estimate)
        XCTAssertEqual(refusal?.code, "grant_exceeded")
        XCTAssertTrue(refusal?.message.contains("experimentation limit $0.001") == true, refusal?.message ?? "")
        let prod2 = call(plugin, [0], keyClass: "production", id: "prod-2")
        XCTAssertEqual(try plugin.preCall(prod2).verdict, .continue, "production has its own money")
        XCTAssertEqual(state(plugin, "recs", "production")?.spent, 100 * 400 + 10 * 1600)
        try plugin.postCall(prod2, outcome: "client_disconnect", status: 0)
    }

    func testAGrantWithoutABucketForTheClassIsSkipped() throws {
        let plugin = try load(grants: [FakeHost.grant(id: "prod-only", scope: "team/acme/recs", grantClass: "production",
                                                      amounts: [("production", 1)])])
        let lab = call(plugin, [0], keyClass: "experimentation")
        XCTAssertEqual(try plugin.preCall(lab).verdict, .continue)
        XCTAssertEqual(state(plugin, "prod-only", "production")?.reserved, 0)
        try plugin.postCall(lab, usage: (1, 1, 0))
    }

    func testProductionFailsOpenPastTheAmountUpToTheHardTierThenIsRefused() throws {
        let estimate = try estimate()
        let amount = 10 * estimate
        let plugin = try load(grants: [FakeHost.grant(id: "recs", scope: "team/acme/recs", owner: "lead@acme.com",
                                                      amounts: [("production", amount)], tiers: (80, 110, 150))])
        let (admitted, refusal, refused) = try spendUntilRefused(plugin, [0], cost: estimate)
        XCTAssertEqual(admitted, 15, "up to 150% of the amount")
        let spent = try XCTUnwrap(state(plugin, "recs", "production")?.spent)
        XCTAssertEqual(spent, amount * 3 / 2)
        let error = try XCTUnwrap(refusal)
        XCTAssertEqual(error.status, 429)
        XCTAssertTrue(error.message.contains("production limit \(Money.format(nanos: amount * 3 / 2)) (hard tier: 150% of its "
            + "\(Money.format(nanos: amount)) amount), spent \(Money.format(nanos: spent)), in flight $0.00; "
            + "resets 2026-01-02T00:00:00Z. This request reserves up to \(Money.format(nanos: estimate))"), error.message)
        XCTAssertEqual(refused?.responseHeader("retry-after"), "86400", "spent blocks: the window's reset")
        // The same grant refusing production at the cap stops at 100%.
        let strict = try load(grants: [FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("production", amount)],
                                                      productionAtCap: "refuse")])
        let (strictAdmitted, strictRefusal, _) = try spendUntilRefused(strict, [0], cost: estimate)
        XCTAssertEqual(strictAdmitted, 10)
        XCTAssertEqual(state(strict, "recs", "production")?.spent, amount)
        XCTAssertTrue(strictRefusal?.message.contains("production limit \(Money.format(nanos: amount)) (its amount: the grant "
            + "refuses production at the cap)") == true, strictRefusal?.message ?? "")
    }

    func testExperimentationIsRefusedAtTheAmountEvenOnASharedBucket() throws {
        let estimate = try estimate()
        let amount = 4 * estimate
        let plugin = try load(grants: [FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("all", amount)])])
        let (admitted, refusal, _) = try spendUntilRefused(plugin, [0], keyClass: "experimentation", cost: estimate)
        XCTAssertEqual(admitted, 4)
        XCTAssertTrue(refusal?.message.contains("experimentation limit \(Money.format(nanos: amount)) (its amount)") == true,
                      refusal?.message ?? "")
        // Production on the same bucket still goes on, to 150%.
        let (prodAdmitted, _, _) = try spendUntilRefused(plugin, [0], keyClass: "production", cost: estimate)
        XCTAssertEqual(prodAdmitted, 2)
        XCTAssertEqual(state(plugin, "recs", "all")?.spent, 6 * estimate)
    }

    func testInFlightMoneyBlocksWithARetryAfterOfOneSecond() throws {
        let estimate = try estimate()
        let plugin = try load(grants: [FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("all", estimate)])])
        let first = call(plugin, [0], keyClass: "experimentation", id: "first")
        XCTAssertEqual(try plugin.preCall(first).verdict, .continue)
        let second = call(plugin, [0], keyClass: "experimentation", id: "second")
        let pre = try plugin.preCall(second)
        XCTAssertEqual(pre.verdict, .reject)
        XCTAssertEqual(second.responseHeader("retry-after"), "1")
        XCTAssertTrue(pre.error?.message.contains("in flight \(Money.format(nanos: estimate))") == true, pre.error?.message ?? "")
        try plugin.postCall(second, outcome: "rejected", status: 429)
        try plugin.postCall(first, usage: (1, 1, 0))
    }

    // MARK: Admission

    func testRevokedAndExpiredGrantsAreRefusedWith403() throws {
        let now = Self.start
        let plugin = try load(grants: [
            FakeHost.grant(id: "acme", scope: "org/acme", owner: "cfo@acme.com"),
            FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme", owner: "lead@acme.com", renewsAt: now),
            FakeHost.grant(id: "recs-search", scope: "feature/acme/recs/search", parent: "recs", owner: "pm@acme.com",
                           renewsAt: now + 86_400 * 90, status: "revoked"),
        ])
        // In path order: the expired team grant is met before the revoked feature's.
        let both = call(plugin, [0, 1, 2], id: "both")
        let pre = try plugin.preCall(both)
        XCTAssertEqual(pre.verdict, .reject)
        XCTAssertEqual(pre.error?.status, 403)
        XCTAssertEqual(pre.error?.type, "permission_error")
        XCTAssertEqual(pre.error?.code, "grant_expired")
        let expired = try XCTUnwrap(pre.error?.message)
        XCTAssertTrue(expired.hasPrefix("Grant 'recs' (team/acme/recs, owner lead@acme.com) expired: its renewal date was 2025-12-31"),
                      expired)
        XCTAssertTrue(expired.contains("To renew it, ask lead@acme.com"), expired)
        XCTAssertTrue(expired.contains("the committee moves its renewal date (renews: in the config)"), expired)
        XCTAssertFalse(expired.contains("exception request"), "no exception raises an expired grant: \(expired)")
        XCTAssertEqual(both.responseHeader("x-tollgate-grant"), "recs")
        try plugin.postCall(both, outcome: "rejected", status: 403)

        let revoked = call(plugin, [0, 2], id: "revoked")
        let refused = try plugin.preCall(revoked)
        XCTAssertEqual(refused.error?.status, 403)
        XCTAssertEqual(refused.error?.code, "grant_revoked")
        XCTAssertTrue(refused.error?.message.hasPrefix("Grant 'recs-search' (feature/acme/recs/search, owner pm@acme.com) was revoked") == true,
                      refused.error?.message ?? "")
        XCTAssertTrue(refused.error?.message.contains("2026-03-31") == true, "names the renewal date: \(refused.error?.message ?? "")")
        try plugin.postCall(revoked, outcome: "rejected", status: 403)
        XCTAssertEqual(plugin.host.metricValue("tollgate_grant_rejections_total", labels: ["recs-search", "all"]), 1)
        XCTAssertEqual(state(plugin, "acme", "all")?.reserved, 0, "nothing reserved for a refused request")
        XCTAssertEqual(plugin.host.counters.openReservations, 0)

        // The day before its renewal date's end, the team grant admitted.
        plugin.host.counters.now = now - 1
        let before = call(plugin, [0, 1], id: "before")
        XCTAssertEqual(try plugin.preCall(before).verdict, .continue)
        try plugin.postCall(before, usage: (1, 1, 0))
    }

    func testGraceAdmitsProductionButNotExperimentation() throws {
        let now = Self.start
        let plugin = try load(grants: [FakeHost.grant(id: "recs", scope: "team/acme/recs", owner: "lead@acme.com",
                                                      renewsAt: now - 86_400, onExpiry: "grace", graceUntil: now + 86_400 * 7)])
        let prod = call(plugin, [0], keyClass: "production", id: "prod")
        XCTAssertEqual(try plugin.preCall(prod).verdict, .continue)
        try plugin.postCall(prod, usage: (1, 1, 0))
        XCTAssertEqual(state(plugin, "recs", "all")?.spent, 400 + 1600, "charged as usual in grace")
        let lab = call(plugin, [0], keyClass: "experimentation", id: "lab")
        let pre = try plugin.preCall(lab)
        XCTAssertEqual(pre.error?.status, 403)
        XCTAssertEqual(pre.error?.code, "grant_expired")
        XCTAssertTrue(pre.error?.message.contains("production traffic is admitted in grace until 2026-01-08T00:00:00Z") == true,
                      pre.error?.message ?? "")
        try plugin.postCall(lab, outcome: "rejected", status: 403)
        // After the grace, production is refused too.
        plugin.host.counters.now = now + 86_400 * 7
        let late = call(plugin, [0], keyClass: "production", id: "late")
        XCTAssertEqual(try plugin.preCall(late).error?.code, "grant_expired")
        try plugin.postCall(late, outcome: "rejected", status: 403)
    }

    // MARK: Tiers and alerts

    func testEachTierAlertsOncePerWindow() throws {
        let estimate = try estimate()
        let plugin = try load(grants: [FakeHost.grant(id: "recs", scope: "team/acme/recs", owner: "lead@acme.com",
                                                      amounts: [("production", 10 * estimate)], tiers: (50, 120, 150))])
        func kinds() -> [String] { plugin.host.alerts.map(\.kind).filter { $0.hasPrefix("grant_") } }
        let (admitted, _, _) = try spendUntilRefused(plugin, [0], cost: estimate)
        XCTAssertEqual(admitted, 15)
        // Refused many more times: still one refusal alert today.
        for i in 0..<20 {
            let c = call(plugin, [0], id: "more-\(i)")
            XCTAssertEqual(try plugin.preCall(c).verdict, .reject)
            try plugin.postCall(c, outcome: "rejected", status: 429)
        }
        XCTAssertEqual(kinds(), ["grant_warn", "grant_cap", "grant_amber", "grant_hard_stop", "grant_refused"])
        let alerts = plugin.host.alerts
        XCTAssertEqual(alerts.map(\.severity), [.warning, .warning, .critical, .critical, .warning])
        let cap = try XCTUnwrap(alerts.first { $0.kind == "grant_cap" })
        XCTAssertTrue(cap.message.hasPrefix("Grant 'recs' (team/acme/recs, owner lead@acme.com) production bucket reached 100%: "
            + "spent \(Money.format(nanos: 10 * estimate)) of \(Money.format(nanos: 10 * estimate)) (100%)"), cap.message)
        XCTAssertTrue(cap.message.contains("fails open"), cap.message)
        let details = try XCTUnwrap(cap.details)
        XCTAssertEqual(details["grant_id"]?.stringValue, "recs")
        XCTAssertEqual(details["owner"]?.stringValue, "lead@acme.com")
        XCTAssertEqual(details["scope"]?.stringValue, "team/acme/recs")
        XCTAssertEqual(details["bucket"]?.stringValue, "production")
        XCTAssertEqual(details["amount_nanos"]?.int64Value, 10 * estimate)
        XCTAssertEqual(details["spent_nanos"]?.int64Value, 10 * estimate)
        XCTAssertEqual(details["reserved_nanos"]?.int64Value, 0)
        XCTAssertEqual(details["percent"]?.int64Value, 100)
        XCTAssertEqual(alerts.first { $0.kind == "grant_hard_stop" }?.details?["percent"]?.int64Value, 150)
        let marker = try XCTUnwrap(plugin.host.counters.counter(named: "grant-alert:recs:production:warn:50"))
        XCTAssertTrue(marker.persist, "once per window survives a restart")
        XCTAssertEqual(marker.window, .day)

        // The next day is a new window: each tier once more.
        plugin.host.counters.now += 86_400
        _ = try spendUntilRefused(plugin, [0], cost: estimate)
        XCTAssertEqual(kinds(), ["grant_warn", "grant_cap", "grant_amber", "grant_hard_stop", "grant_refused"]
            + ["grant_warn", "grant_cap", "grant_amber", "grant_hard_stop", "grant_refused"])
    }

    func testTheCapIsCriticalWhenTrafficIsRefusedThere() throws {
        let estimate = try estimate()
        let lab = try load(grants: [FakeHost.grant(id: "lab", scope: "team/acme/recs", amounts: [("experimentation", 2 * estimate)])])
        _ = try spendUntilRefused(lab, [0], keyClass: "experimentation", cost: estimate)
        let labCap = try XCTUnwrap(lab.host.alerts.first { $0.kind == "grant_cap" })
        XCTAssertEqual(labCap.severity, .critical)
        XCTAssertTrue(labCap.message.contains("Experimentation traffic is now refused; paging owner@example.com"), labCap.message)
        XCTAssertFalse(lab.host.alerts.contains { $0.kind == "grant_amber" }, "amber is production's")

        let strict = try load(grants: [FakeHost.grant(id: "prod", scope: "team/acme/recs", amounts: [("production", 2 * estimate)],
                                                      productionAtCap: "refuse")])
        _ = try spendUntilRefused(strict, [0], cost: estimate)
        XCTAssertEqual(strict.host.alerts.first { $0.kind == "grant_cap" }?.severity, .critical)
        XCTAssertEqual(strict.host.alerts.filter { $0.kind.hasPrefix("grant_") }.map(\.kind), ["grant_warn", "grant_cap", "grant_refused"])
    }

    // MARK: New table versions

    func testANewTableVersionTakesEffectOnTheNextRequest() throws {
        let estimate = try estimate()
        let plugin = try load(grants: [FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("all", estimate)])])
        let first = call(plugin, [0], keyClass: "experimentation", id: "first")
        XCTAssertEqual(try plugin.preCall(first).verdict, .continue)
        first.costNanos = estimate
        try plugin.postCall(first, usage: (1, 1, 0))
        let refused = call(plugin, [0], keyClass: "experimentation", id: "refused")
        XCTAssertEqual(try plugin.preCall(refused).verdict, .reject)
        try plugin.postCall(refused, outcome: "rejected", status: 429)

        // The amount doubles, and a feature grant is minted under the team.
        plugin.host.setGrants([
            FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("all", 2 * estimate)]),
            FakeHost.grant(id: "recs-exp", scope: "experiment/acme/recs/ranker-v2", parent: "recs",
                           amounts: [("experimentation", estimate / 2)], source: "minted"),
        ])
        let again = call(plugin, [0], keyClass: "experimentation", id: "again")
        XCTAssertEqual(try plugin.preCall(again).verdict, .continue, "the new amount applies")
        XCTAssertEqual(plugin.host.counters.counter(named: "grant:recs:all")?.limit, 2 * estimate)
        XCTAssertEqual(state(plugin, "recs", "all")?.spent, estimate, "spent is kept")
        try plugin.postCall(again, outcome: "rejected", status: 429)
        let onMinted = call(plugin, [0, 1], keyClass: "experimentation", id: "minted")
        let pre = try plugin.preCall(onMinted)
        XCTAssertEqual(pre.error?.code, "grant_exceeded")
        XCTAssertEqual(onMinted.responseHeader("x-tollgate-grant"), "recs-exp")
        try plugin.postCall(onMinted, outcome: "rejected", status: 429)

        // Revoked in the next version: refused at once.
        plugin.host.setGrants([FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("all", 2 * estimate)], status: "revoked")])
        let gone = call(plugin, [0], id: "gone")
        XCTAssertEqual(try plugin.preCall(gone).error?.code, "grant_revoked")
        try plugin.postCall(gone, outcome: "rejected", status: 403)
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
    }

    func testARequestHeldOverATableChangeSettlesOnTheCountersItReserved() throws {
        let plugin = try load(grants: nested())
        let c = call(plugin, [0, 1, 2])
        XCTAssertEqual(try plugin.preCall(c).verdict, .continue)
        plugin.host.setGrants([FakeHost.grant(id: "acme", scope: "org/acme", amounts: [("all", 2 * Self.dollar)])])
        let next = call(plugin, [0], id: "next")
        XCTAssertEqual(try plugin.preCall(next).verdict, .continue)
        try plugin.postCall(c, usage: (10, 10, 0))
        try plugin.postCall(next, usage: (10, 10, 0))
        XCTAssertEqual(state(plugin, "acme", "all")?.spent, 2 * (10 * 400 + 10 * 1600))
        XCTAssertEqual(state(plugin, "recs-search", "all")?.spent, 10 * 400 + 10 * 1600)
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
    }
}
