import TollgateJSON
import TollgateUnits

/// What `tollgate demo traffic` reports besides requests: each team's
/// outcomes (POST /v1/outcomes, with the team's own key) every few seconds,
/// and the forecasts the dashboard's forecast view compares with actuals.
extension DemoTraffic {
    /// Seconds between two rounds of outcome reports.
    package static let outcomeEverySeconds = 10

    /// The outcomes of round `round` (0, 1, ...): (key secret, body).
    /// Search resolves tickets, platform merges PRs, recs counts clicks on
    /// the carousel and, every other round, a qualified lead.
    package static func outcomes(round: Int) -> [(secret: String, body: JSONValue)] {
        func body(_ metric: String, _ count: Int, feature: String? = nil) -> JSONValue {
            var fields: [(String, JSONValue)] = [("metric", .string(metric)), ("count", .int(Int64(count)))]
            if let feature { fields.append(("feature", .string(feature))) }
            return .object(JSONObject(fields))
        }
        var out: [(String, JSONValue)] = [
            (searchProd.secret, body("resolved_ticket", 3 + round % 3)),
            (platformProd.secret, body("merged_pr", 1)),
            (recsProd.secret, body("recommendation_click", 20 + (round * 7) % 11, feature: "carousel")),
        ]
        if round % 2 == 1 { out.append((recsProd.secret, body("qualified_lead", 1))) }
        return out
    }

    /// The forecasts submitted before the traffic, for the month of `now`
    /// and the next: (credential, body). Recs' admin submits its own; the
    /// master key submits search's (set high, so the haircut rule shows)
    /// and platform's.
    package static func forecasts(now: Int64) -> [(credential: String, body: JSONValue)] {
        func body(_ team: String, _ period: String, _ amount: String, peak: String? = nil, events: [String] = []) -> JSONValue {
            var fields: [(String, JSONValue)] = [("team", .string("demo/" + team)), ("period", .string(period)), ("amount", .string(amount))]
            if let peak { fields.append(("peak_multiplier", .string(peak))) }
            if !events.isEmpty { fields.append(("events", .array(events.map(JSONValue.string)))) }
            return .object(JSONObject(fields))
        }
        return [
            (recsAdminCredential, body("recs", "current", "0.40", peak: "1.5", events: ["carousel launch"])),
            (recsAdminCredential, body("recs", "next", "0.60", events: ["carousel at 50% of homepage"])),
            (masterKey, body("search", "current", "2.50", events: ["search relaunch"])),
            (masterKey, body("search", "next", "2.50")),
            (masterKey, body("platform", "current", "0.20")),
        ]
    }

    /// The demo's master key (scripts/demo.sh exports it as TOLLGATE_MASTER_KEY).
    package static let masterKey = "tg-demo-master"
}
