import NIOConcurrencyHelpers
import TollgateSQLite
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// Spent per counter name and window start in SQLite (WAL), written through
/// the one GroupCommitWriter: a settle is an additive upsert, so batches
/// commute and group commit needs no ordering between requests.
/// Reservations are never written: those of a dead process are void.
package final class SpentJournal: SpentPersistence, @unchecked Sendable {
    package let path: String
    package let writer: GroupCommitWriter
    private let readLock = NIOLock()
    private let upsert = UpsertCache()
    private let reader: SQLiteDatabase
    private var closed = false

    static let schema = """
        CREATE TABLE IF NOT EXISTS counter_spent (
            name TEXT NOT NULL,
            window_start INTEGER NOT NULL,
            spent INTEGER NOT NULL,
            PRIMARY KEY (name, window_start)
        ) WITHOUT ROWID
        """

    package init(path: String, durability: SQLiteDatabase.Durability = .processCrashSafe,
                onError: @escaping @Sendable (Error) -> Void = { _ in }) throws {
        self.path = path
        writer = try GroupCommitWriter(path: path, durability: durability, setup: { try $0.execute(SpentJournal.schema) },
                                       onError: onError)
        reader = try SQLiteDatabase(path: path, durability: durability)
    }

    package func loadSpent(name: String, windowStart: Int64) throws -> Int64 {
        try readLock.withLock {
            let rows = try reader.query("SELECT spent FROM counter_spent WHERE name = ?1 AND window_start = ?2",
                                        [.text(name), .integer(windowStart)])
            return rows.first?.first?.int64 ?? 0
        }
    }

    /// Every (name, window start, spent) row, for tools and tests.
    package func allRows() throws -> [SpentEntry] {
        try readLock.withLock {
            try reader.query("SELECT name, window_start, spent FROM counter_spent ORDER BY name, window_start").map {
                SpentEntry(name: $0[0].string ?? "", windowStart: $0[1].int64 ?? 0, amount: $0[2].int64 ?? 0)
            }
        }
    }

    package func record(_ entries: [SpentEntry]) throws -> DurableTicket? {
        guard !entries.isEmpty else { return nil }
        let ticket: UInt64? = readLock.withLock {
            guard !closed else { return nil }
            let upsert = self.upsert
            return writer.enqueue { db in
                let statement = try upsert.statement(on: db)
                for entry in entries {
                    try statement.run([.text(entry.name), .integer(entry.windowStart), .integer(entry.amount)])
                }
            }
        }
        guard let ticket else { throw CounterStoreError.unavailable("the counter journal is closed") }
        return DurableTicket(writer: writer, ticket: ticket)
    }

    package func close() {
        let first: Bool = readLock.withLock {
            defer { closed = true }
            return !closed
        }
        if first { writer.close() }
    }
}

/// The prepared upsert, made once on the writer thread's connection and
/// only ever touched by that thread.
private final class UpsertCache: @unchecked Sendable {
    private var cached: SQLiteStatement?

    func statement(on db: SQLiteDatabase) throws -> SQLiteStatement {
        if let cached { return cached }
        let statement = try db.prepare("""
            INSERT INTO counter_spent (name, window_start, spent) VALUES (?1, ?2, ?3)
            ON CONFLICT (name, window_start) DO UPDATE SET spent = spent + excluded.spent
            """)
        cached = statement
        return statement
    }
}
