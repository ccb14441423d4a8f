import CSQLite

/// A failed SQLite call, with SQLite's own message and the statement.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var message: String
    public var sql: String?

    public var description: String {
        "SQLite error \(code): \(message)" + (sql.map { " (in: \($0.prefix(120)))" } ?? "")
    }

    init(code: Int32, db: OpaquePointer?, sql: String? = nil) {
        self.code = code
        self.message = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
        self.sql = sql
    }
}
