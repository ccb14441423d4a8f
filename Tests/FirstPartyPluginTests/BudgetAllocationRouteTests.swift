import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// GET /admin/allocation (ABI 1.5, reader role): every grant the caller
/// may see with its buckets' figures, which are the counters' own.
final class BudgetAllocationRouteTests: XCTestCase {
    static let dollar: Int64 = 1_000_000_000

    func load(_ config: String = "{}", grants: [JSONValue], capacity: JSONValue? = nil) throws -> PluginUnderTest {
        try PluginUnderTest(libraryPath: BudgetPluginTests.libraryPath, config: JSONValue.parse(config)) { host in
            host.setGrants(grants, capacity: capacity)
        }
    }

    let capacity = JSONValue.object(JSONObject([
        ("pools", .array([])), ("allocated_monthly_nanos", .int(3 * dollar)), ("purchased_monthly_nanos", .int(10 * dollar)),
        ("money_percent", .int(30)),
    ]))

    /// acme > recs > recs-search, a key grant in recs, acme's payments team
    /// (revoked), an expired org grant elsewhere, one in grace.
    var grants: [JSONValue] {
        [FakeHost.grant(id: "acme", scope: "org/acme", owner: "cfo@acme.com", amounts: [("all", 3 * Self.dollar)], period: "monthly"),
         FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme", owner: "lead@acme.com",
                        amounts: [("production", Self.dollar), ("experimentation", Self.dollar / 2)], tpm: 200_000),
         FakeHost.grant(id: "recs-search", scope: "feature/acme/recs/search", parent: "recs", amounts: [("all", Self.dollar / 4)],
                        period: "total"),
         FakeHost.grant(id: "recs-bot", scope: "key/recs-bot", parent: "recs", org: "acme", team: "recs",
                        amounts: [("production", Self.dollar / 10)], source: "minted"),
         FakeHost.grant(id: "payments", scope: "team/acme/payments", parent: "acme", status: "revoked"),
         FakeHost.grant(id: "globex", scope: "org/globex", renewsAt: 1_000_000_000),
         FakeHost.grant(id: "initech", scope: "org/initech", renewsAt: 1_000_000_000, onExpiry: "grace", graceUntil: 4_000_000_000)]
    }

    func call(_ path: [Int], keyClass: String = "production", id: String) -> FakeCall {
        let call = FakeCall(maxOutputTokens: 10, identity: .init(keyID: "k", team: "recs", keyClass: keyClass), requestID: id)
        call.grantPath = path
        return call
    }

    func ids(_ result: RouteResult) -> [String] {
        (result.json?["grants"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    }

    func testEveryGrantWithItsCountersFigures() throws {
        let plugin = try load(grants: grants, capacity: capacity)
        XCTAssertTrue(plugin.host.declaredRoutes.contains(FakeHost.DeclaredRoute(method: "GET", path: "/admin/allocation", role: .reader)))
        let settled = call([0, 1, 2], id: "settled")
        XCTAssertEqual(try plugin.preCall(settled).verdict, .continue)
        try plugin.postCall(settled, usage: (in: 100, out: 50, cached: 0))
        let held = call([0, 1], keyClass: "experimentation", id: "held")
        XCTAssertEqual(try plugin.preCall(held).verdict, .continue)

        let result = try plugin.route("GET", "/admin/allocation")
        XCTAssertEqual(result.httpStatus, 200)
        XCTAssertEqual(result.response?.contentType, "application/json")
        let json = try XCTUnwrap(result.json)
        XCTAssertEqual(json["version"]?.int64Value, Int64(plugin.host.grantsVersion))
        XCTAssertEqual(json["capacity"], capacity, "as the host gave it")
        let asOf = try XCTUnwrap(json["as_of"]?.stringValue)
        XCTAssertTrue(asOf.hasSuffix("Z") && asOf.count == 20, asOf)
        let items = try XCTUnwrap(json["grants"]?.arrayValue)
        XCTAssertEqual(ids(result), ["acme", "recs", "recs-search", "recs-bot", "payments", "globex", "initech"], "table order")
        func entry(_ id: String) throws -> JSONValue { try XCTUnwrap(items.first { $0["id"]?.stringValue == id }) }
        XCTAssertEqual(try entry("acme")["depth"]?.int64Value, 0)
        XCTAssertEqual(try entry("recs")["depth"]?.int64Value, 1)
        XCTAssertEqual(try entry("recs-search")["depth"]?.int64Value, 2)
        XCTAssertEqual(try entry("recs")["parent"]?.stringValue, "acme")
        XCTAssertEqual(try entry("acme")["parent"], .null)
        XCTAssertEqual(try entry("recs")["owner"]?.stringValue, "lead@acme.com")
        XCTAssertEqual(try entry("recs")["tpm"]?.int64Value, 200_000)
        XCTAssertEqual(try entry("recs")["level"]?.stringValue, "team")
        XCTAssertEqual(try entry("recs")["class"]?.stringValue, "both")
        XCTAssertEqual(try entry("recs")["period"]?.stringValue, "daily")
        XCTAssertEqual(try entry("recs-bot")["source"]?.stringValue, "minted")
        XCTAssertEqual(try entry("globex")["renews"]?.stringValue, "2001-09-09")
        XCTAssertEqual(try entry("acme")["status"]?.stringValue, "active")
        XCTAssertEqual(try entry("payments")["status"]?.stringValue, "revoked")
        XCTAssertEqual(try entry("globex")["status"]?.stringValue, "expired")
        XCTAssertEqual(try entry("initech")["status"]?.stringValue, "grace")

        // Every bucket's figures are its counter's.
        var checked = 0
        for item in items {
            let id = try XCTUnwrap(item["id"]?.stringValue)
            for bucket in try XCTUnwrap(item["buckets"]?.arrayValue) {
                let name = try XCTUnwrap(bucket["name"]?.stringValue)
                let counter = try XCTUnwrap(plugin.host.counters.state(named: "grant:\(id):\(name)"), "\(id) \(name)")
                let amount = try XCTUnwrap(bucket["amount_nanos"]?.int64Value)
                XCTAssertEqual(amount, counter.limit, "\(id) \(name)")
                XCTAssertEqual(bucket["spent_nanos"]?.int64Value, counter.spent, "\(id) \(name)")
                XCTAssertEqual(bucket["reserved_nanos"]?.int64Value, counter.reserved, "\(id) \(name)")
                XCTAssertEqual(bucket["remaining_nanos"]?.int64Value, max(0, amount - counter.spent - counter.reserved))
                XCTAssertEqual(bucket["amount"]?.stringValue, Money.format(nanos: amount))
                XCTAssertEqual(bucket["spent"]?.stringValue, Money.format(nanos: counter.spent))
                XCTAssertEqual(bucket["in_flight"]?.stringValue, Money.format(nanos: counter.reserved))
                XCTAssertEqual(bucket["used_percent"]?.int64Value, counter.spent * 100 / amount)
                if id == "recs-search" {
                    XCTAssertEqual(bucket["window_start"], .null, "a total grant does not reset")
                    XCTAssertEqual(bucket["resets_at"], .null)
                } else {
                    XCTAssertEqual(bucket["window_start"]?.stringValue, UTCCalendar.iso8601(counter.windowStart))
                    XCTAssertEqual(bucket["resets_at"]?.stringValue, UTCCalendar.iso8601(counter.windowEnd))
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 8)
        let cost: Int64 = 100 * 400 + 50 * 1600
        let recsBuckets = try XCTUnwrap(entry("recs")["buckets"]?.arrayValue)
        XCTAssertEqual(recsBuckets.map { $0["name"]?.stringValue }, ["production", "experimentation"])
        XCTAssertEqual(recsBuckets[0]["spent_nanos"]?.int64Value, cost)
        XCTAssertEqual(recsBuckets[0]["classes"], .array([.string("production")]))
        XCTAssertGreaterThan(recsBuckets[1]["reserved_nanos"]?.int64Value ?? 0, 0, "the held request is in flight")
        XCTAssertEqual(try entry("acme")["buckets"]?[0]?["resets_at"]?.stringValue, "2026-02-01T00:00:00Z")
        try plugin.postCall(held, outcome: .clientDisconnect)
    }

    func testTiersFollowSpent() throws {
        let plugin = try load(grants: [
            FakeHost.grant(id: "ok", scope: "team/acme/a"),
            FakeHost.grant(id: "warn", scope: "team/acme/b"),
            FakeHost.grant(id: "cap", scope: "team/acme/c"),
            FakeHost.grant(id: "amber", scope: "team/acme/d"),
            FakeHost.grant(id: "hard", scope: "team/acme/e"),
            FakeHost.grant(id: "refuses", scope: "team/acme/f", productionAtCap: "refuse"),
        ])
        // $1 each; tiers 80 / 110 / 150. One production request each, its
        // cost set to what the tier needs.
        let spend: [(Int, Int64)] = [(0, Self.dollar / 10), (1, Self.dollar * 85 / 100), (2, Self.dollar), (3, Self.dollar * 115 / 100),
                                     (4, Self.dollar * 3 / 2), (5, Self.dollar * 115 / 100)]
        for (index, cost) in spend {
            let c = call([index], id: "spend-\(index)")
            XCTAssertEqual(try plugin.preCall(c).verdict, .continue)
            c.costNanos = cost
            try plugin.postCall(c, usage: (1, 1, 0))
        }
        let items = try XCTUnwrap(plugin.route("GET", "/admin/allocation").json?["grants"]?.arrayValue)
        XCTAssertEqual(items.map { $0["buckets"]?[0]?["tier"]?.stringValue }, ["ok", "warn", "cap", "amber", "hard", "cap"],
                       "amber is production failing open; a grant refusing production at the cap stays at cap")
        XCTAssertEqual(items.map { $0["buckets"]?[0]?["used_percent"]?.int64Value }, [10, 85, 100, 115, 150, 115])
        XCTAssertEqual(items[4]["buckets"]?[0]?["remaining_nanos"]?.int64Value, 0, "floor 0")
    }

    func testFilteredByTheCallersScope() throws {
        let plugin = try load(grants: grants)
        XCTAssertEqual(ids(try plugin.route("GET", "/admin/allocation", callerRole: "admin", callerScope: "")),
                       ["acme", "recs", "recs-search", "recs-bot", "payments", "globex", "initech"])
        XCTAssertEqual(ids(try plugin.route("GET", "/admin/allocation", callerRole: "viewer", callerScope: "org/acme")),
                       ["acme", "recs", "recs-search", "recs-bot", "payments"])
        XCTAssertEqual(ids(try plugin.route("GET", "/admin/allocation", callerRole: "team_admin", callerScope: "team/acme/recs")),
                       ["recs", "recs-search", "recs-bot"], "the team and below it, not the org above")
        XCTAssertEqual(ids(try plugin.route("GET", "/admin/allocation", callerRole: "team_admin", callerScope: "team/acme/payments")),
                       ["payments"])
        XCTAssertEqual(ids(try plugin.route("GET", "/admin/allocation", callerRole: "team_admin", callerScope: "team/globex/recs")), [])
        XCTAssertEqual(ids(try plugin.route("GET", "/admin/allocation", callerRole: "viewer", callerScope: "something/else")), [],
                       "a scope the plugin does not understand sees nothing")
        // Capacity is the table's whatever the scope; null when the host gives none.
        XCTAssertEqual(try plugin.route("GET", "/admin/allocation", callerScope: "org/acme").json?["capacity"], .null)
    }

    func testTheViewReadsTheTableNowWithoutWaitingForARequest() throws {
        let plugin = try load(grants: grants)
        plugin.host.setGrants([FakeHost.grant(id: "fresh", scope: "org/acme", amounts: [("all", 7 * Self.dollar)], source: "minted")])
        let result = try plugin.route("GET", "/admin/allocation")
        XCTAssertEqual(ids(result), ["fresh"])
        XCTAssertEqual(result.json?["version"]?.int64Value, Int64(plugin.host.grantsVersion))
        XCTAssertEqual(result.json?["grants"]?[0]?["buckets"]?[0]?["amount_nanos"]?.int64Value, 7 * Self.dollar)
        XCTAssertEqual(plugin.host.counters.counter(named: "grant:fresh:all")?.limit, 7 * Self.dollar)
    }

    func testTheRouteCanMoveOrBeTurnedOff() throws {
        let moved = try load(#"{"admin_route": "off", "allocation_route": "/admin/allocation-eu"}"#, grants: grants)
        XCTAssertEqual(moved.host.declaredRoutes, [FakeHost.DeclaredRoute(method: "GET", path: "/admin/allocation-eu", role: .reader)])
        XCTAssertEqual(ids(try moved.route("GET", "/admin/allocation-eu")).count, 7)
        XCTAssertEqual(try load(#"{"allocation_route": "off"}"#, grants: grants).host.declaredRoutes.map(\.path), ["/admin/budgets"])
        XCTAssertThrowsError(try load(#"{"allocation_route": "/allocation"}"#, grants: [])) { error in
            XCTAssertTrue("\(error)".contains("budget config: allocation_route must be a path under /admin/"), "\(error)")
        }
        XCTAssertThrowsError(try load(#"{"allocation_route": "/admin/budgets"}"#, grants: [])) { error in
            XCTAssertTrue("\(error)".contains("allocation_route: /admin/budgets is admin_route's path too"), "\(error)")
        }
        // /admin/budgets is unchanged beside it.
        let both = try load(#"{"budgets": [{"scope": "org/acme", "period": "daily", "amount": "1"}]}"#, grants: grants)
        XCTAssertEqual(ids(try both.route("GET", "/admin/allocation")).count, 7)
        XCTAssertEqual(try both.route("GET", "/admin/budgets").json?["budgets"]?[0]?["counter"]?.stringValue, "budget:org/acme:daily")
    }
}
