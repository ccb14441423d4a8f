import TollgateABI
import TollgateSQLite

/// Where the chargeback ledger's rows go (ABI 1.6 `ledger_append`) and
/// where readers find them (`ledger_read`, the reports, the dashboard).
/// The host opens one at start from `TollgateConfig.ledgerPath` and keeps
/// it across reloads, like the counter store. Two implementations:
/// `SQLiteLedgerStore` (the ledger file; storage.backend sqlite) and
/// TollgatePostgres's `PostgresLedgerStore` (that file as a durable outbox
/// shipped to the shared database, read through a synced local copy).
package protocol LedgerStore: AnyObject, Sendable {
    /// The local ledger file every row is committed to first.
    var path: String { get }

    /// Queues a validated row for the writer (group commit); never waits
    /// on I/O. The ticket lets a running call wait for the commit; nil
    /// once the store is closed (the row is not written).
    func append(_ row: LedgerRowRules.Row) -> LedgerTicket?

    /// Makes every row appended so far readable and returns the path of a
    /// SQLite file in the ledger's schema to open read-only: the ledger
    /// file once committed (sqlite), or the synced read copy (postgres).
    /// Blocks (a commit; on postgres a ship and a sync, within a deadline).
    func readablePath() throws -> String

    /// Commits everything queued (and on postgres ships what it can) and
    /// stops. Idempotent.
    func close()
}

/// A row's place in the writer's queue: `writer.notifyWhenCommitted(ticket)`.
package struct LedgerTicket {
    package var writer: GroupCommitWriter
    package var ticket: UInt64
}

/// Why a ledger could not be read or written.
package struct LedgerStoreError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
