import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import TollgateABI
import TollgateSQLite

/// Copies a local ledger file's rows into the shared `tollgate_ledger`,
/// exactly once. The local file is the durable outbox: every row is
/// committed there first (so kill -9 and a database outage lose nothing),
/// and this ships the rows whose id is above the file's watermark:
///
/// 1. read the watermark W (`ledger_meta` 'shipped_seq') and up to
///    `batchRows` rows with id > W, in id order;
/// 2. in ONE PostgreSQL transaction: insert them as (source, seq = id, ...)
///    with ON CONFLICT (source, seq) DO NOTHING, and advance
///    `tollgate_ledger_sources.shipped_seq` to the batch's last id;
/// 3. after that commit, store the new watermark in the local file.
///
/// A crash between 2 and 3 ships the batch again: the primary key makes the
/// second insert a no-op, so a row is in the database once whatever fails
/// where. `source` is a random id stored once in the file (`ledger_meta`
/// 'source'), so two gateways' files never collide.
///
/// Used by the gateway (`PostgresLedgerStore` runs `run` on a thread of its
/// own) and by `tollgate migrate --from-sqlite` (`shipAll`). Blocking: call
/// it from a thread, never from a Swift concurrency task.
package final class PostgresLedgerShipper: @unchecked Sendable {
    package let ledgerPath: String
    private let storage: PostgresStorage
    private let batchRows: Int
    /// The connection to the local file (reads rows, writes the watermark),
    /// used under `lock` only.
    private let db: SQLiteDatabase
    private let lock = NIOLock()
    private var sourceID: String

    /// Rows per batch: under the protocol's 65,535 parameters (37 a row)
    /// and one round trip for most of a busy gateway's 250 ms.
    package static let defaultBatchRows = 1_000

    /// The columns shipped, after (source, seq): the ledger's, in
    /// `LedgerSchema.insert` order.
    static let columns = LedgerRowRules.columns

    /// Opens `ledgerPath` (a ledger file in LedgerSchema; the host's store
    /// created it), gives it a source id if it has none, and checks it
    /// against the database (see `reconcileWithDatabase`).
    package init(ledgerPath: String, storage: PostgresStorage, batchRows: Int = PostgresLedgerShipper.defaultBatchRows) throws {
        self.ledgerPath = ledgerPath
        self.storage = storage
        self.batchRows = batchRows
        db = try SQLiteDatabase(path: ledgerPath)
        let fresh = Self.newSourceID()
        try db.execute("INSERT OR IGNORE INTO ledger_meta(key, value) VALUES ('source', '\(fresh)')")
        sourceID = try db.query("SELECT value FROM ledger_meta WHERE key = 'source'").first?.first?.string ?? fresh
        try reconcileWithDatabase()
    }

    /// This file's id in `tollgate_ledger.source`.
    package var source: String { lock.withLock { sourceID } }

    /// The highest id shipped (the local watermark).
    package var watermark: Int64 { (try? lock.withLock { try readWatermark() }) ?? 0 }

    /// Rows committed locally and not shipped yet.
    package var backlog: Int64 {
        lock.withLock {
            let max = (try? db.query("SELECT COALESCE(max(id), 0) FROM ledger").first?.first?.int64) ?? nil
            return Swift.max(0, (max ?? 0) - ((try? readWatermark()) ?? 0))
        }
    }

    /// A file the database has seen ids beyond (restored from a backup, or
    /// its newest rows deleted) would reuse ids already shipped under its
    /// source, and its new rows would be dropped as duplicates. Checked
    /// when the shipper opens, before the gateway appends: the file's rows
    /// are first shipped under the old source (those the database has are
    /// the same rows, kept once), then the file gets a new source starting
    /// after them, so nothing is lost or counted twice.
    private func reconcileWithDatabase() throws {
        let source = sourceID
        let shipped = try storage.blocking("read the ledger's shipped position") { client in
            try await client.query("SELECT shipped_seq FROM tollgate_ledger_sources WHERE source = \(source)")
                .collect().first?.decode(Int64.self) ?? 0
        }
        let localMax = try db.query("SELECT COALESCE(max(id), 0) FROM ledger").first?.first?.int64 ?? 0
        guard shipped > localMax else { return }
        try shipAll()
        let fresh = Self.newSourceID()
        try db.transaction {
            try db.execute("UPDATE ledger_meta SET value = '\(fresh)' WHERE key = 'source'")
            try writeWatermark(localMax)
        }
        let message = "ledger: \(ledgerPath) is behind what it shipped (the database has its rows up to \(shipped), "
            + "the file up to \(localMax): restored from a backup?); its new rows ship under a new source \(fresh)"
        storage.logger.warning("\(message)")
        sourceID = fresh
    }

    static func newSourceID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max, using: &generator)) }.joined()
    }

    // MARK: shipping

    /// Ships one batch; returns how many rows it held (0: nothing to ship).
    /// `recordWatermark: false` leaves the local watermark where it was, as
    /// a crash after the database's commit would (tests).
    @discardableResult
    package func shipBatch(recordWatermark: Bool = true) throws -> Int {
        try lock.withLock {
            let from = try readWatermark()
            let rows = try readRows(after: from)
            guard let last = rows.last?.seq else { return 0 }
            let source = sourceID
            let query = Self.insert(rows, source: source)
            try storage.blocking("ship \(rows.count) ledger row(s)", timeout: .seconds(30)) { client in
                try await client.withTransaction(logger: self.storage.logger) { connection in
                    try await connection.query(query, logger: self.storage.logger)
                    try await connection.query("""
                        INSERT INTO tollgate_ledger_sources (source, shipped_seq) VALUES (\(source), \(last))
                        ON CONFLICT (source) DO UPDATE SET shipped_seq = GREATEST(tollgate_ledger_sources.shipped_seq, excluded.shipped_seq),
                                                        shipped_at = now()
                        """, logger: self.storage.logger)
                }
            }
            if recordWatermark { try writeWatermark(last) }
            return rows.count
        }
    }

    /// Ships until nothing is left (what was committed locally when it
    /// started, and what arrives meanwhile); returns the rows shipped.
    @discardableResult
    package func shipAll() throws -> Int {
        var total = 0
        while true {
            let shipped = try shipBatch()
            total += shipped
            if shipped < batchRows { return total }
        }
    }

    private func readWatermark() throws -> Int64 {
        let value = try db.query("SELECT value FROM ledger_meta WHERE key = 'shipped_seq'").first?.first?.string
        return value.flatMap { Int64($0) } ?? 0
    }

    private func writeWatermark(_ seq: Int64) throws {
        try db.execute("INSERT INTO ledger_meta(key, value) VALUES ('shipped_seq', '\(seq)') "
            + "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
    }

    struct LocalRow {
        var seq: Int64
        var values: [SQLiteValue]
    }

    private func readRows(after seq: Int64) throws -> [LocalRow] {
        let names = Self.columns.map(\.name).joined(separator: ", ")
        let statement = try db.prepare("SELECT id, \(names) FROM ledger WHERE id > ?1 ORDER BY id LIMIT ?2")
        try statement.bind([.integer(seq), .integer(Int64(batchRows))])
        var rows: [LocalRow] = []
        while try statement.step() {
            let values = statement.row()
            rows.append(LocalRow(seq: values[0].int64 ?? 0, values: Array(values.dropFirst())))
        }
        return rows
    }

    /// One multi-row INSERT ... ON CONFLICT DO NOTHING for `rows`.
    static func insert(_ rows: [LocalRow], source: String) -> PostgresQuery {
        let width = columns.count + 2
        var bindings = PostgresBindings(capacity: rows.count * width)
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() {
            let base = i * width
            tuples.append("(" + (1...width).map { "$\(base + $0)" }.joined(separator: ",") + ")")
            bindings.append(source)
            bindings.append(row.seq)
            for (column, value) in zip(columns, row.values) {
                switch column.kind {
                case .integer, .flag, .requiredInteger:
                    bindings.append(value.integerValue)
                case .text:
                    bindings.append(value.textValue)
                case .requiredText:
                    bindings.append(value.textValue ?? "")
                case .tags:
                    bindings.append(value.textValue ?? "{}")
                case .idList:
                    bindings.append(value.textValue ?? "[]")
                }
            }
        }
        let names = columns.map(\.name).joined(separator: ", ")
        return PostgresQuery(unsafeSQL: "INSERT INTO tollgate_ledger (source, seq, \(names)) VALUES "
            + tuples.joined(separator: ",") + " ON CONFLICT (source, seq) DO NOTHING", binds: bindings)
    }
}

extension SQLiteValue {
    /// A whole number as the ledger's integer columns hold it.
    var integerValue: Int64 {
        switch self {
        case .integer(let n): return n
        case .real(let d): return Int64(exactly: d.rounded()) ?? 0
        case .text(let s): return Int64(s) ?? 0
        case .null: return 0
        }
    }

    var textValue: String? {
        switch self {
        case .text(let s): return s
        case .integer(let n): return String(n)
        case .real(let d): return String(d)
        case .null: return nil
        }
    }
}
