import Foundation
import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
import TollgateJSON
import TollgateUnits

/// POST /v1/outcomes' body rules (a 400 naming the field), the outcome
/// store (committed before the answer, summed by the reports), forecasts'
/// bodies and the config's outcome declarations.
final class OutcomeTests: XCTestCase {
    let config = try! ConfigLoader.parse(yaml: FinanceReportTests.yaml.replacingOccurrences(of: "finance:", with: """
          - {id: search-ui, scope: feature/acme/search/ui, owner: ui@x, amount: "5", period: monthly}
        finance:
        """), file: "/tmp/outcome-test.yaml")
    let now: Int64 = 1_796_256_000_000_000

    var grants: GrantTable {
        let registry = try! GovernanceRegistry(store: MemoryGovernanceStore())
        registry.configure(config)
        return registry.current.table
    }

    func parse(_ body: String, team: String = "payments") -> Result<OutcomeRecord, GatewayError> {
        let identity = Identity(keyId: "\(team)-key", org: "acme", team: team, owner: "o", keyClass: .production)
        return OutcomeRequest.parse(Array(body.utf8), identity: identity, org: config.orgs.first, grants: grants, nowMicros: now)
    }

    func param(_ body: String, team: String = "payments") -> String? {
        if case .failure(let error) = parse(body, team: team) {
            XCTAssertEqual(error.status, 400)
            return error.param ?? "(no param: \(error.message))"
        }
        return nil
    }

    func testAGoodOutcomeIsAttributedLikeARequest() throws {
        let record = try parse(#"{"metric":"merged_pr","count":4,"feature":"ui","time":"2026-12-02T10:00:00Z","request_ids":["r1"]}"#,
                               team: "search").get()
        XCTAssertEqual(record.metric, "merged_pr")
        XCTAssertEqual(record.count, 4)
        XCTAssertEqual(record.feature, "ui")
        XCTAssertEqual(record.atMicros, try ReportTime.parseMicros("2026-12-02T10:00:00Z"))
        XCTAssertEqual(record.grantIDs, ["acme", "search", "search-ui"], "the grants a request with this key and feature is charged to")
        XCTAssertEqual(record.grantOwner, "ui@x")
        XCTAssertEqual(record.requestIDs, ["r1"])
        XCTAssertEqual(try parse(#"{"metric":"resolved_ticket","count":1}"#).get().atMicros, now, "no time: received now")
    }

    func testEveryMistakeIsA400NamingItsField() {
        XCTAssertEqual(param(#"{"metric":"refund","count":1}"#), "metric", "not declared by the org")
        XCTAssertEqual(param(#"{"metric":"merged_pr","count":1}"#), "metric", "declared by the org, not the team's")
        XCTAssertEqual(param(#"{"count":1}"#), "metric")
        XCTAssertEqual(param(#"{"metric":"resolved_ticket","count":-2}"#), "count")
        XCTAssertEqual(param(#"{"metric":"resolved_ticket","count":0}"#), "count")
        XCTAssertEqual(param(#"{"metric":"resolved_ticket","count":1.5}"#), "count")
        XCTAssertEqual(param(#"{"metric":"resolved_ticket","count":"3"}"#), "count")
        XCTAssertEqual(param(#"{"metric":"resolved_ticket"}"#), "count")
        XCTAssertEqual(param(#"{"metric":"resolved_ticket","count":1,"feature":"ui"}"#), "feature", "search's feature, payments' key")
        XCTAssertEqual(param(#"{"metric":"resolved_ticket","count":1,"time":"yesterday"}"#), "time")
        XCTAssertEqual(param(#"{"metric":"resolved_ticket","count":1,"time":"2030-01-01T00:00:00Z"}"#), "time")
        XCTAssertEqual(param(#"{"metric":"resolved_ticket","count":1,"request_ids":"r1"}"#), "request_ids")
        XCTAssertEqual(param(#"{"metric":"resolved_ticket","count":1,"team":"search"}"#), "team", "unknown fields are refused")
        if case .failure(let error) = parse("not json") { XCTAssertEqual(error.status, 400) } else { XCTFail("accepted non-JSON") }
        XCTAssertNil(param(#"{"metric":"resolved_ticket","count":1,"feature":"checkout"}"#), "a feature no grant names is the team's own")
    }

    func testTheSQLiteStoreCommitsBeforeItAnswersAndSums() throws {
        let dir = NSTemporaryDirectory() + "outcomes-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteOutcomeStore(directory: dir)
        var record = try parse(#"{"metric":"merged_pr","count":4,"feature":"ui"}"#, team: "search").get()
        let first = try store.recordAndWait(record)
        XCTAssertEqual(first.id, "out_1")
        record.count = 6
        _ = try store.recordAndWait(record)
        record.atMicros -= 86_400_000_000 * 40
        _ = try store.recordAndWait(record)
        // A reader that opens the file after the answer sees the rows (they are committed).
        let reader = try SQLiteOutcomeStore(directory: dir, readOnly: true)
        let totals = try reader.totals(fromMicros: now - 86_400_000_000, toMicros: now + 1)
        XCTAssertEqual(totals, [OutcomeTotal(org: "acme", team: "search", feature: "ui", grantIDs: ["acme", "search", "search-ui"],
                                             grantOwner: "ui@x", metric: "merged_pr", count: 10)])
        store.close()
        XCTAssertThrowsError(try store.recordAndWait(record), "closed: refused, not crashed")
        XCTAssertThrowsError(try SQLiteOutcomeStore(directory: dir + "/nowhere", readOnly: true))
    }

    func testForecastBodies() throws {
        let now: Int64 = 1_796_256_000
        let good = try Forecast.read(.object(JSONObject([("team", .string("acme/search")), ("period", .string("next")),
                                                        ("amount", .string("1300")), ("peak_multiplier", .number("1.5")),
                                                        ("events", .array([.string("launch")]))])), actorName: "a", now: now).get()
        XCTAssertEqual(good.period, "2027-01")
        XCTAssertEqual(good.amountNanos, 1_300_000_000_000)
        XCTAssertEqual(good.peakMultiplierHundredths, 150)
        func message(_ fields: [(String, JSONValue)]) -> String {
            if case .failure(let e) = Forecast.read(.object(JSONObject(fields)), actorName: "a", now: now) { return e.description }
            return "accepted"
        }
        XCTAssertTrue(message([("team", .string("acme/search")), ("period", .string("next")), ("amount", .string("-5"))]).hasPrefix("amount"))
        XCTAssertTrue(message([("team", .string("search")), ("period", .string("next")), ("amount", .string("5"))]).hasPrefix("team"))
        XCTAssertTrue(message([("team", .string("acme/search")), ("period", .string("soon")), ("amount", .string("5"))]).hasPrefix("period"))
        XCTAssertTrue(message([("team", .string("acme/search")), ("period", .string("next")), ("amount", .string("5")),
                               ("peak_multiplier", .string("0.5"))]).hasPrefix("peak_multiplier"))
    }

    func testForecastsAreTeamAdminsOwnAndSurviveReplay() throws {
        let store = MemoryGovernanceStore()
        var yaml = FinanceReportTests.yaml + "\ncredentials:\n"
        yaml += "  - {id: search-admin, role: team_admin, scope: team/acme/search, owner: b@x, sha256: \"\(String(repeating: "a", count: 64))\"}\n"
        yaml += "  - {id: fin, role: viewer, scope: org/acme, owner: f@x, sha256: \"\(String(repeating: "b", count: 64))\"}\n"
        let config = try ConfigLoader.parse(yaml: yaml, file: "/tmp/forecast-test.yaml")
        let registry = try GovernanceRegistry(store: store, clock: { 1_796_256_000 })
        registry.configure(config)
        let admin = GovernanceActor.credential(config.credentials[0].credential)
        let viewer = GovernanceActor.credential(config.credentials[1].credential)
        func body(_ team: String, _ amount: String) -> JSONValue {
            .object(JSONObject([("team", .string(team)), ("period", .string("2026-12")), ("amount", .string(amount))]))
        }
        _ = try registry.submitForecast(body("acme/search", "10"), by: admin)
        _ = try registry.submitForecast(body("acme/search", "12"), by: admin)
        XCTAssertThrowsError(try registry.submitForecast(body("acme/payments", "5"), by: admin)) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403)
        }
        XCTAssertThrowsError(try registry.submitForecast(body("acme/search", "5"), by: viewer))
        XCTAssertThrowsError(try registry.submitForecast(body("acme/nobody", "5"), by: .master))
        let replayed = try GovernanceRegistry(store: store)
        XCTAssertEqual(replayed.forecastList.map(\.amountNanos), [12_000_000_000], "the latest submission is the forecast")
        XCTAssertTrue(try store.verify().intact)
    }

    func testConfigOutcomeDeclarationsAreChecked() {
        func errors(_ teams: String, metrics: String = "[resolved_ticket, merged_pr]") -> String {
            let yaml = """
                models:
                  - {name: small, provider: openai, base_url: "http://127.0.0.1:1/v1", price: {input_per_mtok: "1", output_per_mtok: "2"}}
                orgs:
                  - name: acme
                    outcome_metrics: \(metrics)
                    teams:
                \(teams)
                """
            do {
                _ = try ConfigLoader.parse(yaml: yaml, file: "/tmp/o.yaml")
                return "ok"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(errors("      - {name: a, outcomes: [merged_pr], cost_center: CC-9}"), "ok")
        XCTAssertTrue(errors("      - {name: a, outcomes: [merged_prs]}").contains("did you mean 'merged_pr'"))
        XCTAssertTrue(errors("      - {name: a, outcomes: [merged_pr, resolved_ticket, merged_pr]}").contains("one or two"))
        XCTAssertTrue(errors("      - {name: a}", metrics: "[x, x]").contains("listed twice"))
        XCTAssertTrue(errors("      - {name: a, outcomes: [merged_pr]}", metrics: "[]").contains("declare it in the org's outcome_metrics"))
        XCTAssertTrue(errors("      - {name: a, outcomes: [resolved_ticket]}").hasPrefix("ok"))
        XCTAssertTrue(errors("      - {name: a, outcomes: [nope]}").contains("/tmp/o.yaml:7:"), "file:line:column")
    }
}
