import Foundation
import TollgateLedger
import TollgateSQLite
import XCTest

/// Checks of the daily rollup (`ledger_daily`) against the ledger it sums,
/// written here independently of `LedgerSchema`'s own SQL.
enum RollupCheck {
    /// The ledger's own GROUP BY on the rollup's key, in key order.
    static func ledgerGroupBy(_ db: SQLiteDatabase) throws -> [[SQLiteValue]] {
        try db.query("""
            SELECT ts_us / 86400000000, org, team, feature, grant_ids, grant_owner, owner, key_class,
              COALESCE(model_served, model_requested), provider, outcome = 'rejected',
              cost_nanos <> 0 OR tokens_in <> 0 OR tokens_out <> 0 OR tokens_cached <> 0,
              count(*), sum(tokens_in), sum(tokens_out), sum(tokens_cached), sum(cost_nanos), sum(usage_estimated)
            FROM ledger GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
            """)
    }

    /// The rollup's rows, in key order.
    static func rollupRows(_ db: SQLiteDatabase) throws -> [[SQLiteValue]] {
        try db.query("""
            SELECT day, org, team, feature, grant_ids, grant_owner, owner, key_class, model, provider, rejected, consumed,
              requests, tokens_in, tokens_out, tokens_cached, cost_nanos, estimated_requests
            FROM ledger_daily ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
            """)
    }

    /// The rollup holds exactly the ledger's GROUP BY: the same keys (NULL
    /// apart from ''), the same integer sums, no row more or less.
    static func assertMatchesLedger(_ db: SQLiteDatabase, _ message: String = "", file: StaticString = #filePath,
                                    line: UInt = #line) throws {
        let expected = try ledgerGroupBy(db)
        let actual = try rollupRows(db)
        XCTAssertEqual(actual.count, expected.count, "rollup rows vs ledger groups. \(message)", file: file, line: line)
        for (a, e) in zip(actual, expected) where a != e {
            XCTFail("rollup row \(a) != ledger group \(e). \(message)", file: file, line: line)
            return
        }
    }

    /// A copy of the ledger at `path` without the rollup (as a ledger of
    /// schema 2 would be): the reports read its rows.
    static func copyWithoutRollup(_ path: String) throws -> String {
        let copy = path + ".rows-\(UInt32.random(in: 0...UInt32.max)).sqlite"
        let db = try SQLiteDatabase(path: path)
        try db.execute("VACUUM INTO '\(copy)'")
        let other = try SQLiteDatabase(path: copy)
        for trigger in LedgerSchema.rollupTriggers { try other.execute("DROP TRIGGER \(trigger)") }
        try other.execute("DROP TABLE \(LedgerSchema.rollupTable)")
        return copy
    }

    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    }
}
