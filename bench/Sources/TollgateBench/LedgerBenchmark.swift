import Foundation
import TollgateSupport
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateReports
import TollgateMockProvider
import TollgateProxy
import TollgateUnits
import TollgateSQLite

extension Benchmarks {
    /// Fills a ledger with synthetic rows in the real schema (30 days, 20
    /// teams, 30 features, 3 models, a few outcomes), then times spend
    /// reports on it in-process. Time the CLI on the same file with
    /// `time tollgate report spend --db FILE --by ...`.
    /// `tollgate-bench ledger [rows] [file]` (the file is kept).
    static func ledger(_ arguments: [String]) {
        let rows = Int(arguments.first ?? "") ?? 1_000_000
        let path = arguments.dropFirst().first ?? NSTemporaryDirectory() + "tollgate-bench-ledger.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }

        var start = DispatchTime.now().uptimeNanoseconds
        let expectedCost = fillLedger(path: path, rows: rows)
        let fillSeconds = seconds(since: start)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print(String(format: "ledger: %d rows written in %.2fs (%.0f rows/s), file %.1f MB: %@", rows, fillSeconds,
                     Double(rows) / fillSeconds, Double(size) / 1e6, path))

        _ = try! LedgerFile.openForReading(path)
        let day0 = try! ReportTime.parseMicros("2026-10-01")
        let cases: [(String, SpendQuery)] = [
            ("total", SpendQuery()),
            ("by team", SpendQuery(dimensions: try! ReportDimension.parseList("team"))),
            ("by team,feature,model", SpendQuery(dimensions: try! ReportDimension.parseList("team,feature,model"))),
            ("by day,team", SpendQuery(dimensions: try! ReportDimension.parseList("day,team"))),
            ("by tag.cost_center", SpendQuery(dimensions: try! ReportDimension.parseList("tag.cost_center"))),
            ("7 days by team,model", SpendQuery(fromMicros: day0 + 7 * 86_400_000_000, toMicros: day0 + 14 * 86_400_000_000,
                                               dimensions: try! ReportDimension.parseList("team,model"))),
        ]
        for (label, query) in cases {
            start = DispatchTime.now().uptimeNanoseconds
            let report = try! query.run(ledgerAt: path)
            let elapsed = seconds(since: start)
            let exact = query.fromMicros != nil || report.total.costNanos == expectedCost
            print("ledger: report " + label.padding(toLength: 24, withPad: " ", startingAt: 0)
                + String(format: "%6d groups, %8d requests in %.3fs", report.groups.count, report.total.requests, elapsed)
                + (exact ? "" : "  COST MISMATCH"))
        }
    }

    /// Only writes the ledger, its rows spread evenly over the last `days`
    /// days up to now (so today's views and this month's reports have rows):
    /// the dashboard's first-paint benchmark (bench/dashboard-first-paint.sh).
    /// `tollgate-bench ledger-fill [rows] [file] [days]`.
    static func ledgerFill(_ arguments: [String]) {
        let rows = Int(arguments.first ?? "") ?? 1_000_000
        let path = arguments.dropFirst().first ?? NSTemporaryDirectory() + "tollgate-bench-ledger.sqlite"
        let days = Int64(arguments.dropFirst(2).first ?? "") ?? 30
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let start = DispatchTime.now().uptimeNanoseconds
        let cost = fillLedger(path: path, rows: rows, fromMicros: now - days * 86_400_000_000, spanMicros: days * 86_400_000_000)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print(String(format: "ledger-fill: %d rows over the last %d days in %.2fs, file %.1f MB, total cost %@: %@", rows, days,
                     seconds(since: start), Double(size) / 1e6, Money.format(nanos: cost), path))
    }

    /// Writes `rows` rows in 50k-row transactions, evenly over [fromMicros,
    /// fromMicros + spanMicros) (by default 30 days from 2026-10-01);
    /// returns their total cost.
    static func fillLedger(path: String, rows: Int, fromMicros: Int64? = nil, spanMicros: Int64 = 30 * 86_400_000_000) -> Int64 {
        let db = try! SQLiteDatabase(path: path)
        try! db.execute(LedgerFile.createStatements)
        let insert = try! db.prepare("""
            INSERT INTO ledger (ts_us, request_id, org, team, key_id, owner, key_class, end_user, feature, environment,
              experiment, use_case, tags, api, route, provider, deployment, model_requested, model_served, tokens_in,
              tokens_out, tokens_cached, cost_nanos, usage_estimated, outcome, status, decided_by, outcome_detail,
              latency_us, upstream_us, stream, attempts)
            VALUES (?1, ?2, 'acme', ?3, ?4, ?5, 'production', NULL, ?6, 'prod', NULL, ?7, ?8, 'openai',
              '/v1/chat/completions', 'openai', ?9, ?9, ?9, ?10, ?11, 0, ?12, 0, ?13, ?14, ?15, NULL, ?16, ?16, ?17, ?18)
            """)
        let day0 = try! fromMicros ?? ReportTime.parseMicros("2026-10-01")
        let models: [(String, Int64, Int64)] = [("small", 400, 1_600), ("large", 8_000, 32_000), ("claude-small", 800, 4_000)]
        var rng = LedgerBenchRandom(seed: 42)
        var total: Int64 = 0
        var i = 0
        while i < rows {
            try! db.transaction {
                for _ in 0..<min(50_000, rows - i) {
                    let team = Int(rng.next() % 20)
                    let model = models[Int(rng.next() % 3)]
                    let tokensIn = Int64(rng.next() % 4_000) + 1
                    let tokensOut = Int64(rng.next() % 800)
                    let rejected = rng.next() % 50 == 0
                    let cost = rejected ? 0 : tokensIn * model.1 + tokensOut * model.2
                    total += cost
                    try insert.run([
                        .integer(day0 + Int64(i) * (spanMicros / Int64(max(rows, 1)))), .text("req_\(i)"),
                        .text("team-\(team)"), .text("key-\(team)-\(rng.next() % 3)"), .text("owner\(team)@example.com"),
                        .text("feature-\(rng.next() % 30)"), .text(["chat", "search", "summarise"][Int(rng.next() % 3)]),
                        .text(#"{"cost_center":"cc-\#(team % 7)"}"#), .text(model.0),
                        .integer(rejected ? 0 : tokensIn), .integer(rejected ? 0 : tokensOut), .integer(cost),
                        .text(rejected ? "rejected" : "success"), .integer(rejected ? 429 : 200),
                        rejected ? .text("budget") : .null, .integer(Int64(rng.next() % 2_000_000)),
                        .integer(Int64(rng.next() % 2)), .integer(rejected ? 0 : 1),
                    ])
                    i += 1
                }
            }
        }
        return total
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// A tiny deterministic PRNG, so every run writes the same ledger.
struct LedgerBenchRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
