import Foundation
import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateSQLite
import TollgateConfig

/// One thing a person did to the governance state: minted, changed or
/// revoked a grant or a key. The state is the replay of these, in order;
/// nothing is ever edited in place (the exception log builds on the same
/// rule).
package struct GovernanceEvent: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        case grantMinted = "grant_minted"
        case grantUpdated = "grant_updated"
        case grantRevoked = "grant_revoked"
        case keyMinted = "key_minted"
        case keyRevoked = "key_revoked"
        case exceptionRequested = "exception_requested"
        case exceptionApproved = "exception_approved"
        case exceptionDenied = "exception_denied"
        case burstDrawn = "burst_drawn"
        case forecastSubmitted = "forecast_submitted"
    }

    /// SHA-256 over the previous hash and the event as stored: editing any
    /// field of any event, deleting one or reordering them breaks every
    /// hash after it.
    package static func chainHash(previous: String, sequence: Int64, at: Int64, actor: String, kind: String, subject: String,
                                  body: String) -> String {
        KeyStore.sha256Hex([previous, String(sequence), String(at), actor, kind, subject, body].joined(separator: "\n"))
    }

    /// Assigned by the store (1, 2, ...); 0 before it is appended.
    package var sequence: Int64 = 0
    /// Unix seconds.
    package var at: Int64
    /// Who did it: "master" or "credential:<id>".
    package var actor: String
    package var kind: Kind
    /// The grant or key id.
    package var subject: String
    /// What was asked, as JSON (the API's request body, normalised).
    package var body: JSONValue
    /// The chain: the previous event's hash ("" for the first), and this
    /// one's, over the previous hash and every field (set by the store).
    package var previousHash = ""
    package var hash = ""

    package init(at: Int64, actor: String, kind: Kind, subject: String, body: JSONValue) {
        self.at = at
        self.actor = actor
        self.kind = kind
        self.subject = subject
        self.body = body
    }
}

/// Where governance events are kept. The embedded store is a SQLite file in
/// the storage directory; a shared store (PostgreSQL) implements the same
/// protocol for several gateways.
package protocol GovernanceStore: AnyObject, Sendable {
    /// Every event, oldest first.
    func events() throws -> [GovernanceEvent]
    /// Appends `event` durably (committed before it returns) and returns it
    /// with its sequence number and hashes.
    func append(_ event: GovernanceEvent) throws -> GovernanceEvent
    /// Recomputes the hash chain.
    func verify() throws -> ChainVerification
}

/// What `verify` found.
package struct ChainVerification: Sendable, Equatable {
    package var events: Int
    /// The first event whose stored hash or link does not match; nil when
    /// the chain holds.
    package var firstBroken: Int64?
    package var problem: String?

    package var intact: Bool { firstBroken == nil }

    /// Checks `rows` (sequence, at, actor, kind, subject, body as stored,
    /// previous hash, hash) in order.
    package static func check(_ rows: [(Int64, Int64, String, String, String, String, String, String)]) -> ChainVerification {
        var previous = ""
        var expectedSequence: Int64 = 1
        for row in rows {
            let (sequence, at, actor, kind, subject, body, previousHash, hash) = row
            if sequence != expectedSequence {
                return ChainVerification(events: rows.count, firstBroken: sequence,
                                         problem: "event \(sequence) follows event \(expectedSequence - 1): an event is missing")
            }
            if previousHash != previous {
                return ChainVerification(events: rows.count, firstBroken: sequence,
                                         problem: "event \(sequence) does not link to the hash of event \(sequence - 1)")
            }
            let computed = GovernanceEvent.chainHash(previous: previous, sequence: sequence, at: at, actor: actor, kind: kind,
                                                     subject: subject, body: body)
            if computed != hash {
                return ChainVerification(events: rows.count, firstBroken: sequence,
                                         problem: "event \(sequence) (\(kind) \(subject)) was changed after it was written")
            }
            previous = hash
            expectedSequence += 1
        }
        return ChainVerification(events: rows.count, firstBroken: nil, problem: nil)
    }
}

/// Nothing persisted: for tests and for a gateway without a storage directory.
package final class MemoryGovernanceStore: GovernanceStore, @unchecked Sendable {
    private let lock = NIOLock()
    private var log: [GovernanceEvent] = []

    package init() {}

    package func events() throws -> [GovernanceEvent] { lock.withLock { log } }

    package func append(_ event: GovernanceEvent) throws -> GovernanceEvent {
        lock.withLock {
            var event = event
            event.sequence = Int64(log.count + 1)
            event.previousHash = log.last?.hash ?? ""
            event.hash = GovernanceEvent.chainHash(previous: event.previousHash, sequence: event.sequence, at: event.at,
                                                   actor: event.actor, kind: event.kind.rawValue, subject: event.subject,
                                                   body: event.body.jsonString)
            log.append(event)
            return event
        }
    }

    package func verify() throws -> ChainVerification {
        lock.withLock {
            ChainVerification.check(log.map { ($0.sequence, $0.at, $0.actor, $0.kind.rawValue, $0.subject, $0.body.jsonString,
                                              $0.previousHash, $0.hash) })
        }
    }
}

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

    package func events() throws -> [GovernanceEvent] {
        try lock.withLock {
            try db.query("SELECT seq, at, actor, kind, subject, body, prev_hash, hash FROM governance_events ORDER BY seq").map { row in
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

    package func append(_ event: GovernanceEvent) throws -> GovernanceEvent {
        try lock.withLock {
            try db.transaction {
                let last = try db.query("SELECT seq, hash FROM governance_events ORDER BY seq DESC LIMIT 1").first
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
        try lock.withLock {
            let rows = try db.query("SELECT seq, at, actor, kind, subject, body, prev_hash, hash FROM governance_events ORDER BY seq")
            return ChainVerification.check(rows.map { row in
                (row[0].int64 ?? 0, row[1].int64 ?? 0, row[2].string ?? "", row[3].string ?? "", row[4].string ?? "",
                 row[5].string ?? "", row[6].string ?? "", row[7].string ?? "")
            })
        }
    }
}

/// What the registry refuses, with the HTTP status the admin API answers.
package enum GovernanceError: Error, Equatable, CustomStringConvertible {
    /// 400: the request is malformed (names the field).
    case invalid(String)
    /// 403: the credential may not do this.
    case forbidden(String)
    /// 404
    case notFound(String)
    /// 409: it does not fit (a carve-out, a duplicate id).
    case conflict(String)
    /// 500: the store cannot be read or written.
    case corrupt(String)

    package var description: String {
        switch self {
        case .invalid(let m), .forbidden(let m), .notFound(let m), .conflict(let m), .corrupt(let m): return m
        }
    }

    package var status: Int {
        switch self {
        case .invalid: return 400
        case .forbidden: return 403
        case .notFound: return 404
        case .conflict: return 409
        case .corrupt: return 500
        }
    }
}
