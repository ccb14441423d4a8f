import CSQLite
import TollgateSQLite
import TollgateSupport
import TollgateJSON
import TollgateUnits

/// Aggregates a spend query in one pass over the ledger, hashing the group
/// keys in memory. SQLite would sort every row to GROUP BY (about 3x slower
/// on a million rows); a report has few groups, so a hash table wins. Reads
/// through the C API so keys are hashed from SQLite's own bytes without a
/// String per row. Read-only; never creates the file.
///
/// A range `[from, to)` on `ts_us` is read in slices on parallel
/// connections (`LedgerScan+Slices.swift`): by rowid in table order when
/// it holds most of the ledger, else by time through the `ts_us` index;
/// the slices' results merge.
package struct LedgerScan {
    let path: String

    package init(path: String) { self.path = path }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `sql` (dimension columns first, then tokens_in, tokens_out,
    /// tokens_cached, cost_nanos, usage_estimated) and groups by the first
    /// `dimensions` columns. With `rowTotal`, the last column is the ledger
    /// row id, and a row scanned several times in a row (a dimension that
    /// joins json_each: its values come one after the other, the ledger
    /// being the outer loop of the join) counts once in `rowTotal`.
    func aggregate(sql: String, bindings: [Int64], dimensions: Int, rowTotal: Bool = false) throws
        -> (groups: [(keys: [SQLiteValue], totals: SpendReport.Totals)], rowTotal: SpendReport.Totals?) {
        var grouping = Grouping(dimensions: dimensions, rowTotal: rowTotal)
        try scan(sql: sql, bindings: bindings) { grouping.add($0) }
        return try grouping.result()
    }

    /// The same for `query` over `range` (its columns: dimensions first,
    /// then the summed ones, then the row id with `rowTotal`), read in
    /// parallel slices (`LedgerScan+Slices.swift`) and merged. From the
    /// daily rollup (`query.source == .daily`, `range` in days) the summed
    /// columns start with the request count: requests, tokens_in,
    /// tokens_out, tokens_cached, cost_nanos, estimated.
    func aggregate(_ query: LedgerQuery, range: LedgerTimeRange, dimensions: Int, rowTotal: Bool = false,
                   slices: Int? = nil, prefer: Plan.Kind? = nil) throws
        -> (groups: [(keys: [SQLiteValue], totals: SpendReport.Totals)], rowTotal: SpendReport.Totals?) {
        let parts = try scanSlices(query, range: range, slices: slices, prefer: prefer,
                                   makeState: { Grouping(dimensions: dimensions, rowTotal: rowTotal,
                                                         counted: query.source == .daily) },
                                   row: { grouping, row in grouping.add(row) })
        var merged = parts[0]
        for part in parts.dropFirst() { merged.merge(part) }
        return try merged.result()
    }

    /// Opens the ledger read-only, prepares `sql`, binds `bindings` to
    /// `?1, ?2, ...` and calls `body` for every row.
    func scan(sql: String, bindings: [Int64], _ body: (Row) throws -> Void) throws {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw Failure(description: "cannot open the ledger \(path): \(message)")
        }
        defer { sqlite3_close(db) }
        sqlite3_busy_timeout(db, 5_000)
        // Read pages in place rather than copying them through the cache.
        sqlite3_exec(db, "PRAGMA mmap_size=4294967296", nil, nil, nil)
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw Failure(description: "cannot query \(path): \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(statement) }
        for (i, value) in bindings.enumerated() { sqlite3_bind_int64(statement, Int32(i + 1), value) }
        let row = Row(statement: statement)
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw Failure(description: "reading \(path) failed: \(String(cString: sqlite3_errmsg(db)))")
            }
            try body(row)
        }
    }

    /// The current row of a scan, read in place (valid only inside the
    /// callback that received it).
    struct Row {
        let statement: OpaquePointer

        @inline(__always) func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
        @inline(__always) func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
        @inline(__always) func isInteger(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_INTEGER }

        func text(_ column: Int32) -> String? {
            guard sqlite3_column_type(statement, column) != SQLITE_NULL,
                  let bytes = sqlite3_column_text(statement, column) else { return nil }
            return String(cString: bytes)
        }

        /// Appends the column's value to a group key (see `KeyBuffer.append`).
        @inline(__always) func appendKey(_ column: Int32, to key: KeyBuffer) {
            if let value = sqlite3_column_value(statement, column) { key.append(value) }
        }

        /// The same, a text read in place (`KeyBuffer.appendInPlace`).
        @inline(__always) func appendKeyInPlace(_ column: Int32, to key: KeyBuffer) {
            if let value = sqlite3_column_value(statement, column) { key.appendInPlace(value) }
        }

        func value(_ column: Int32) -> SQLiteValue {
            switch sqlite3_column_type(statement, column) {
            case SQLITE_NULL: return .null
            case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
            case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
            default:
                guard let text = sqlite3_column_text(statement, column) else { return .null }
                return .text(String(cString: text))
            }
        }
    }
}

/// A half-open range `[from, to)` of `ts_us`, Unix microseconds.
package struct LedgerTimeRange: Equatable, Sendable {
    package var from: Int64
    package var to: Int64
    package init(from: Int64, to: Int64) {
        self.from = from
        self.to = to
    }
}
