import Foundation
import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateSQLite

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
    /// with its sequence number.
    func append(_ event: GovernanceEvent) throws -> GovernanceEvent
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
            log.append(event)
            return event
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

    package init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        db = try SQLiteDatabase(path: directory + "/" + Self.fileName, durability: .powerLossSafe)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS governance_events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                at INTEGER NOT NULL,
                actor TEXT NOT NULL,
                kind TEXT NOT NULL,
                subject TEXT NOT NULL,
                body TEXT NOT NULL
            )
            """)
    }

    package func events() throws -> [GovernanceEvent] {
        try lock.withLock {
            try db.query("SELECT seq, at, actor, kind, subject, body FROM governance_events ORDER BY seq").map { row in
                guard let kind = row[3].string.flatMap(GovernanceEvent.Kind.init(rawValue:)),
                      let body = row[5].string.flatMap({ try? JSONValue.parse($0) }) else {
                    throw GovernanceError.corrupt("governance event \(row[0].int64 ?? 0) cannot be read")
                }
                var event = GovernanceEvent(at: row[1].int64 ?? 0, actor: row[2].string ?? "", kind: kind,
                                            subject: row[4].string ?? "", body: body)
                event.sequence = row[0].int64 ?? 0
                return event
            }
        }
    }

    package func append(_ event: GovernanceEvent) throws -> GovernanceEvent {
        try lock.withLock {
            _ = try db.query("INSERT INTO governance_events (at, actor, kind, subject, body) VALUES (?, ?, ?, ?, ?)",
                             [.integer(event.at), .text(event.actor), .text(event.kind.rawValue), .text(event.subject),
                              .text(event.body.jsonString)])
            var stored = event
            stored.sequence = db.lastInsertRowID
            return stored
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
