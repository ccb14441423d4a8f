import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// GET /admin/spend, served by the tagging plugin from its own ledger (read
/// with a read-only connection): spend over time per team, grant, model or
/// feature, narrowed to the caller's scope, and the same totals as
/// `tollgate report spend`.
final class TaggingSpendRouteTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "tollgate-spend-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var ledgerPath: String { directory + "/ledger.sqlite" }

    func load(_ extra: String = "") throws -> PluginUnderTest {
        let config = #"{"ledger": {"path": "\#(ledgerPath)"}\#(extra)}"#
        let plugin = try PluginUnderTest(libraryPath: TaggingPluginTests.buildDirectory.appendingPathComponent("libtollgate_tagging.so").path,
                                         config: JSONValue.parse(config))
        LedgerFixture.serve(plugin.host, at: ledgerPath)
        return plugin
    }

    /// 2026-01-01T00:00:00Z (FakeCall's default receive time).
    static let dayOne: Int64 = 1_767_225_600
    /// Noon of the last day shown by the tests' `until`.
    static let until = dayOne + 2 * 86_400 + 12 * 3_600

    var costs: [String: Int64] = [:]

    /// One successful call of `team` (org `org`) at `second`.
    func spend(_ plugin: PluginUnderTest, org: String = "acme", team: String, at second: Int64, tokensIn: Int64,
               model: String = "small", feature: String? = nil, grantPath: [Int] = [], id: String) throws {
        let call = FakeCall(model: model, headers: feature.map { [("x-tollgate-feature", $0)] } ?? [],
                            identity: FakeCall.Identity(keyID: "k-\(team)", org: org, team: team),
                            requestID: id, receivedAtMicros: second * 1_000_000)
        call.grantPath = grantPath
        try plugin.preCall(call)
        try plugin.postCall(call, usage: (in: tokensIn, out: 10, cached: 0))
        costs[id] = try XCTUnwrap(FakeHost.cost(price: FakeHost.defaultCatalog[model]!, tokensIn: tokensIn, tokensOut: 10, tokensCached: 0))
    }

    /// Three days of spend: acme/payments on every day, acme/search on the
    /// last two, other/labs once; and one call long before the window.
    func fill(_ plugin: PluginUnderTest) throws {
        plugin.host.setGrants([
            FakeHost.grant(id: "acme", scope: "org/acme", owner: "cfo@x"),
            FakeHost.grant(id: "search", scope: "team/acme/search", parent: "acme", owner: "head@x"),
        ])
        let d = Self.dayOne
        try spend(plugin, team: "payments", at: d + 3_600, tokensIn: 1_000, feature: "checkout", grantPath: [0], id: "p1")
        try spend(plugin, team: "payments", at: d + 86_400 + 7_200, tokensIn: 2_000, model: "large", grantPath: [0], id: "p2")
        try spend(plugin, team: "payments", at: d + 2 * 86_400 + 10 * 3_600, tokensIn: 500, feature: "checkout", grantPath: [0], id: "p3")
        try spend(plugin, team: "search", at: d + 86_400 + 60, tokensIn: 800, feature: "query", grantPath: [0, 1], id: "s1")
        try spend(plugin, team: "search", at: d + 2 * 86_400 + 11 * 3_600 + 59 * 60, tokensIn: 300, grantPath: [0, 1], id: "s2")
        try spend(plugin, org: "other", team: "labs", at: d + 2 * 86_400 + 5, tokensIn: 50, id: "l1")
        try spend(plugin, team: "payments", at: d - 30 * 86_400, tokensIn: 9_999, id: "old")
    }

    struct View {
        var json: [String: Any]
        var series: [[String: Any]] { json["series"] as? [[String: Any]] ?? [] }
        var keys: [String?] { series.map { $0["key"] as? String } }
        /// key -> [t: cost]
        var points: [String: [String: Int64]] {
            var out: [String: [String: Int64]] = [:]
            for s in series {
                let key = s["key"] as? String ?? "(none)"
                for p in s["points"] as? [[String: Any]] ?? [] {
                    out[key, default: [:]][p["t"] as! String] = (p["cost_nanos"] as! NSNumber).int64Value
                }
            }
            return out
        }
        var totals: [String: Int64] { points.mapValues { $0.values.reduce(0, +) } }
    }

    func view(_ plugin: PluginUnderTest, _ query: String, scope: String = "", role: String = "admin",
              status: UInt16 = 200) throws -> View {
        let result = try plugin.route("GET", "/admin/spend", query: query, callerRole: role, callerScope: scope)
        XCTAssertEqual(result.httpStatus, status, result.response?.body ?? "")
        let data = Data((result.response?.body ?? "").utf8)
        return View(json: try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }

    // MARK: -

    func testTheRouteIsDeclaredForReadersAndCanMoveOrBeTurnedOff() throws {
        XCTAssertEqual(try load().host.declaredRoutes, [FakeHost.DeclaredRoute(method: "GET", path: "/admin/spend", role: .reader)])
        XCTAssertEqual(try load(#", "spend_route": "/admin/spend-eu""#).host.declaredRoutes.map(\.path), ["/admin/spend-eu"])
        XCTAssertTrue(try load(#", "spend_route": "off""#).host.declaredRoutes.isEmpty)
        XCTAssertThrowsError(try load(#", "spend_route": "/spend""#)) { error in
            XCTAssertTrue("\(error)".contains("spend_route"), "\(error)")
        }
    }

    func testDailySeriesPerTeamWithEveryDayOfTheWindow() throws {
        let plugin = try load()
        try fill(plugin)
        let v = try view(plugin, "days=3&until=\(Self.until)")
        XCTAssertEqual(v.json["by"] as? String, "team")
        XCTAssertEqual(v.json["bucket"] as? String, "day")
        XCTAssertEqual(v.json["as_of"] as? String, "2026-01-03T12:00:00Z")
        XCTAssertEqual(v.json["from"] as? String, "2026-01-01T00:00:00Z")
        XCTAssertEqual(v.keys, ["acme/payments", "acme/search", "other/labs"], "largest first")
        XCTAssertEqual(v.points["acme/payments"], ["2026-01-01": costs["p1"]!, "2026-01-02": costs["p2"]!, "2026-01-03": costs["p3"]!])
        XCTAssertEqual(v.points["acme/search"], ["2026-01-01": 0, "2026-01-02": costs["s1"]!, "2026-01-03": costs["s2"]!],
                       "a day without spend is a zero, so every series has every day")
        XCTAssertEqual(v.points["other/labs"], ["2026-01-01": 0, "2026-01-02": 0, "2026-01-03": costs["l1"]!])
        // The default: 14 days; the call 30 days back is outside it.
        let fourteen = try view(plugin, "until=\(Self.until)")
        XCTAssertEqual((fourteen.series.first?["points"] as? [Any])?.count, 14)
        XCTAssertEqual(fourteen.totals["acme/payments"], costs["p1"]! + costs["p2"]! + costs["p3"]!)
    }

    func testHourBucketsCoverTheLast48Hours() throws {
        let plugin = try load()
        try fill(plugin)
        let v = try view(plugin, "bucket=hour&until=\(Self.until)")
        XCTAssertEqual(v.json["bucket"] as? String, "hour")
        let points = try XCTUnwrap(v.series.first?["points"] as? [[String: Any]])
        XCTAssertEqual(points.count, 48)
        XCTAssertEqual(points.last?["t"] as? String, "2026-01-03T12:00Z")
        XCTAssertEqual(points.first?["t"] as? String, "2026-01-01T13:00Z")
        XCTAssertEqual(v.points["acme/search"]?["2026-01-03T11:00Z"], costs["s2"]!)
        XCTAssertEqual(v.points["acme/payments"]?["2026-01-02T02:00Z"], costs["p2"]!)
        XCTAssertNil(v.points["acme/payments"]?["2026-01-01T01:00Z"], "before the 48 hours")
    }

    func testByModelFeatureAndGrantWhereGrantsNest() throws {
        let plugin = try load()
        try fill(plugin)
        let byModel = try view(plugin, "by=model&days=3&until=\(Self.until)")
        XCTAssertEqual(byModel.totals["large"], costs["p2"]!)
        XCTAssertEqual(byModel.totals["small"], costs["p1"]! + costs["p3"]! + costs["s1"]! + costs["s2"]! + costs["l1"]!)
        let byFeature = try view(plugin, "by=feature&days=3&until=\(Self.until)")
        XCTAssertEqual(byFeature.totals["checkout"], costs["p1"]! + costs["p3"]!)
        XCTAssertEqual(byFeature.totals["query"], costs["s1"]!)
        XCTAssertEqual(byFeature.totals["(none)"], costs["p2"]! + costs["s2"]! + costs["l1"]!, "untagged rows: key null")
        let byGrant = try view(plugin, "by=grant&days=3&until=\(Self.until)")
        XCTAssertEqual(byGrant.totals["acme"], costs["p1"]! + costs["p2"]! + costs["p3"]! + costs["s1"]! + costs["s2"]!)
        XCTAssertEqual(byGrant.totals["search"], costs["s1"]! + costs["s2"]!, "a row counts under every grant on its path")
        XCTAssertEqual(byGrant.totals["(none)"], costs["l1"]!)
    }

    func testNarrowedToTheCallersScope() throws {
        let plugin = try load()
        try fill(plugin)
        let org = try view(plugin, "days=3&until=\(Self.until)", scope: "org/acme", role: "viewer")
        XCTAssertEqual(org.keys, ["acme/payments", "acme/search"])
        let team = try view(plugin, "days=3&until=\(Self.until)", scope: "team/acme/search", role: "team_admin")
        XCTAssertEqual(team.keys, ["acme/search"])
        let teamByModel = try view(plugin, "by=model&days=3&until=\(Self.until)", scope: "team/acme/search", role: "team_admin")
        XCTAssertEqual(teamByModel.totals, ["small": costs["s1"]! + costs["s2"]!])
        let nothing = try view(plugin, "days=3&until=\(Self.until)", scope: "grant/x", role: "viewer")
        XCTAssertEqual(nothing.keys, [])
    }

    func testBadParametersAre400WithWhatIsAllowed() throws {
        let plugin = try load()
        for (query, words) in [("by=key", "by must be one of team, grant, model, feature"), ("bucket=week", "bucket must be day or hour"),
                               ("days=0", "days must be"), ("days=400", "days must be"), ("until=soon", "until must be")] {
            let result = try plugin.route("GET", "/admin/spend", query: query)
            XCTAssertEqual(result.httpStatus, 400, query)
            XCTAssertTrue(result.response?.body.contains(words) == true, "\(query): \(result.response?.body ?? "")")
        }
    }

    /// End to end: the route's totals per team equal `tollgate report spend
    /// --by team` (the real binary) on the same ledger.
    func testTotalsEqualTollgateReportSpendByTeam() throws {
        let plugin = try load()
        try fill(plugin)
        let all = try view(plugin, "days=366&until=\(Self.until)")
        plugin.destroy()
        try LedgerFixture.write(plugin.host.ledgerRows, to: ledgerPath)
        let report = try TaggingPluginTests.report(ledgerPath, by: "team")
        var reported: [String: Int64] = [:]
        for group in try report.groups() {
            reported[try XCTUnwrap(group["team"] as? String)] = TaggingPluginTests.int(group["cost_nanos"])
        }
        var routed: [String: Int64] = [:]
        for (key, total) in all.totals { routed[String(key.split(separator: "/").last!)] = total }
        XCTAssertEqual(routed, reported)
        XCTAssertEqual(routed.values.reduce(0, +), costs.values.reduce(0, +))
    }
}
