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
package struct LedgerScan {
    let path: String

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

        var index: [[UInt8]: Int] = [:]
        var groups: [(keys: [SQLiteValue], totals: SpendReport.Totals)] = []
        var key: [UInt8] = []
        key.reserveCapacity(256)
        var overflow = false
        var total = SpendReport.Totals()
        var lastRowID: Int64?
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw Failure(description: "reading \(path) failed: \(String(cString: sqlite3_errmsg(db)))")
            }
            key.removeAll(keepingCapacity: true)
            for column in 0..<Int32(dimensions) { Self.appendKey(statement, column, to: &key) }
            let group: Int
            if let existing = index[key] {
                group = existing
            } else {
                group = groups.count
                index[key] = group
                groups.append(((0..<Int32(dimensions)).map { Self.value(statement, $0) }, SpendReport.Totals()))
            }
            let n = Int32(dimensions)
            func add(_ a: inout Int64, _ column: Int32) {
                let (sum, o) = a.addingReportingOverflow(sqlite3_column_int64(statement, column))
                a = sum
                overflow = overflow || o
            }
            groups[group].totals.requests += 1
            add(&groups[group].totals.tokensIn, n)
            add(&groups[group].totals.tokensOut, n + 1)
            add(&groups[group].totals.tokensCached, n + 2)
            add(&groups[group].totals.costNanos, n + 3)
            add(&groups[group].totals.estimatedRequests, n + 4)
            if rowTotal {
                let rowID = sqlite3_column_int64(statement, n + 5)
                if rowID != lastRowID {
                    lastRowID = rowID
                    total.requests += 1
                    add(&total.tokensIn, n)
                    add(&total.tokensOut, n + 1)
                    add(&total.tokensCached, n + 2)
                    add(&total.costNanos, n + 3)
                    add(&total.estimatedRequests, n + 4)
                }
            }
        }
        if overflow { throw SpendReport.Overflow() }
        return (groups, rowTotal ? total : nil)
    }

    /// Type tag, then the value's bytes (length-prefixed for text), so
    /// NULL, 1 and "1" are different keys.
    private static func appendKey(_ statement: OpaquePointer, _ column: Int32, to key: inout [UInt8]) {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_NULL:
            key.append(0)
        case SQLITE_INTEGER:
            key.append(1)
            withUnsafeBytes(of: sqlite3_column_int64(statement, column)) { key.append(contentsOf: $0) }
        default:
            key.append(2)
            let bytes = sqlite3_column_text(statement, column)
            let count = Int(sqlite3_column_bytes(statement, column))
            withUnsafeBytes(of: UInt32(count)) { key.append(contentsOf: $0) }
            if let bytes, count > 0 { key.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count)) }
        }
    }

    private static func value(_ statement: OpaquePointer, _ column: Int32) -> SQLiteValue {
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
