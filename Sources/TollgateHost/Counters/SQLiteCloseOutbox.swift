import Foundation
import NIOConcurrencyHelpers
import TollgateSQLite

/// The outbox of a gateway on shared counters, in `storage.dir/counters.db`
/// (table `shared_pending_closes`): a settle the database could not take
/// survives a restart of this gateway and is retried then. Written only
/// when the database failed, so a synchronous write is fine.
package final class SQLiteCloseOutbox: SharedCloseOutbox, @unchecked Sendable {
    private let lock = NIOLock()
    private let db: SQLiteDatabase

    package init(path: String) throws {
        db = try SQLiteDatabase(path: path)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS shared_pending_closes (
                id TEXT PRIMARY KEY, body TEXT NOT NULL, queued_at INTEGER NOT NULL)
            """)
    }

    package func put(_ close: PendingClose) throws {
        let body = String(decoding: try JSONEncoder().encode(close), as: UTF8.self)
        try lock.withLock {
            _ = try db.query("INSERT OR REPLACE INTO shared_pending_closes (id, body, queued_at) VALUES (?1, ?2, ?3)",
                             [.text(close.id), .text(body), .integer(Int64(Date().timeIntervalSince1970))])
        }
    }

    package func remove(_ id: String) throws {
        try lock.withLock { _ = try db.query("DELETE FROM shared_pending_closes WHERE id = ?1", [.text(id)]) }
    }

    package func all() throws -> [PendingClose] {
        let rows = try lock.withLock { try db.query("SELECT body FROM shared_pending_closes ORDER BY queued_at, id") }
        return try rows.compactMap { row in
            guard let body = row.first?.string else { return nil }
            return try JSONDecoder().decode(PendingClose.self, from: Data(body.utf8))
        }
    }
}
