import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The ratelimit plugin enforcing each grant's TPM/RPM quota (ABI 1.5):
/// counters `ratelimit-grant:<id>:tpm|rpm` on the sliding minute, reserved
/// with the config's limits, settled with real usage, a 429 naming the
/// grant; a new table version's quotas; and nothing of it without grants.
final class RateLimitGrantTests: RateLimitTestCase {
    /// acme (org) > recs (team) > recs-search (feature): indices 0, 1, 2.
    func setGrants(_ plugin: PluginUnderTest, acme: (tpm: Int64?, rpm: Int64?) = (nil, nil),
                   recs: (tpm: Int64?, rpm: Int64?) = (nil, nil), search: (tpm: Int64?, rpm: Int64?) = (nil, nil),
                   extra: [JSONValue] = []) {
        plugin.host.setGrants([
            FakeHost.grant(id: "acme", scope: "org/acme", owner: "cfo@x", tpm: acme.tpm, rpm: acme.rpm),
            FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme", owner: "head@x", tpm: recs.tpm, rpm: recs.rpm),
            FakeHost.grant(id: "recs-search", scope: "feature/acme/recs/search", parent: "recs", owner: "lead@x",
                           tpm: search.tpm, rpm: search.rpm),
        ] + extra)
    }

    func request(_ plugin: PluginUnderTest, path: [Int], maxTokens: Int64? = 50, id: String = "req") -> FakeCall {
        let call = request(plugin, key: "recs-prod", team: "recs", maxTokens: maxTokens, id: id)
        call.grantPath = path
        return call
    }

    /// How many of `count` requests on `path` (each settled at once with
    /// `usage`) get through.
    func passing(_ plugin: PluginUnderTest, _ count: Int, path: [Int], usage: (Int64, Int64, Int64) = (10, 16, 0)) throws -> Int {
        var passed = 0
        for i in 0..<count where try send(plugin, request(plugin, path: path, id: "g\(i)"), usage: usage) == .continue {
            passed += 1
        }
        return passed
    }

    func grantCounters(_ plugin: PluginUnderTest) -> [String] {
        plugin.host.counters.counters.map(\.name).filter { $0.hasPrefix("ratelimit-grant:") }.sorted()
    }

    func testTheTableAtCreateHasItsCountersDeclaredAtOnce() throws {
        let plugin = try PluginUnderTest(libraryPath: Self.libraryPath, config: .object(JSONObject())) { host in
            host.setGrants([FakeHost.grant(id: "acme", scope: "org/acme", tpm: 1_000_000, rpm: 600),
                            FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme", rpm: 100),
                            FakeHost.grant(id: "ads", scope: "team/acme/ads", parent: "acme")])
        }
        XCTAssertEqual(grantCounters(plugin), ["ratelimit-grant:acme:rpm", "ratelimit-grant:acme:tpm", "ratelimit-grant:recs:rpm"],
                       "they show in /admin/counters before the first request")
        XCTAssertEqual(plugin.host.counters.counter(named: "ratelimit-grant:acme:tpm")?.limit, 1_000_000)
        XCTAssertEqual(plugin.host.counters.counter(named: "ratelimit-grant:recs:rpm")?.limit, 100)
        XCTAssertEqual(plugin.host.counters.counter(named: "ratelimit-grant:recs:rpm")?.window, .minute)
    }

    // MARK: TPM

    func testAGrantsTPMQuotaRefusesTheRequestThatWouldExceedIt() throws {
        let plugin = try load("{}")
        setGrants(plugin, search: (tpm: 20_000, rpm: nil))
        at(plugin, t0)
        // Two requests settle 10,000 real tokens each: the quota is full.
        XCTAssertEqual(try passing(plugin, 2, path: [0, 1, 2], usage: (9_000, 1_000, 0)), 2)
        let tpm = try XCTUnwrap(plugin.host.counters.counter(named: "ratelimit-grant:recs-search:tpm"))
        XCTAssertEqual(tpm.limit, 20_000)
        XCTAssertEqual(tpm.window, .minute)
        XCTAssertFalse(tpm.persist, "minute windows are memory only")
        XCTAssertEqual(grantCounters(plugin), ["ratelimit-grant:recs-search:tpm"], "grants without a quota get no counter")
        XCTAssertEqual(state(plugin, "ratelimit-grant:recs-search:tpm")?.spent, 20_000, "settled with the real usage")
        XCTAssertEqual(state(plugin, "ratelimit-grant:recs-search:tpm")?.reserved, 0)

        at(plugin, t0 + 10)
        let call = request(plugin, path: [0, 1, 2], id: "over")
        let result = try plugin.preCall(call)
        XCTAssertEqual(result.verdict, .reject)
        let error = try XCTUnwrap(result.error)
        XCTAssertEqual(error.status, 429)
        XCTAssertEqual(error.code, "rate_limit_exceeded")
        XCTAssertTrue(error.message.hasPrefix("Rate limit reached: grant 'recs-search' (owner lead@x) allows 20000 tokens per "
            + "minute: used 20000, in flight 0; this request needs up to \(estimate(call)) tokens. Retry after "), error.message)
        XCTAssertEqual(call.responseHeader("x-tollgate-ratelimit"), "grant/recs-search:tpm")
        XCTAssertEqual(call.responseHeader("x-ratelimit-limit-tokens"), "20000")
        XCTAssertEqual(call.responseHeader("x-ratelimit-remaining-tokens"), "0")
        // The fake store does not compute retry_after_ms for a minute: the
        // plugin's bound by which everything spent now has left the window.
        XCTAssertEqual(call.responseHeader("retry-after"), "60")
        XCTAssertEqual(call.responseHeader("retry-after-ms"), "60000")
        XCTAssertEqual(plugin.host.metricValue("tollgate_ratelimit_rejections_total", labels: ["grant/recs-search", "tpm"]), 1)
        try plugin.postCall(call, outcome: "rejected", status: 429)

        // A request on the parent only is not bound by the child's quota.
        XCTAssertEqual(try passing(plugin, 1, path: [0, 1]), 1)
        at(plugin, t0 + 60)
        XCTAssertEqual(try passing(plugin, 1, path: [0, 1, 2]), 1, "the minute slid past t0")
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
    }

    func testGrantQuotasShareTheReservationWithConfigLimits() throws {
        let plugin = try load(#"{"limits": [{"scope": "team/acme/recs", "rpm": 100, "tpm": 100000}]}"#)
        setGrants(plugin, recs: (tpm: 50_000, rpm: 40))
        let call = request(plugin, path: [0, 1], maxTokens: 200)
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        for name in ["ratelimit:team/acme/recs:tpm", "ratelimit-grant:recs:tpm"] {
            XCTAssertEqual(state(plugin, name)?.reserved, estimate(call), "the same estimate on \(name)")
        }
        XCTAssertEqual(state(plugin, "ratelimit-grant:recs:rpm")?.reserved, 1)
        XCTAssertEqual(call.responseHeader("x-ratelimit-limit-requests"), "40", "the tightest of config and grant")
        XCTAssertEqual(call.responseHeader("x-ratelimit-limit-tokens"), "50000")
        try plugin.postCall(call, usage: (in: 30, out: 12, cached: 8))
        XCTAssertEqual(state(plugin, "ratelimit-grant:recs:tpm")?.spent, 50)
        XCTAssertEqual(state(plugin, "ratelimit:team/acme/recs:tpm")?.spent, 50)
        XCTAssertEqual(state(plugin, "ratelimit-grant:recs:rpm")?.spent, 1)
        XCTAssertEqual(plugin.host.counters.settledReservations.count, 1, "one reservation for all of them")

        // A refusal by the grant reserves nothing on the config's limits.
        let big = request(plugin, path: [0, 1], maxTokens: 60_000, id: "big")
        XCTAssertEqual(try plugin.preCall(big).verdict, .reject)
        XCTAssertEqual(state(plugin, "ratelimit:team/acme/recs:tpm")?.reserved, 0)
        XCTAssertEqual(state(plugin, "ratelimit:team/acme/recs:rpm")?.reserved, 0)
        try plugin.postCall(big, outcome: "rejected", status: 429)
    }

    // MARK: RPM

    func testAGrantsRPMQuotaRefusesTheRequestThatWouldExceedIt() throws {
        let plugin = try load("{}")
        setGrants(plugin, recs: (tpm: nil, rpm: 3))
        at(plugin, t0)
        XCTAssertEqual(try passing(plugin, 5, path: [0, 1]), 3)
        at(plugin, t0 + 20)
        let call = request(plugin, path: [0, 1])
        let error = try XCTUnwrap(try plugin.preCall(call).error)
        XCTAssertEqual(error.status, 429)
        XCTAssertTrue(error.message.hasPrefix("Rate limit reached: grant 'recs' (owner head@x) allows 3 requests per minute: "
            + "used 3, in flight 0. Retry after "), error.message)
        XCTAssertEqual(call.responseHeader("x-tollgate-ratelimit"), "grant/recs:rpm")
        XCTAssertEqual(call.responseHeader("x-ratelimit-limit-requests"), "3")
        XCTAssertEqual(call.responseHeader("x-ratelimit-remaining-requests"), "0")
        XCTAssertEqual(call.responseHeader("retry-after"), "60")
        try plugin.postCall(call, outcome: "rejected", status: 429)
        XCTAssertEqual(grantCounters(plugin), ["ratelimit-grant:recs:rpm"])
        at(plugin, t0 + 60)
        XCTAssertEqual(try passing(plugin, 5, path: [0, 1]), 3)
    }

    // MARK: several grants on the path

    func testARequestOnTwoGrantsIsBoundByTheTighter() throws {
        let plugin = try load("{}")
        setGrants(plugin, acme: (tpm: nil, rpm: 5), recs: (tpm: nil, rpm: 2))
        at(plugin, t0)
        XCTAssertEqual(try passing(plugin, 4, path: [0, 1]), 2, "recs (2) is tighter than acme (5)")
        let call = request(plugin, path: [0, 1])
        XCTAssertTrue(try plugin.preCall(call).error?.message.contains("grant 'recs'") == true)
        try plugin.postCall(call, outcome: "rejected", status: 429)
        // acme counted recs's requests: 3 of its 5 remain for the rest of acme.
        XCTAssertEqual(state(plugin, "ratelimit-grant:acme:rpm")?.spent, 2)
        XCTAssertEqual(try passing(plugin, 5, path: [0]), 3)
        // Now acme is the tighter, even for recs.
        let blocked = request(plugin, path: [0, 1])
        XCTAssertTrue(try plugin.preCall(blocked).error?.message.contains("grant 'acme' (owner cfo@x) allows 5 requests") == true)
        try plugin.postCall(blocked, outcome: "rejected", status: 429)

        // The same with tokens, the parent tighter.
        let tokens = try load("{}")
        let perRequest = estimate(request(tokens, path: [0, 1]))
        setGrants(tokens, acme: (tpm: perRequest * 2, rpm: nil), recs: (tpm: perRequest * 10, rpm: nil))
        let first = request(tokens, path: [0, 1], id: "t1"), second = request(tokens, path: [0, 1], id: "t2")
        let third = request(tokens, path: [0, 1], id: "t3")
        XCTAssertEqual(try tokens.preCall(first).verdict, .continue)
        XCTAssertEqual(try tokens.preCall(second).verdict, .continue)
        let refused = try tokens.preCall(third)
        XCTAssertTrue(refused.error?.message.hasPrefix("Rate limit reached: grant 'acme' (owner cfo@x) allows \(perRequest * 2) tokens") == true,
                      refused.error?.message ?? "")
        XCTAssertEqual(third.responseHeader("retry-after"), "1", "in-flight reservations block")
        try tokens.postCall(first)
        try tokens.postCall(second)
        try tokens.postCall(third, outcome: "rejected", status: 429)
        XCTAssertEqual(tokens.host.counters.openReservations, 0)
    }

    // MARK: new table versions

    func testANewTableVersionWithAChangedQuotaTakesEffect() throws {
        let plugin = try load("{}")
        setGrants(plugin, recs: (tpm: nil, rpm: 2))
        at(plugin, t0)
        XCTAssertEqual(try passing(plugin, 3, path: [0, 1]), 2)
        XCTAssertEqual(plugin.host.counters.counter(named: "ratelimit-grant:recs:rpm")?.limit, 2)

        // The committee raises recs's quota and mints a grant with one.
        setGrants(plugin, recs: (tpm: nil, rpm: 4),
                  extra: [FakeHost.grant(id: "ads", scope: "team/acme/ads", parent: "acme", owner: "ads@x", tpm: 9000)])
        XCTAssertEqual(try passing(plugin, 3, path: [0, 1]), 2, "two more in the same minute: the counter keeps what it holds")
        XCTAssertEqual(plugin.host.counters.counter(named: "ratelimit-grant:recs:rpm")?.limit, 4)
        XCTAssertEqual(state(plugin, "ratelimit-grant:recs:rpm")?.spent, 4)
        let ads = try XCTUnwrap(plugin.host.counters.counter(named: "ratelimit-grant:ads:tpm"),
                                "a grant of the new version is declared as soon as the plugin sees the version")
        XCTAssertEqual(ads.limit, 9000)

        // Lowered: the next request sees it.
        setGrants(plugin, recs: (tpm: nil, rpm: 1))
        at(plugin, t0 + 60)
        XCTAssertEqual(try passing(plugin, 3, path: [0, 1]), 1)
        XCTAssertEqual(plugin.host.counters.counter(named: "ratelimit-grant:recs:rpm")?.limit, 1)
    }

    // MARK: no grants

    func testNoGrantsOnThePathLeavesTheConfigLimitsAlone() throws {
        let plugin = try load(#"{"limits": [{"scope": "key/payments-prod", "rpm": 5}]}"#)
        setGrants(plugin, acme: (tpm: 10, rpm: 1))
        at(plugin, t0)
        XCTAssertEqual(try passing(plugin, 8), 5, "calls on no grant: only the config's limit")
        let call = request(plugin)
        let error = try XCTUnwrap(try plugin.preCall(call).error)
        XCTAssertTrue(error.message.hasPrefix("Rate limit reached for key payments-prod on requests per minute (RPM)"),
                      error.message)
        try plugin.postCall(call, outcome: "rejected", status: 429)
        XCTAssertEqual(state(plugin, "ratelimit-grant:acme:rpm")?.spent, 0)
    }

    func testAHostWithoutGrantsBehavesAsBefore() throws {
        let plugin = try PluginUnderTest(libraryPath: Self.libraryPath,
                                         config: JSONValue.parse(#"{"limits": [{"scope": "key/recs-prod", "rpm": 3}]}"#),
                                         hostMinor: 4)
        setGrants(plugin, recs: (tpm: 10, rpm: 1))  // a 1.4 host cannot hand them out
        at(plugin, t0)
        XCTAssertEqual(try passing(plugin, 5, path: [0, 1]), 3)
        XCTAssertEqual(grantCounters(plugin), [])
        let call = request(plugin, path: [0, 1])
        XCTAssertEqual(try plugin.preCall(call).error?.message.hasPrefix("Rate limit reached for key recs-prod"), true)
        try plugin.postCall(call, outcome: "rejected", status: 429)
    }
}
