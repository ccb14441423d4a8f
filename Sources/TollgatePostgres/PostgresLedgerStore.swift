import Foundation
import Logging
import NIOConcurrencyHelpers
import TollgateABI
import TollgateHost

/// The ledger with `storage.backend: postgres`: rows are committed to the
/// local ledger file first (the durable outbox: `SQLiteLedgerStore`, the
/// same file, schema and group commit as on SQLite), and a shipper thread
/// copies them to `tollgate_ledger` exactly once (PostgresLedgerShipper):
/// every `shipInterval`, or at once when `wakeAfterRows` rows wait. A
/// database outage only delays shipping (logged once, retried with a
/// growing pause); nothing is dropped. Readers get the read copy
/// (PostgresLedgerReadCopy), synced on demand and in the background.
package final class PostgresLedgerStore: LedgerStore, @unchecked Sendable {
    package let local: SQLiteLedgerStore
    package let shipper: PostgresLedgerShipper
    package let readCopy: PostgresLedgerReadCopy
    private let logger: Logger
    private let metrics: ShippingMetrics?
    private let condition = NSCondition()
    private var stopping = false
    private var waiting = 0
    private var thread: Thread?
    private let stopped = DispatchSemaphore(value: 0)

    package static let shipInterval: TimeInterval = 0.25
    package static let wakeAfterRows = 500
    /// The read copy is synced in the background this often, so a reader's
    /// own sync has only the last seconds to pull.
    package static let readCopyInterval: TimeInterval = 5
    /// The longest pause between two attempts while the database fails.
    package static let maxBackoff: TimeInterval = 30

    package var path: String { local.path }

    /// Opens the local ledger at `path` and the read copy at `readCopyPath`
    /// (storage.dir/ledger-shared.sqlite), and starts shipping.
    package init(path: String, readCopyPath: String, storage: PostgresStorage, metrics: GatewayMetrics?, logger: Logger) throws {
        local = try SQLiteLedgerStore.open(path: path, metrics: metrics, logger: logger)
        do {
            shipper = try PostgresLedgerShipper(ledgerPath: path, storage: storage)
            readCopy = try PostgresLedgerReadCopy(path: readCopyPath, storage: storage)
        } catch {
            local.close()
            throw LedgerStoreError("cannot open the shared ledger (PostgreSQL at \(storage.target)): \(error)")
        }
        self.logger = logger
        self.metrics = metrics.flatMap { try? ShippingMetrics($0) }
        let thread = Thread { [self] in run() }
        thread.name = "tollgate-ledger-shipper"
        self.thread = thread
        thread.start()
    }

    package func append(_ row: LedgerRowRules.Row) -> LedgerTicket? {
        guard let ticket = local.append(row) else { return nil }
        condition.lock()
        waiting += 1
        if waiting >= Self.wakeAfterRows { condition.signal() }
        condition.unlock()
        return ticket
    }

    /// Commits what is queued, ships it, and syncs the read copy: every row
    /// appended so far (here, and shipped by the other gateways) is then in
    /// the file returned.
    package func readablePath() throws -> String {
        _ = try local.readablePath()  // flushed, unless the local file cannot commit (then: refused)
        do {
            try shipper.shipAll()
            try readCopy.sync()
        } catch {
            throw LedgerStoreError("the shared ledger cannot be read now: \(error)")
        }
        return readCopy.path
    }

    /// Commits what is queued, stops the shipper after a last attempt to
    /// ship (what it cannot ship waits in the file for the next start).
    package func close() {
        local.close()
        condition.lock()
        let wasRunning = !stopping
        stopping = true
        condition.signal()
        condition.unlock()
        guard wasRunning, thread != nil else { return }
        _ = stopped.wait(timeout: .now() + .seconds(15))
    }

    // MARK: the shipper thread

    private func run() {
        var backoff: TimeInterval = 0
        var failingSince: Date?
        var lastCopySync = Date()
        while true {
            condition.lock()
            let pause = backoff > 0 ? backoff : Self.shipInterval
            if !stopping && waiting < Self.wakeAfterRows {
                _ = condition.wait(until: Date(timeIntervalSinceNow: pause))
            }
            let finishing = stopping
            waiting = 0
            condition.unlock()
            do {
                let shipped = try shipper.shipAll()
                if shipped > 0 { metrics?.shipped(shipped) }
                if let since = failingSince {
                    logger.notice("ledger: shipping to PostgreSQL again after \(Int(Date().timeIntervalSince(since))) s; the rows that waited are shipped")
                    failingSince = nil
                }
                backoff = 0
            } catch {
                metrics?.failed()
                if failingSince == nil {
                    failingSince = Date()
                    logger.error("ledger: cannot ship to PostgreSQL (\(error)); the rows wait in \(local.path) and ship when it answers (nothing is dropped)")
                }
                backoff = min(Self.maxBackoff, max(1, backoff * 2))
            }
            metrics?.backlog(shipper.backlog)
            if finishing { break }
            if failingSince == nil, Date().timeIntervalSince(lastCopySync) >= Self.readCopyInterval {
                lastCopySync = Date()
                do { try readCopy.sync() } catch { logger.debug("ledger: read copy not synced: \(error)") }
            }
        }
        stopped.signal()
    }
}

/// tollgate_ledger_shipped_rows_total, tollgate_ledger_ship_errors_total,
/// tollgate_ledger_unshipped_rows.
private struct ShippingMetrics {
    let metrics: GatewayMetrics
    let shippedID, errorsID, backlogID: UInt32

    init(_ metrics: GatewayMetrics) throws {
        self.metrics = metrics
        shippedID = try metrics.define(kind: .counter, name: "tollgate_ledger_shipped_rows_total",
                                       help: "Ledger rows shipped from this gateway's ledger file to PostgreSQL", labelNames: [])
        errorsID = try metrics.define(kind: .counter, name: "tollgate_ledger_ship_errors_total",
                                      help: "Attempts to ship ledger rows to PostgreSQL that failed (the rows wait and are retried)",
                                      labelNames: [])
        backlogID = try metrics.define(kind: .gauge, name: "tollgate_ledger_unshipped_rows",
                                       help: "Ledger rows committed locally and not shipped to PostgreSQL yet", labelNames: [])
    }

    func shipped(_ rows: Int) { _ = metrics.record(id: shippedID, labelValues: [], value: Double(rows)) }
    func failed() { _ = metrics.record(id: errorsID, labelValues: [], value: 1) }
    func backlog(_ rows: Int64) { _ = metrics.record(id: backlogID, labelValues: [], value: Double(rows)) }
}
