import CSQLite

/// A prepared statement; reuse it with reset() + bind for speed.
public final class SQLiteStatement {
    let handle: OpaquePointer
    let database: SQLiteDatabase
    let sql: String
    /// The number of ?N parameters.
    let parameterCount: Int

    init(database: SQLiteDatabase, sql: String) throws {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(database.handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else { throw SQLiteError(code: code, db: database.handle, sql: sql) }
        self.handle = statement
        self.database = database
        self.sql = sql
        parameterCount = Int(sqlite3_bind_parameter_count(statement))
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears previous bindings and binds `values` to ?1, ?2, ...
    /// Text is bound with its length from the string's own UTF-8 storage
    /// (SQLite copies it): no C-string copy per value, and a NUL inside a
    /// value is kept rather than ending it.
    public func bind(_ values: [SQLiteValue]) throws {
        sqlite3_reset(handle)
        // Parameters left out must not keep an earlier run's values; when
        // every one is bound again there is nothing to clear.
        if values.count < parameterCount { sqlite3_clear_bindings(handle) }
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let code: Int32
            switch value {
            case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
            case .real(let v): code = sqlite3_bind_double(handle, index, v)
            case .null: code = sqlite3_bind_null(handle, index)
            case .text(var v):
                code = v.withUTF8 { bytes in
                    // A NULL pointer would bind NULL, not "".
                    guard let base = bytes.baseAddress, bytes.count > 0 else {
                        return sqlite3_bind_text64(handle, index, "", 0, tg_sqlite_transient(), UInt8(SQLITE_UTF8))
                    }
                    return sqlite3_bind_text64(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                                               UInt64(bytes.count), tg_sqlite_transient(), UInt8(SQLITE_UTF8))
                }
            }
            guard code == SQLITE_OK else { throw SQLiteError(code: code, db: database.handle, sql: sql) }
        }
    }

    /// Advances; true while there is a row to read.
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(code: code, db: database.handle, sql: sql)
        }
    }

    /// Binds, runs to completion, and resets.
    public func run(_ values: [SQLiteValue] = []) throws {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    public func value(at column: Int) -> SQLiteValue {
        let c = Int32(column)
        switch sqlite3_column_type(handle, c) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, c))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, c))
        case SQLITE_NULL: return .null
        default:
            return string(at: column).map { .text($0) } ?? .null
        }
    }

    public func int64(at column: Int) -> Int64 { sqlite3_column_int64(handle, Int32(column)) }

    /// The column's text, all of its bytes (a NUL inside is kept).
    public func string(at column: Int) -> String? {
        let c = Int32(column)
        guard let text = sqlite3_column_text(handle, c) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, c))), as: UTF8.self)
    }

    public func row() -> [SQLiteValue] { (0..<columnCount).map(value(at:)) }
}
