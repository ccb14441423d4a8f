import Foundation
import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateSQLite
import TollgateConfig

/// `governance.sqlite` in the storage directory: one table of events,
/// written with synchronous=FULL (a decision a person made must survive a
/// power loss, and they are rare).
package final class SQLiteGovernanceStore: GovernanceStore, @unchecked Sendable {
    private let lock = NIOLock()
    private let db: SQLiteDatabase

    package static let fileName = "governance.sqlite"

    package init(directory: String, readOnly: Bool = false) throws {
        let path = directory + "/" + Self.fileName
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else { throw GovernanceError.notFound("no \(path)") }
            db = try SQLiteDatabase(path: path, readOnly: true)
            return
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        db = try SQLiteDatabase(path: path, durability: .powerLossSafe)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS governance_events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                at INTEGER NOT NULL,
                actor TEXT NOT NULL,
                kind TEXT NOT NULL,
                subject TEXT NOT NULL,
                body TEXT NOT NULL,
                prev_hash TEXT NOT NULL DEFAULT '',
                hash TEXT NOT NULL DEFAULT ''
            )
            """)
        try chainUnchainedEvents()
    }

    /// A log written before events were chained (an early build of this
    /// store) gets the columns, and its events their hashes, once.
    private func chainUnchainedEvents() throws {
        let columns = try db.query("PRAGMA table_info(governance_events)").compactMap { $0[1].string }
        if !columns.contains("hash") {
            try db.execute("ALTER TABLE governance_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''; "
                           + "ALTER TABLE governance_events ADD COLUMN hash TEXT NOT NULL DEFAULT ''")
        }
        let unchained = try db.query("SELECT count(*) FROM governance_events WHERE hash = ''").first?[0].int64 ?? 0
        guard unchained > 0 else { return }
        try db.transaction {
            var previous = ""
            for row in try db.query("SELECT seq, at, actor, kind, subject, body, hash FROM governance_events ORDER BY seq") {
                let sequence = row[0].int64 ?? 0
                var hash = row[6].string ?? ""
                if hash.isEmpty {
                    hash = GovernanceEvent.chainHash(previous: previous, sequence: sequence, at: row[1].int64 ?? 0, actor: row[2].string ?? "",
                                                     kind: row[3].string ?? "", subject: row[4].string ?? "", body: row[5].string ?? "")
                    _ = try db.query("UPDATE governance_events SET prev_hash = ?, hash = ? WHERE seq = ?",
                                     [.text(previous), .text(hash), .integer(sequence)])
                }
                previous = hash
            }
        }
    }

    package func events(after sequence: Int64) throws -> [GovernanceEvent] {
        try lock.withLock {
            try db.query("SELECT seq, at, actor, kind, subject, body, prev_hash, hash FROM governance_events WHERE seq > ? ORDER BY seq",
                         [.integer(sequence)]).map { row in
                guard let kind = row[3].string.flatMap(GovernanceEvent.Kind.init(rawValue:)),
                      let body = row[5].string.flatMap({ try? JSONValue.parse($0) }) else {
                    throw GovernanceError.corrupt("governance event \(row[0].int64 ?? 0) cannot be read")
                }
                var event = GovernanceEvent(at: row[1].int64 ?? 0, actor: row[2].string ?? "", kind: kind,
                                            subject: row[4].string ?? "", body: body)
                event.sequence = row[0].int64 ?? 0
                event.previousHash = row[6].string ?? ""
                event.hash = row[7].string ?? ""
                return event
            }
        }
    }

    package func append(_ event: GovernanceEvent, after position: GovernanceLogPosition) throws -> GovernanceEvent {
        try lock.withLock {
            try db.transaction {
                let last = try db.query("SELECT seq, hash FROM governance_events ORDER BY seq DESC LIMIT 1").first
                // One writer (this process): a mismatch is a registry that
                // missed an event, told to catch up.
                guard (last?[0].int64 ?? 0) == position.sequence else { throw GovernanceAppendConflict(position: position) }
                var stored = event
                stored.sequence = (last?[0].int64 ?? 0) + 1
                stored.previousHash = last?[1].string ?? ""
                let body = event.body.jsonString
                stored.hash = GovernanceEvent.chainHash(previous: stored.previousHash, sequence: stored.sequence, at: event.at,
                                                        actor: event.actor, kind: event.kind.rawValue, subject: event.subject, body: body)
                _ = try db.query("INSERT INTO governance_events (seq, at, actor, kind, subject, body, prev_hash, hash) "
                                 + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 [.integer(stored.sequence), .integer(event.at), .text(event.actor), .text(event.kind.rawValue),
                                  .text(event.subject), .text(body), .text(stored.previousHash), .text(stored.hash)])
                return stored
            }
        }
    }

    package func verify() throws -> ChainVerification {
        ChainVerification.check(try storedRows())
    }

    /// Every event as stored (sequence, at, actor, kind, subject, body
    /// text, previous hash, hash): what the hashes were computed over, for
    /// the chain check and for copying the log elsewhere unchanged.
    package func storedRows() throws -> [GovernanceEvent.StoredRow] {
        try lock.withLock {
            let rows = try db.query("SELECT seq, at, actor, kind, subject, body, prev_hash, hash FROM governance_events ORDER BY seq")
            return rows.map { row in
                (row[0].int64 ?? 0, row[1].int64 ?? 0, row[2].string ?? "", row[3].string ?? "", row[4].string ?? "",
                 row[5].string ?? "", row[6].string ?? "", row[7].string ?? "")
            }
        }
    }
}
