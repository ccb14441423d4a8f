import Foundation
import TollgateSQLite
@testable import TollgateReports

/// A ledger file with hand-made rows, in the real schema, for the report
/// tests (spend and finance): the attribution columns the reports read
/// (org, team, feature, provider, models, owners, tags, grant path,
/// outcome) on top of tokens and cost.
final class FinanceTestLedger {
    struct Row {
        var ts: Int64
        var org: String? = "acme"
        var team: String? = "payments"
        var feature: String? = nil
        var provider: String? = "openai"
        /// The model that served (nil: none, as for a refusal).
        var model: String? = "small"
        /// The model asked for; nil: `model`, else "small".
        var modelRequested: String? = nil
        var owner: String? = "dev@acme.example"
        var tokensIn: Int64 = 0
        var tokensOut: Int64 = 0
        var tokensCached: Int64 = 0
        var cost: Int64 = 0
        var estimated = false
        var outcome = "success"
        var tags = "{}"
        /// The grant path, root first.
        var grants: [String] = []
        var grantOwner: String? = nil
    }

    let path: String
    let db: SQLiteDatabase
    private var next = 0

    init() throws {
        path = "/tmp/tollgate-finance-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sqlite"
        db = try SQLiteDatabase(path: path)
        try db.execute(LedgerFile.createStatements)
    }

    deinit {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    }

    func insert(_ rows: [Row]) throws {
        let statement = try db.prepare("""
            INSERT INTO ledger (ts_us, request_id, org, team, feature, provider, model_requested, model_served, owner,
              tokens_in, tokens_out, tokens_cached, cost_nanos, usage_estimated, outcome, grant_ids, grant_owner, tags)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
            """)
        func text(_ s: String?) -> SQLiteValue { s.map(SQLiteValue.text) ?? .null }
        try db.transaction {
            for row in rows {
                next += 1
                try statement.run([.integer(row.ts), .text("req-\(next)"), text(row.org), text(row.team), text(row.feature),
                                   text(row.provider), .text(row.modelRequested ?? row.model ?? "small"),
                                   row.outcome == "rejected" ? .null : text(row.model), text(row.owner),
                                   .integer(row.tokensIn), .integer(row.tokensOut), .integer(row.tokensCached),
                                   .integer(row.cost), .integer(row.estimated ? 1 : 0), .text(row.outcome),
                                   .text("[" + row.grants.map { "\"\($0)\"" }.joined(separator: ",") + "]"),
                                   text(row.grantOwner), .text(row.tags)])
            }
        }
    }

    /// The ledger's own sum of cost_nanos over [from, to), by SQL.
    func costSum(from: Int64, to: Int64) throws -> Int64 {
        let rows = try db.query("SELECT sum(cost_nanos) FROM ledger WHERE ts_us >= ?1 AND ts_us < ?2",
                                [.integer(from), .integer(to)])
        if case .integer(let n)? = rows.first?.first { return n }
        return 0
    }
}

/// Times the tests build ledgers around.
enum FinanceTestTime {
    static let day: Int64 = 86_400_000_000
    static let minute: Int64 = 60_000_000
    /// 2026-11-01T00:00:00Z.
    static let november = Int64(1_793_491_200) * 1_000_000
}
