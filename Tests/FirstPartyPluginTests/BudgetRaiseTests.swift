import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// Raises (approved exceptions and burst draws) on grants: the core lists
/// them in the grant table's `raises`; the budget plugin adds them to a
/// bucket's amount while the request's time is in their window, attributes
/// the requests only a raise admitted (the `exception_ids` attribute and
/// the raise's spent counter), names them in the 429, and shows them on
/// GET /admin/allocation. The clock is the fake counters' (`now`), which is
/// also each request's received time here: moving it moves both.
final class BudgetRaiseTests: XCTestCase {
    static let dollar: Int64 = 1_000_000_000
    /// 2026-01-01T00:00:00Z, the fake counters' clock at start.
    static let start: Int64 = 1_767_225_600
    static let hour: Int64 = 3_600

    func load(grants: [JSONValue]) throws -> PluginUnderTest {
        try PluginUnderTest(libraryPath: BudgetPluginTests.libraryPath, config: JSONValue.parse(#"{"default_output_tokens": 100}"#)) {
            $0.setGrants(grants)
        }
    }

    /// A request received at the fake counters' clock, on `path`.
    func call(_ plugin: PluginUnderTest, _ path: [Int], keyClass: String = "experimentation", id: String) -> FakeCall {
        let call = FakeCall(maxOutputTokens: 10, identity: .init(keyID: "k-\(keyClass)", team: "recs", keyClass: keyClass),
                            requestID: id, receivedAtMicros: plugin.host.counters.now * 1_000_000)
        call.grantPath = path
        return call
    }

    func state(_ plugin: PluginUnderTest, _ name: String) -> CounterState? { plugin.host.counters.state(named: name) }

    /// What the plugin reserves for one request (made and released on a
    /// throwaway plugin with a large grant).
    func estimate() throws -> Int64 {
        let plugin = try load(grants: [FakeHost.grant(id: "probe", scope: "org/acme", amounts: [("all", Self.dollar)])])
        let probe = call(plugin, [0], id: "probe")
        XCTAssertEqual(try plugin.preCall(probe).verdict, .continue)
        let held = try XCTUnwrap(state(plugin, "grant:probe:all")?.reserved)
        try plugin.postCall(probe, outcome: "rejected", status: 429)
        XCTAssertGreaterThan(held, 0)
        return held
    }

    /// One request: admitted (settled at `cost`) or refused. Returns the
    /// call and its refusal, if any.
    @discardableResult
    func run(_ plugin: PluginUnderTest, _ path: [Int], keyClass: String = "experimentation", id: String,
             cost: Int64) throws -> (call: FakeCall, refusal: FakeCall.ErrorDetails?) {
        let c = call(plugin, path, keyClass: keyClass, id: id)
        let pre = try plugin.preCall(c)
        guard pre.verdict == .continue else {
            try plugin.postCall(c, outcome: "rejected", status: Int64(pre.error?.status ?? 0))
            return (c, pre.error)
        }
        c.costNanos = cost
        try plugin.postCall(c, usage: (1, 1, 0))
        return (c, nil)
    }

    // MARK: The window

    func testARaiseAdmitsWhatWasRefusedOnlyInsideItsWindow() throws {
        let e = try estimate()
        let startsAt = Self.start + Self.hour, endsAt = Self.start + 2 * Self.hour
        let plugin = try load(grants: [
            FakeHost.grant(id: "recs", scope: "team/acme/recs", owner: "lead@acme.com", amounts: [("experimentation", 2 * e)],
                           raises: [FakeHost.raise(id: "exc-0001", bucket: "experimentation", amountNanos: 2 * e,
                                                   startsAt: startsAt, endsAt: endsAt)]),
        ])
        let spentCounter = try XCTUnwrap(plugin.host.counters.counter(named: "exception-spent:exc-0001"),
                                         "declared with the table that lists the raise")
        XCTAssertEqual(spentCounter.limit, Int64.max)
        XCTAssertEqual(spentCounter.window, CounterWindow.none)
        XCTAssertTrue(spentCounter.persist)

        // Before the window: the amount alone, 2 requests.
        for i in 0..<2 {
            let (c, refusal) = try run(plugin, [0], id: "before-\(i)", cost: e)
            XCTAssertNil(refusal, "before-\(i)")
            XCTAssertNil(c.attribute("exception_ids"), "fits without the raise")
        }
        let (_, early) = try run(plugin, [0], id: "early", cost: e)
        XCTAssertEqual(early?.code, "grant_exceeded", "the raise has not started")
        XCTAssertFalse(early?.message.contains("exc-0001") ?? true, early?.message ?? "")
        plugin.host.counters.now = startsAt - 1
        XCTAssertEqual(try run(plugin, [0], id: "a-second-early", cost: e).refusal?.code, "grant_exceeded")

        // From starts_at (inclusive): 2 more, each attributed to the raise.
        plugin.host.counters.now = startsAt
        var attributedCosts: Int64 = 0
        for i in 0..<2 {
            let cost = e - Int64(7 + i)
            let (c, refusal) = try run(plugin, [0], id: "raised-\(i)", cost: cost)
            XCTAssertNil(refusal, "raised-\(i): \(refusal?.message ?? "")")
            XCTAssertEqual(c.attribute("exception_ids"), "exc-0001")
            attributedCosts += cost
        }
        XCTAssertEqual(state(plugin, "exception-spent:exc-0001")?.spent, attributedCosts, "exactly the settled costs")
        // Full again, the raise included: the 429 says what the limit is made of.
        let (_, full) = try run(plugin, [0], id: "full", cost: e)
        let message = try XCTUnwrap(full?.message)
        XCTAssertTrue(message.contains("experimentation limit \(Money.format(nanos: 4 * e)) (its \(Money.format(nanos: 2 * e)) amount + "
            + "\(Money.format(nanos: 2 * e)) raised; limit includes +\(Money.format(nanos: 2 * e)) from exc-0001 until "
            + "2026-01-01T02:00:00Z), spent "), message)

        // The last second of the window the raise is still in the limit; at
        // ends_at it has lapsed (nothing changed in the document): the
        // amount alone again.
        plugin.host.counters.now = endsAt - 1
        XCTAssertTrue(try run(plugin, [0], id: "last-second", cost: e).refusal?.message.contains("from exc-0001") == true)
        plugin.host.counters.now = endsAt
        let (after, lapsed) = try run(plugin, [0], id: "after", cost: e)
        XCTAssertEqual(lapsed?.code, "grant_exceeded")
        XCTAssertFalse(lapsed?.message.contains("exc-0001") ?? true, "a lapsed raise is not in the limit: \(lapsed?.message ?? "")")
        XCTAssertTrue(lapsed?.message.contains("experimentation limit \(Money.format(nanos: 2 * e)) (its amount)") == true,
                      lapsed?.message ?? "")
        XCTAssertNil(after.attribute("exception_ids"))
        XCTAssertEqual(state(plugin, "exception-spent:exc-0001")?.spent, attributedCosts, "refusals add nothing")
        XCTAssertEqual(state(plugin, "grant:recs:experimentation")?.spent, 2 * e + attributedCosts)
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
    }

    func testProductionFailsOpenToTheHardTierOfTheEffectiveAmount() throws {
        let e = try estimate()
        let plugin = try load(grants: [
            FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("production", 10 * e)], tiers: (80, 110, 150),
                           raises: [FakeHost.raise(id: "burst-0002", kind: "burst", bucket: "production", amountNanos: 10 * e,
                                                   startsAt: Self.start, endsAt: Self.start + 86_400 * 3)]),
        ])
        var admitted = 0, attributed = 0
        var refusal: FakeCall.ErrorDetails?
        for i in 0..<100 {
            let (c, refused) = try run(plugin, [0], keyClass: "production", id: "p-\(i)", cost: e)
            if let refused { refusal = refused; break }
            admitted += 1
            if c.attribute("exception_ids") == "burst-0002" { attributed += 1 } else { XCTAssertNil(c.attribute("exception_ids")) }
        }
        XCTAssertEqual(admitted, 30, "150% of 10e + 10e raised")
        XCTAssertEqual(attributed, 15, "the ones past 150% of the amount alone")
        XCTAssertEqual(state(plugin, "exception-spent:burst-0002")?.spent, 15 * e)
        let message = try XCTUnwrap(refusal?.message)
        XCTAssertTrue(message.contains("production limit \(Money.format(nanos: 30 * e)) (hard tier: 150% of \(Money.format(nanos: 20 * e)), "
            + "its \(Money.format(nanos: 10 * e)) amount + \(Money.format(nanos: 10 * e)) raised; limit includes "
            + "+\(Money.format(nanos: 10 * e)) from burst-0002 until 2026-01-04T00:00:00Z)"), message)
    }

    func testALapsedOrFutureRaiseListedInTheDocumentDoesNothing() throws {
        let e = try estimate()
        let plugin = try load(grants: [
            FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("experimentation", 2 * e)], raises: [
                FakeHost.raise(id: "exc-old", bucket: "experimentation", amountNanos: 100 * e, startsAt: Self.start - 86_400,
                               endsAt: Self.start),
                FakeHost.raise(id: "exc-later", bucket: "experimentation", amountNanos: 100 * e, startsAt: Self.start + 1,
                               endsAt: Self.start + 86_400),
                // Another bucket's raise does not lift this one.
                FakeHost.raise(id: "exc-prod", bucket: "production", amountNanos: 100 * e, startsAt: Self.start - 1,
                               endsAt: Self.start + 86_400),
            ]),
        ])
        XCTAssertNil(try run(plugin, [0], id: "one", cost: e).refusal)
        XCTAssertNil(try run(plugin, [0], id: "two", cost: e).refusal)
        let (c, refusal) = try run(plugin, [0], id: "three", cost: e)
        XCTAssertEqual(refusal?.code, "grant_exceeded")
        XCTAssertFalse(refusal?.message.contains("limit includes") ?? true, refusal?.message ?? "")
        XCTAssertNil(c.attribute("exception_ids"))
        for id in ["exc-old", "exc-later", "exc-prod"] {
            XCTAssertEqual(state(plugin, "exception-spent:\(id)")?.spent, 0, id)
        }
    }

    // MARK: Attribution

    func testOnlyTheRaisesOfGrantsThatRefusedWithoutThemAreAttributed() throws {
        let e = try estimate()
        let window = (startsAt: Self.start - Self.hour, endsAt: Self.start + Self.hour)
        func raise(_ id: String, _ bucket: String = "all") -> JSONValue {
            FakeHost.raise(id: id, bucket: bucket, amountNanos: 2 * e, startsAt: window.startsAt, endsAt: window.endsAt)
        }
        // The org has room and a raise it does not need; the team is tight
        // and raised: only the team's raise admitted the third request.
        let roomy = try load(grants: [
            FakeHost.grant(id: "acme", scope: "org/acme", amounts: [("all", 100 * e)], raises: [raise("exc-acme")]),
            FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme", amounts: [("all", 2 * e)], raises: [raise("exc-recs")]),
        ])
        for i in 0..<2 { XCTAssertNil(try run(roomy, [0, 1], id: "base-\(i)", cost: e).call.attribute("exception_ids")) }
        XCTAssertEqual(try run(roomy, [0, 1], id: "third", cost: e).call.attribute("exception_ids"), "exc-recs")
        XCTAssertEqual(state(roomy, "exception-spent:exc-recs")?.spent, e)
        XCTAssertEqual(state(roomy, "exception-spent:exc-acme")?.spent, 0, "the org fit without its raise")

        // Both tight, both raised: attributed to both, root first.
        let both = try load(grants: [
            FakeHost.grant(id: "acme", scope: "org/acme", amounts: [("all", 2 * e)], raises: [raise("exc-acme")]),
            FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme", amounts: [("all", 2 * e)],
                           raises: [raise("exc-recs"), raise("burst-recs")]),
        ])
        for i in 0..<2 { XCTAssertNil(try run(both, [0, 1], id: "base-\(i)", cost: e).call.attribute("exception_ids")) }
        XCTAssertEqual(try run(both, [0, 1], id: "third", cost: e - 3).call.attribute("exception_ids"), "exc-acme,exc-recs,burst-recs")
        for id in ["exc-acme", "exc-recs", "burst-recs"] {
            XCTAssertEqual(state(both, "exception-spent:\(id)")?.spent, e - 3, id)
        }

        // The team is tight without a raise: the org's raise cannot help;
        // refused on the team, nothing held, nothing attributed.
        let unraised = try load(grants: [
            FakeHost.grant(id: "acme", scope: "org/acme", amounts: [("all", 2 * e)], raises: [raise("exc-acme")]),
            FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme", amounts: [("all", 2 * e)]),
        ])
        for i in 0..<2 { XCTAssertNil(try run(unraised, [0, 1], id: "base-\(i)", cost: e).refusal) }
        let (refused, refusal) = try run(unraised, [0, 1], id: "third", cost: e)
        XCTAssertEqual(refusal?.code, "grant_exceeded")
        XCTAssertEqual(refused.responseHeader("x-tollgate-grant"), "recs")
        XCTAssertFalse(refusal?.message.contains("limit includes") ?? true, "no raise on the refusing grant: \(refusal?.message ?? "")")
        XCTAssertNil(refused.attribute("exception_ids"))
        XCTAssertEqual(state(unraised, "exception-spent:exc-acme")?.spent, 0)
        XCTAssertEqual(state(unraised, "grant:acme:all")?.reserved, 0)
        XCTAssertEqual(unraised.host.counters.openReservations, 0)
    }

    func testARequestAdmittedUnderARaiseButNotServedAddsNothing() throws {
        let e = try estimate()
        let plugin = try load(grants: [
            FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("all", e)],
                           raises: [FakeHost.raise(id: "exc-0009", amountNanos: e, startsAt: Self.start, endsAt: Self.start + 60)]),
        ])
        XCTAssertNil(try run(plugin, [0], id: "base", cost: e).refusal)
        let failed = call(plugin, [0], id: "failed")
        XCTAssertEqual(try plugin.preCall(failed).verdict, .continue)
        XCTAssertEqual(failed.attribute("exception_ids"), "exc-0009", "admitted under the raise")
        try plugin.postCall(failed, outcome: "upstream_error", status: 502)
        XCTAssertEqual(state(plugin, "exception-spent:exc-0009")?.spent, 0, "released, not spent")
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
    }

    // MARK: Tiers

    func testTiersAlertAgainstTheEffectiveAmount() throws {
        let e = try estimate()
        let plugin = try load(grants: [
            FakeHost.grant(id: "lab", scope: "team/acme/recs", amounts: [("experimentation", 2 * e)], tiers: (101, 110, 150),
                           raises: [FakeHost.raise(id: "exc-0003", bucket: "experimentation", amountNanos: 2 * e,
                                                   startsAt: Self.start, endsAt: Self.start + 86_400)]),
        ])
        let caps = { plugin.host.alerts.filter { $0.kind == "grant_cap" } }
        for i in 0..<3 { XCTAssertNil(try run(plugin, [0], id: "r-\(i)", cost: e).refusal) }
        XCTAssertEqual(caps().count, 0, "150% of the amount, 75% of amount + raise: the cap is not reached")
        XCTAssertNil(try run(plugin, [0], id: "r-3", cost: e).refusal)
        let cap = try XCTUnwrap(caps().first)
        XCTAssertEqual(cap.details?["amount_nanos"]?.int64Value, 4 * e)
        XCTAssertEqual(cap.details?["raised_nanos"]?.int64Value, 2 * e)
        XCTAssertEqual(cap.details?["percent"]?.int64Value, 100)
    }

    // MARK: GET /admin/allocation

    func testTheAllocationRouteShowsRaisedAndEffectiveFigures() throws {
        // The route's clock is the wall clock: windows around any now.
        let plugin = try load(grants: [
            FakeHost.grant(id: "recs", scope: "team/acme/recs", amounts: [("production", Self.dollar), ("experimentation", Self.dollar / 2)],
                           raises: [
                               FakeHost.raise(id: "exc-1", bucket: "production", amountNanos: Self.dollar / 2,
                                              startsAt: 1_000_000_000, endsAt: 4_000_000_000),
                               FakeHost.raise(id: "burst-2", kind: "burst", bucket: "production", amountNanos: Self.dollar / 4,
                                              startsAt: 1_000_000_000, endsAt: 4_000_000_000),
                               FakeHost.raise(id: "exc-lapsed", bucket: "production", amountNanos: 5 * Self.dollar,
                                              startsAt: 1_000_000_000, endsAt: 1_500_000_000),
                               FakeHost.raise(id: "exc-future", bucket: "production", amountNanos: 5 * Self.dollar,
                                              startsAt: 4_000_000_000, endsAt: 4_100_000_000),
                           ]),
        ])
        // $1.20 spent of $1 + $0.75 raised.
        let spend = Self.dollar * 12 / 10
        XCTAssertNil(try run(plugin, [0], keyClass: "production", id: "spend", cost: spend).refusal)
        let json = try XCTUnwrap(plugin.route("GET", "/admin/allocation").json)
        let buckets = try XCTUnwrap(json["grants"]?[0]?["buckets"]?.arrayValue)
        let production = buckets[0]
        XCTAssertEqual(production["amount_nanos"]?.int64Value, Self.dollar, "the amount is the grant's own")
        XCTAssertEqual(production["raised_nanos"]?.int64Value, Self.dollar * 3 / 4)
        XCTAssertEqual(production["raised"]?.stringValue, "$0.75")
        XCTAssertEqual(production["effective_nanos"]?.int64Value, Self.dollar * 7 / 4)
        XCTAssertEqual(production["effective"]?.stringValue, "$1.75")
        XCTAssertEqual(production["remaining_nanos"]?.int64Value, Self.dollar * 7 / 4 - spend)
        XCTAssertEqual(production["used_percent"]?.int64Value, 68, "120/175, rounded down")
        XCTAssertEqual(production["tier"]?.stringValue, "ok", "below warn (80%) of the effective amount")
        let raises = try XCTUnwrap(production["raises"]?.arrayValue)
        XCTAssertEqual(raises.map { $0["id"]?.stringValue }, ["exc-1", "burst-2"], "the active ones only")
        XCTAssertEqual(raises[1]["kind"]?.stringValue, "burst")
        XCTAssertEqual(raises[0]["amount_nanos"]?.int64Value, Self.dollar / 2)
        XCTAssertEqual(raises[0]["amount"]?.stringValue, "$0.50")
        XCTAssertEqual(raises[0]["ends"]?.stringValue, "2096-10-02T07:06:40Z")
        XCTAssertEqual(raises[0]["starts"]?.stringValue, "2001-09-09T01:46:40Z")

        let experimentation = buckets[1]
        XCTAssertEqual(experimentation["raised_nanos"]?.int64Value, 0)
        XCTAssertEqual(experimentation["effective_nanos"]?.int64Value, Self.dollar / 2)
        XCTAssertEqual(experimentation["raises"]?.arrayValue?.count, 0)
    }

    // MARK: The kit

    func testTheKitDecodesRaisesAndSumsTheActiveOnesSaturating() throws {
        func table(_ raises: [JSONValue]) throws -> GrantTable {
            let document = JSONValue.object(JSONObject([
                ("version", .int(3)),
                ("grants", .array([FakeHost.grant(id: "recs", scope: "team/acme/recs", raises: raises)])),
            ]))
            return try XCTUnwrap(GrantTable(json: Array(document.jsonString.utf8)))
        }
        let grant = try table([
            FakeHost.raise(id: "a", amountNanos: Int64.max - 5, startsAt: 100, endsAt: 200),
            FakeHost.raise(id: "b", kind: "burst", amountNanos: 10, startsAt: 150, endsAt: 300),
            FakeHost.raise(id: "c", bucket: "production", amountNanos: 1, startsAt: 0, endsAt: 1_000),
            .object(JSONObject([("id", .string("broken"))])),
        ]).grants[0]
        XCTAssertEqual(grant.raises.map(\.id), ["a", "b", "c"], "one the plugin cannot read is left out")
        XCTAssertEqual(grant.raises[1], Grant.Raise(id: "b", kind: "burst", bucket: "all", amountNanos: 10, startsAt: 150, endsAt: 300,
                                                    counter: "exception-spent:b"))
        XCTAssertEqual(grant.raise(forBucket: "all", at: 99).total, 0)
        XCTAssertEqual(grant.raise(forBucket: "all", at: 100).active.map(\.id), ["a"], "starts_at is inside")
        XCTAssertEqual(grant.raise(forBucket: "all", at: 150).total, Int64.max, "saturates")
        XCTAssertEqual(grant.raise(forBucket: "all", at: 150).active.map(\.id), ["a", "b"])
        XCTAssertEqual(grant.raise(forBucket: "all", at: 200).total, 10, "ends_at is outside")
        XCTAssertEqual(grant.raise(forBucket: "production", at: 200).total, 1)
        XCTAssertEqual(grant.raise(forBucket: "all", at: 300).active.count, 0)
        // A core older than raises lists none.
        let old = try XCTUnwrap(GrantTable(json: Array(#"{"version":1,"grants":[{"id":"g","scope":"org/acme","window":1}]}"#.utf8)))
        XCTAssertEqual(old.grants[0].raises, [])
    }
}
