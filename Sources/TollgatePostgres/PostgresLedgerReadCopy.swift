import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import TollgateABI
import TollgateHost
import TollgateLedger
import TollgateSQLite

/// The shared ledger as a local SQLite file in LedgerSchema, for readers:
/// the reports, the dashboard and plugins (ledger_read) read a ledger file,
/// whichever backend holds the books. `sync` pulls what the database holds
/// beyond the copy: for each source whose `shipped_seq` passed the copy's
/// watermark for it (`ledger_copy_sources`), the rows `seq > watermark AND
/// seq <= shipped_seq` in seq order, in batches, each inserted with its new
/// watermark in one local transaction — so the copy holds every shipped
/// row once, its daily rollup kept by LedgerSchema's triggers.
///
/// Several processes may sync one copy (the gateway and a CLI report on
/// the same storage.dir): each batch re-reads the watermark inside its
/// write transaction and drops a batch another process already applied.
package final class PostgresLedgerReadCopy: @unchecked Sendable {
    package let path: String
    private let storage: PostgresStorage
    private let db: SQLiteDatabase
    private let lock = NIOLock()
    private let batchRows: Int

    /// The file name under storage.dir.
    package static let fileName = "ledger-shared.sqlite"

    package init(path: String, storage: PostgresStorage, batchRows: Int = 5_000) throws {
        self.path = path
        self.storage = storage
        self.batchRows = batchRows
        db = try SQLiteDatabase(path: path)
        try SQLiteLedgerStore.prepare(db)
        try db.execute("CREATE TABLE IF NOT EXISTS ledger_copy_sources (source TEXT PRIMARY KEY, seq INTEGER NOT NULL)")
    }

    /// Brings the copy up to what the database holds now; returns the rows
    /// it added. Blocks (one query per source with news, one per batch).
    @discardableResult
    package func sync() throws -> Int {
        try lock.withLock {
            let shipped: [(String, Int64)] = try storage.blocking("read the shared ledger's sources") { client in
                var sources: [(String, Int64)] = []
                for try await row in try await client.query("SELECT source, shipped_seq FROM tollgate_ledger_sources")
                    .decode((String, Int64).self) {
                    sources.append(row)
                }
                return sources
            }
            var added = 0
            for (source, upTo) in shipped {
                while true {
                    let after = try watermark(source)
                    guard after < upTo else { break }
                    let rows = try fetch(source: source, after: after, upTo: upTo)
                    // The rows up to upTo are all there (they were committed
                    // with it); the last batch moves the watermark to upTo.
                    let newMark = rows.count < batchRows ? upTo : rows.last!.seq
                    added += try apply(rows, source: source, from: after, to: newMark)
                }
            }
            return added
        }
    }

    /// How many rows the copy holds.
    package func count() throws -> Int64 {
        try lock.withLock { try db.query("SELECT count(*) FROM ledger").first?.first?.int64 ?? 0 }
    }

    private func watermark(_ source: String) throws -> Int64 {
        try db.query("SELECT seq FROM ledger_copy_sources WHERE source = ?1", [.text(source)]).first?.first?.int64 ?? 0
    }

    struct SharedRow: Sendable {
        var seq: Int64
        var values: [SQLiteValue]
    }

    private func fetch(source: String, after: Int64, upTo: Int64) throws -> [SharedRow] {
        let columns = LedgerRowRules.columns
        let names = columns.map(\.name).joined(separator: ", ")
        let limit = Int64(batchRows)
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(source)
        bindings.append(after)
        bindings.append(upTo)
        bindings.append(limit)
        let query = PostgresQuery(unsafeSQL: "SELECT seq, \(names) FROM tollgate_ledger WHERE source = $1 AND seq > $2 AND seq <= $3 "
            + "ORDER BY seq LIMIT $4", binds: bindings)
        return try storage.blocking("read the shared ledger's rows", timeout: .seconds(30)) { client in
            var rows: [SharedRow] = []
            for try await row in try await client.query(query) {
                let cells = row.makeRandomAccess()
                var values: [SQLiteValue] = []
                values.reserveCapacity(columns.count)
                for (i, column) in columns.enumerated() {
                    let cell = cells[i + 1]
                    switch column.kind {
                    case .integer, .flag, .requiredInteger:
                        values.append(.integer(try cell.decode(Int64.self)))
                    default:
                        values.append(try cell.decode(String?.self).map(SQLiteValue.text) ?? .null)
                    }
                }
                rows.append(SharedRow(seq: try cells[0].decode(Int64.self), values: values))
            }
            return rows
        }
    }

    /// Inserts `rows` and moves the source's watermark from `from` to `to`,
    /// in one transaction; nothing when another process moved it first.
    private func apply(_ rows: [SharedRow], source: String, from: Int64, to: Int64) throws -> Int {
        try db.transaction {
            guard try watermark(source) == from else { return 0 }
            let insert = try db.prepare(LedgerSchema.insert)
            for row in rows { try insert.run(row.values) }
            try db.execute("INSERT INTO ledger_copy_sources(source, seq) VALUES ('\(source.replacingOccurrences(of: "'", with: "''"))', \(to)) "
                + "ON CONFLICT(source) DO UPDATE SET seq = excluded.seq")
            return rows.count
        }
    }
}
