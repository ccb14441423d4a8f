#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import TollgateABI
import TollgateLedger
import TollgateSQLite

/// The chargeback ledger in a SQLite file in WAL mode, written by one
/// thread with group commit (docs/ledger.md). `append` never blocks a hook
/// on disk; `close` commits everything queued (SIGTERM loses nothing), and
/// a committed row survives a kill -9 (synchronous=NORMAL in WAL mode).
/// Opening a file an older version wrote migrates it in place (`prepare`).
package final class SQLiteLedgerStore: LedgerStore, @unchecked Sendable {
    package let path: String
    /// What opening the file did to an older ledger (nil when it was new
    /// or current).
    package let migration: Migration?
    package let writer: GroupCommitWriter
    private let open = NIOLockedValueBox(true)
    /// Touched only on the writer thread.
    private let insert = PreparedInsert()

    /// Opens (creating, or migrating) the ledger at `path`; `onError` hears
    /// every write the writer could not commit (a row lost: log and count it).
    package init(path: String, onError: @escaping @Sendable (Error) -> Void) throws {
        self.path = path
        var migration: Migration?
        writer = try GroupCommitWriter(path: path, setup: { db in migration = try Self.prepare(db) }, onError: onError)
        self.migration = migration
    }

    /// What a migration did: the columns it added, the daily rollup it
    /// built from the rows already written (its row count), if it did, and
    /// whether it built the capacity index (schema 4).
    package struct Migration: Equatable, Sendable {
        package var addedColumns: [String]
        package var rollupRows: Int64?
        package var builtCapacityIndex = false
        package var milliseconds: Int64

        package var summary: String {
            var parts: [String] = []
            if !addedColumns.isEmpty { parts.append("added \(addedColumns.joined(separator: ", "))") }
            if let rollupRows {
                parts.append("built the daily rollup from the rows: \(rollupRows) rollup row(s) in \(milliseconds) ms")
            }
            if builtCapacityIndex {
                parts.append(rollupRows == nil ? "built the capacity index from the rows in \(milliseconds) ms" : "built the capacity index")
            }
            return parts.joined(separator: "; ")
        }
    }

    /// Creates the ledger in a new file, or brings one an older version
    /// wrote up to `LedgerSchema.version` in place (new columns added, the
    /// daily rollup built from the rows; every row kept), in one
    /// transaction. Returns what the migration did (nil when nothing).
    @discardableResult
    package static func prepare(_ db: SQLiteDatabase) throws -> Migration? {
        let columns = try db.query(LedgerSchema.columnsQuery).compactMap { $0.count > 1 ? $0[1].string : nil }
        let objects = try db.query(LedgerSchema.objectsQuery).compactMap { $0.first?.string }
        let statements = LedgerSchema.migration(existingColumns: columns, existingObjects: objects)
        let start = nowMicros()
        var migration: Migration?
        try db.transaction {
            for statement in statements { try db.execute(statement) }
            try db.execute(LedgerSchema.createStatements)
            if !statements.isEmpty {
                let builtRollup = !LedgerSchema.hasRollup(existingObjects: objects)
                let rows = builtRollup ? try db.query("SELECT count(*) FROM \(LedgerSchema.rollupTable)").first?.first : nil
                migration = Migration(addedColumns: LedgerSchema.addedColumns.map(\.name).filter { !columns.contains($0) },
                                      rollupRows: rows.flatMap { if case .integer(let n) = $0 { return n } else { return nil } },
                                      builtCapacityIndex: !LedgerSchema.hasCapacityIndex(existingObjects: objects),
                                      milliseconds: (nowMicros() - start) / 1_000)
            }
        }
        return migration
    }

    package func append(_ row: LedgerRowRules.Row) -> LedgerTicket? {
        let insert = self.insert
        let bindings = row.sqliteBindings
        return open.withLockedValue { isOpen in
            guard isOpen else { return nil }
            return LedgerTicket(writer: writer, ticket: writer.enqueue { db in try insert.run(bindings, on: db) })
        }
    }

    /// Queues work on the ledger's writer (the shipper's watermark), or
    /// nil once closed.
    package func enqueue(_ work: @escaping GroupCommitWriter.Work) -> UInt64? {
        open.withLockedValue { isOpen in isOpen ? writer.enqueue(work) : nil }
    }

    /// Blocks until every row queued so far is committed.
    package func flush() { writer.flush() }

    package var pendingCount: Int { writer.pendingCount }

    package func readablePath() throws -> String {
        // A writer that cannot commit (disk full, the file locked) would
        // hold the reader — an event loop, for a plugin route — until it
        // can: the reader is told instead.
        if let failure = GroupCommitWriter.failure { throw LedgerStoreError("the ledger cannot be read now: \(failure)") }
        flush()
        return path
    }

    /// Commits what is queued and stops the writer. Idempotent.
    package func close() {
        let wasOpen = open.withLockedValue { isOpen -> Bool in
            defer { isOpen = false }
            return isOpen
        }
        if wasOpen { writer.close() }
    }

    /// Unix microseconds now.
    package static func nowMicros() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }
}

extension LedgerRowRules.Row {
    /// ?1...?35 of `LedgerSchema.insert` (the rules list the columns in its order).
    package var sqliteBindings: [SQLiteValue] {
        values.map { value in
            switch value {
            case .null: return .null
            case .integer(let n): return .integer(n)
            case .text(let s): return .text(s)
            }
        }
    }
}

/// The insert statement, prepared once on the writer thread.
private final class PreparedInsert: @unchecked Sendable {
    private var statement: SQLiteStatement?
    private weak var database: SQLiteDatabase?

    func run(_ bindings: [SQLiteValue], on db: SQLiteDatabase) throws {
        if statement == nil || database !== db {
            statement = try db.prepare(LedgerSchema.insert)
            database = db
        }
        try statement!.run(bindings)
    }
}
