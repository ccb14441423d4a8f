import Foundation
import TollgateReports
import TollgateSQLite
import TollgateUnits

/// A year of synthetic gateway traffic in the real ledger schema, for the
/// finance reports' benchmark: 3 orgs x 10 teams, each with its own size,
/// features, model mix and keys; grant paths org > team (> feature for
/// some features), a few rows on no grant; a working-hours and weekday
/// rhythm, traffic growing over the year, and launch days on which one
/// team runs at 15x for a few hours (peaks that do not coincide). Rows are
/// written in time order with up to 20 s of disorder, as the tagging
/// plugin writes them (on completion, stamped with the receipt time).
enum FinanceLedger {
    struct Model {
        var name: String
        var provider: String
        /// Nano-dollars per token: input, output, cached.
        var input: Int64, output: Int64, cached: Int64
    }

    static let models = [
        Model(name: "small", provider: "openai", input: 400, output: 1_600, cached: 100),
        Model(name: "large", provider: "openai", input: 2_500, output: 10_000, cached: 1_250),
        Model(name: "claude-small", provider: "anthropic", input: 800, output: 4_000, cached: 80),
        Model(name: "claude-large", provider: "anthropic", input: 3_000, output: 15_000, cached: 300),
    ]
    static let orgs = ["acme", "globex", "initech"]
    static let teamNames = ["payments", "search", "growth", "support", "risk", "recs", "ads", "docs", "platform", "mobile"]
    static let features = ["chat", "search", "summarise", "agent", "extract", "classify"]

    /// 2025-11-01T00:00:00Z to 2026-11-01T00:00:00Z.
    static let range = LedgerTimeRange(from: 1_761_955_200_000_000, to: 1_793_491_200_000_000)

    struct Team {
        var org: String
        var name: String
        var weight: Double
        var features: [String]
        /// Features with a grant of their own under the team's.
        var featureGrants: Set<String>
        var models: [Int]
    }

    static func teams() -> [Team] {
        var rng = LedgerBenchRandom(seed: 7)
        var out: [Team] = []
        for (o, org) in orgs.enumerated() {
            for (t, name) in teamNames.enumerated() {
                let i = o * teamNames.count + t
                let count = 3 + Int(rng.next() % 4)
                let own = (0..<count).map { features[(i + $0 * 5) % features.count] }
                var unique: [String] = []
                for f in own where !unique.contains(f) { unique.append(f) }
                out.append(Team(org: org, name: name, weight: 1.0 / Double(1 + t / 2) * (o == 0 ? 2 : 1), features: unique,
                                featureGrants: Set(unique.prefix(2)), models: i % 3 == 0 ? [0, 1, 2] : (i % 3 == 1 ? [0, 2] : [2, 3, 0])))
            }
        }
        return out
    }

    /// Traffic weight of an hour of the year: weekdays' working hours
    /// (UTC 08–18) busiest, weekends quiet, growing 2x over the year.
    static func hourWeight(_ hour: Int64) -> Double {
        let dayOfWeek = (hour / 24 + 4) % 7  // 1970-01-01 was a Thursday; 0 = Sunday
        let inDay = hour % 24
        var w = (8..<18).contains(inDay) ? 3.0 : 1.0
        if dayOfWeek == 0 || dayOfWeek == 6 { w *= 0.4 }
        let yearFraction = Double(hour) / 8_760
        return w * (1 + yearFraction)
    }

    /// Writes `rows` rows to `path` in 100k-row transactions; returns the
    /// exact sum of their costs.
    static func fill(path: String, rows: Int) throws -> Int64 {
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA synchronous=OFF")
        try db.execute(LedgerFile.createStatements)
        let insert = try db.prepare("""
            INSERT INTO ledger (ts_us, request_id, org, team, key_id, owner, key_class, end_user, feature, environment,
              experiment, use_case, tags, api, route, provider, deployment, model_requested, model_served, tokens_in,
              tokens_out, tokens_cached, cost_nanos, usage_estimated, outcome, status, decided_by, outcome_detail,
              latency_us, upstream_us, stream, attempts, grant_ids, grant_owner, exception_ids)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'production', NULL, ?7, 'prod', NULL, ?7, '{}', ?8,
              '/v1/chat/completions', ?9, ?10, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, NULL, ?20, ?20, 1, 1,
              ?21, ?22, '[]')
            """)
        let teams = teams()
        let teamTotal = teams.reduce(0) { $0 + $1.weight }
        let firstHour = range.from / 3_600_000_000
        let hours = Int((range.to - range.from) / 3_600_000_000)
        var cumulative: [Double] = []
        var sum = 0.0
        for h in 0..<hours {
            sum += hourWeight(firstHour + Int64(h))
            cumulative.append(sum)
        }
        var rng = LedgerBenchRandom(seed: 42)
        var total: Int64 = 0
        var hour = 0
        var i = 0
        while i < rows {
            try db.transaction {
                for _ in 0..<min(100_000, rows - i) {
                    // The row's place on the year's traffic curve, in time order.
                    let target = (Double(i) + 0.5) / Double(rows) * sum
                    while cumulative[hour] < target { hour += 1 }
                    let below = hour == 0 ? 0 : cumulative[hour - 1]
                    let within = (target - below) / (cumulative[hour] - below)
                    var ts = range.from + Int64(hour) * 3_600_000_000 + Int64(within * 3_600_000_000)
                    ts -= Int64(rng.next() % 20_000_000)
                    ts = max(range.from, ts)
                    // A launch: one team at 15x for four hours, a different team every ~9 days.
                    let launchTeam = (hour / 24) % 9 == 4 && (hour % 24) / 4 == 3 ? (hour / 216) % teams.count : -1
                    let boost = launchTeam >= 0 ? 14 * teams[launchTeam].weight : 0
                    var pick = Double(rng.next() % 1_000_000) / 1_000_000 * (teamTotal + boost)
                    var t = 0
                    if pick < boost {
                        t = launchTeam
                    } else {
                        pick -= boost
                        while t < teams.count - 1, pick >= teams[t].weight {
                            pick -= teams[t].weight
                            t += 1
                        }
                    }
                    let team = teams[t]
                    let model = models[team.models[Int(rng.next() % UInt64(team.models.count))]]
                    let untagged = rng.next() % 10 == 0
                    let feature = untagged ? nil : team.features[Int(rng.next() % UInt64(team.features.count))]
                    let key = Int(rng.next() % 3)
                    let rejected = rng.next() % 50 == 0
                    let r = rng.next()
                    let tokensIn: Int64 = rejected ? 0 : Int64(50 + (r % 4_000) * (r % 7 == 0 ? 8 : 1))
                    let tokensOut: Int64 = rejected ? 0 : Int64(10 + (r >> 20) % 900)
                    let tokensCached: Int64 = rejected || (r >> 40) % 3 != 0 ? 0 : Int64((r >> 30) % 2_000)
                    let nanos = tokensIn * model.input + tokensOut * model.output + tokensCached * model.cached
                    let cost = rejected ? 0 : nanos
                    total += cost
                    let noGrant = rng.next() % 20 == 0
                    let teamGrant = team.org + "-" + team.name
                    var grants = noGrant ? [] : [team.org, teamGrant]
                    var grantOwner: SQLiteValue = noGrant ? .null : .text("lead-\(team.name)@\(team.org).example")
                    if !noGrant, let feature, team.featureGrants.contains(feature) {
                        grants.append(teamGrant + "-" + feature)
                        grantOwner = .text("\(feature)-owner-\(team.name)@\(team.org).example")
                    }
                    try insert.run([
                        .integer(ts), .text("req_\(i)"), .text(team.org), .text(team.name),
                        .text("\(team.org)-\(team.name)-\(key)"), .text("dev\(key)-\(team.name)@\(team.org).example"),
                        feature.map(SQLiteValue.text) ?? .null, .text(model.provider == "openai" ? "openai" : "anthropic"),
                        .text(model.provider), .text(model.name), rejected ? .null : .text(model.name),
                        .integer(tokensIn), .integer(tokensOut), .integer(tokensCached), .integer(cost),
                        .integer(r % 200 == 0 ? 1 : 0), .text(rejected ? "rejected" : "success"), .integer(rejected ? 429 : 200),
                        rejected ? .text("budget") : .null, .integer(Int64(r % 2_000_000)),
                        .text("[" + grants.map { "\"\($0)\"" }.joined(separator: ",") + "]"), grantOwner,
                    ])
                    i += 1
                }
            }
        }
        try db.execute("INSERT OR REPLACE INTO ledger_meta(key, value) VALUES ('bench_rows', '\(rows)'), ('bench_cost', '\(total)')")
        return total
    }

    /// The rows and cost a previous run wrote to `path`, if it is complete.
    static func existing(path: String) -> (rows: Int, cost: Int64)? {
        guard FileManager.default.fileExists(atPath: path), let db = try? SQLiteDatabase(path: path, readOnly: true),
              let meta = try? db.query("SELECT key, value FROM ledger_meta WHERE key IN ('bench_rows', 'bench_cost')")
        else { return nil }
        var values: [String: String] = [:]
        for row in meta { if case .text(let k) = row[0], case .text(let v) = row[1] { values[k] = v } }
        guard let rows = values["bench_rows"].flatMap(Int.init), let cost = values["bench_cost"].flatMap(Int64.init) else { return nil }
        return (rows, cost)
    }
}
