import Foundation
import TollgateLedger
import TollgateSQLite

extension Benchmarks {
    /// What the daily rollup's trigger and the capacity index cost the
    /// ledger's writer: the tagging plugin's path (a `GroupCommitWriter`
    /// running the shared `LedgerSchema.insert`, WAL, synchronous=NORMAL)
    /// on a new ledger as schema 4 makes it, without the capacity index
    /// (what schema 3 wrote), and without the rollup either (its triggers
    /// and table dropped: what schema 2 wrote), alternated so all see the
    /// same load.
    /// - burst: `rows` rows queued at once (group commit, up to 1,024 a
    ///   commit): the writer's ceiling;
    /// - at rest: `rows / 50` rows, each waiting for its own commit.
    /// Rows as the finance bench's ledger has them (30 teams, features,
    /// 3 keys a team, 4 models, grant paths, 2% refused) over 30 days.
    /// `tollgate-bench ledger-write [rows] [dir] [rounds]`.
    static func ledgerWrite(_ arguments: [String]) {
        let rows = Int(arguments.first ?? "") ?? 200_000
        let dir = arguments.dropFirst().first ?? NSTemporaryDirectory()
        let rounds = Int(arguments.dropFirst(2).first ?? "") ?? 3
        let teams = FinanceLedger.teams()
        let day0: Int64 = 1_790_812_800_000_000  // 2026-10-01
        let step = 30 * 86_400_000_000 / Int64(rows)

        func row(_ i: Int, _ rng: inout LedgerBenchRandom) -> [SQLiteValue] {
            let team = teams[Int(rng.next() % UInt64(teams.count))]
            let model = FinanceLedger.models[team.models[Int(rng.next() % UInt64(team.models.count))]]
            let feature = rng.next() % 10 == 0 ? nil : team.features[Int(rng.next() % UInt64(team.features.count))]
            let key = rng.next() % 3
            let rejected = rng.next() % 50 == 0
            let tokensIn: Int64 = rejected ? 0 : Int64(50 + rng.next() % 4_000)
            let tokensOut: Int64 = rejected ? 0 : Int64(10 + rng.next() % 900)
            let grants = feature.map { team.featureGrants.contains($0) } ?? false
                ? "[\"\(team.org)\",\"\(team.org)-\(team.name)\",\"\(team.org)-\(team.name)-\(feature!)\"]"
                : "[\"\(team.org)\",\"\(team.org)-\(team.name)\"]"
            func text(_ s: String?) -> SQLiteValue { s.map(SQLiteValue.text) ?? .null }
            return [
                .integer(day0 + Int64(i) * step), .text("req_\(i)"), .text(team.org), .text(team.name),
                .text("\(team.org)-\(team.name)-\(key)"), .text("dev\(key)-\(team.name)@\(team.org).example"), .text("production"), .null,
                text(feature), .text("prod"), .null, text(feature), .text("{}"), .text("openai"), .text("/v1/chat/completions"),
                .text(model.provider), .text(model.name), .text(model.name), rejected ? .null : .text(model.name),
                .integer(tokensIn), .integer(tokensOut), .integer(0), .integer(tokensIn * model.input + tokensOut * model.output),
                .integer(0), .text(rejected ? "rejected" : "success"), .integer(rejected ? 429 : 200), rejected ? .text("budget") : .null,
                .null, .integer(Int64(rng.next() % 2_000_000)), .integer(Int64(rng.next() % 2_000_000)), .integer(1), .integer(1),
                .text(grants), .text("lead-\(team.name)@\(team.org).example"), .text("[]"),
            ]
        }

        /// Schema 2 (no rollup, no capacity index), 3 (the rollup), 4 (both).
        let schemas = [2, 3, 4]
        func name(_ schema: Int) -> String {
            ["without the rollup (2)", "with the rollup (3)   ", "+ capacity index (4)  "][schema - 2]
        }

        /// One run: (burst rows/s, at-rest µs a row, rollup rows).
        func run(schema: Int) -> (Double, Double, Int64) {
            let rollup = schema >= 3
            let path = dir + "/tollgate-bench-ledger-write-\(schema).sqlite"
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            let writer = try! GroupCommitWriter(path: path, setup: { db in
                try db.execute(LedgerSchema.createStatements)
                if schema < 4 { try db.execute("DROP INDEX \(LedgerSchema.capacityIndex)") }
                if !rollup {
                    for trigger in LedgerSchema.rollupTriggers { try db.execute("DROP TRIGGER \(trigger)") }
                    try db.execute("DROP TABLE \(LedgerSchema.rollupTable)")
                }
            }, onError: { print("ledger-write: \($0)") })
            let insert = LazyInsert()
            var rng = LedgerBenchRandom(seed: 42)
            var start = DispatchTime.now().uptimeNanoseconds
            for i in 0..<rows {
                let values = row(i, &rng)
                writer.enqueue { db in try insert.run(values, on: db) }
            }
            writer.flush()
            let burst = Double(rows) / seconds(since: start)
            let quiet = max(1, rows / 50)
            start = DispatchTime.now().uptimeNanoseconds
            for i in rows..<rows + quiet {
                let values = row(i, &rng)
                writer.waitUntilCommitted(writer.enqueue { db in try insert.run(values, on: db) })
            }
            let atRest = seconds(since: start) / Double(quiet) * 1e6
            writer.close()
            var count: Int64 = 0
            if rollup, case .integer(let n)? = try? SQLiteDatabase(path: path, readOnly: true)
                .query("SELECT count(*) FROM \(LedgerSchema.rollupTable)").first?.first { count = n }
            return (burst, atRest, count)
        }

        print("ledger-write: \(rows) rows queued at once, then \(max(1, rows / 50)) one commit each; \(rounds) rounds, alternated")
        var results: [Int: [(Double, Double)]] = [:]
        for round in 1...rounds {
            for schema in schemas {
                let (burst, atRest, count) = run(schema: schema)
                results[schema, default: []].append((burst, atRest))
                print(String(format: "ledger-write: round %d %@: burst %8.0f rows/s, at rest %6.1f µs a row", round,
                             name(schema), burst, atRest)
                    + (schema >= 3 ? " (\(count) rollup rows)" : ""))
            }
        }
        for schema in schemas {
            let r = results[schema]!
            print(String(format: "ledger-write: best %@: burst %8.0f rows/s, at rest %6.1f µs a row",
                         name(schema), r.map(\.0).max()!, r.map(\.1).min()!))
        }
    }
}

/// The insert, prepared once on the writer thread (as the plugin does).
private final class LazyInsert: @unchecked Sendable {
    private var statement: SQLiteStatement?

    func run(_ values: [SQLiteValue], on db: SQLiteDatabase) throws {
        if statement == nil { statement = try db.prepare(LedgerSchema.insert) }
        try statement!.run(values)
    }
}
