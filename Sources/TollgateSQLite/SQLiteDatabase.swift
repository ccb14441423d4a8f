import CSQLite

/// One SQLite connection. Not thread-safe: a connection belongs to one
/// thread at a time (the writer thread, or a reader's).
public final class SQLiteDatabase {
    public let path: String
    let handle: OpaquePointer

    public enum Durability: Sendable {
        /// WAL with synchronous=NORMAL: a committed transaction survives a
        /// crash of the process (kill -9); an OS crash may lose the last ones.
        case processCrashSafe
        /// WAL with synchronous=FULL: a committed transaction also survives
        /// an OS crash or power loss, at an fsync per commit.
        case powerLossSafe
    }

    public init(path: String, readOnly: Bool = false, durability: Durability = .processCrashSafe) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let code = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let db else {
            let error = SQLiteError(code: code, db: db, sql: nil)
            sqlite3_close(db)
            throw error
        }
        handle = db
        sqlite3_busy_timeout(db, 5_000)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
            try execute(durability == .powerLossSafe ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        }
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &error)
        if code != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(error)
            throw SQLiteError(code: code, message: message, sql: sql)
        }
    }

    public func prepare(_ sql: String) throws -> SQLiteStatement {
        try SQLiteStatement(database: self, sql: sql)
    }

    /// Runs `sql` with `bindings` and collects every row.
    public func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        var rows: [[SQLiteValue]] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` in a transaction: committed if it returns, rolled back if
    /// it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

extension SQLiteError {
    init(code: Int32, message: String, sql: String?) {
        self.code = code
        self.message = message
        self.sql = sql
    }
}

/// A value in or out of SQLite.
public enum SQLiteValue: Equatable, Sendable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null

    public var int64: Int64? {
        if case .integer(let v) = self { return v }
        return nil
    }

    public var string: String? {
        if case .text(let v) = self { return v }
        return nil
    }
}
