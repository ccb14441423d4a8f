import Foundation
import TollgateABI
import TollgateJSON
import TollgateLedger
import TollgatePluginTesting
import TollgateSQLite

/// The fake host keeps the rows a plugin appended (ABI 1.6 ledger_append)
/// in memory; this writes them into a ledger file in LedgerSchema — what
/// the gateway's host does — so the real `tollgate report spend` and the
/// plugin's own spend view (through ledger_read) can read them.
enum LedgerFixture {
    /// Writes `rows` (as the fake host accepted them) to a new ledger at
    /// `path`, replacing any file there.
    static func write(_ rows: [JSONObject], to path: String) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let db = try SQLiteDatabase(path: path)
        try db.execute(LedgerSchema.createStatements)
        let insert = try db.prepare(LedgerSchema.insert)
        try db.transaction {
            for object in rows {
                let row = try LedgerRowRules.parse(object).get()
                try insert.run(row.values.map { value -> SQLiteValue in
                    switch value {
                    case .null: return .null
                    case .integer(let n): return .integer(n)
                    case .text(let s): return .text(s)
                    }
                })
            }
        }
    }

    /// Makes `host`'s ledger_read answer with a file at `path` holding
    /// every row appended so far.
    static func serve(_ host: FakeHost, at path: String) {
        host.setLedgerReader { rows in
            try write(rows, to: path)
            return path
        }
    }
}
