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

    /// An event as a store keeps it: sequence, at, actor, kind, subject,
    /// the body's text (what was hashed), previous hash, hash.
    package typealias StoredRow = (Int64, Int64, String, String, String, String, String, String)

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

/// Where the log ends as a writer last saw it: the last event's sequence
/// and hash (0 and "" before the first event).
package struct GovernanceLogPosition: Sendable, Hashable {
    package var sequence: Int64
    package var hash: String

    package static let start = GovernanceLogPosition(sequence: 0, hash: "")

    package init(sequence: Int64, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }

    package init(after event: GovernanceEvent) {
        self.init(sequence: event.sequence, hash: event.hash)
    }
}

/// Another writer appended to a shared log after the position the append
/// was decided at: catch up on its events and decide again.
package struct GovernanceAppendConflict: Error, CustomStringConvertible {
    package var position: GovernanceLogPosition

    package init(position: GovernanceLogPosition) { self.position = position }

    package var description: String { "another gateway appended governance event \(position.sequence + 1) first" }
}

/// Where governance events are kept. The embedded store is a SQLite file in
/// the storage directory (one writer: this process); a shared store
/// (PostgreSQL) is appended to by several gateways, so an append names the
/// position it was decided at and fails with GovernanceAppendConflict when
/// another gateway got there first.
package protocol GovernanceStore: AnyObject, Sendable {
    /// Other processes append to this log too: the registry catches up
    /// before deciding a change, and on a timer.
    var isShared: Bool { get }
    /// The events after `sequence` (0: every event), oldest first.
    func events(after sequence: Int64) throws -> [GovernanceEvent]
    /// Appends `event` as the next one after `position`, durably (committed
    /// before it returns), and returns it with its sequence number and
    /// hashes. Throws GovernanceAppendConflict when the log has moved past
    /// `position`.
    func append(_ event: GovernanceEvent, after position: GovernanceLogPosition) throws -> GovernanceEvent
    /// Recomputes the hash chain.
    func verify() throws -> ChainVerification
}

extension GovernanceStore {
    package var isShared: Bool { false }

    /// Every event, oldest first.
    package func events() throws -> [GovernanceEvent] { try events(after: 0) }

    /// Appends after whatever is last (tools and tests: one writer).
    package func append(_ event: GovernanceEvent) throws -> GovernanceEvent {
        let last = try events().last
        return try append(event, after: last.map(GovernanceLogPosition.init(after:)) ?? .start)
    }
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
    package static func check(_ rows: [GovernanceEvent.StoredRow]) -> ChainVerification {
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
    /// 503: the shared store (PostgreSQL) did not answer; nothing was
    /// decided (or, after a timeout, the change may still show up: look
    /// before retrying).
    case unavailable(String)

    package var description: String {
        switch self {
        case .invalid(let m), .forbidden(let m), .notFound(let m), .conflict(let m), .corrupt(let m), .unavailable(let m): return m
        }
    }

    package var status: Int {
        switch self {
        case .invalid: return 400
        case .forbidden: return 403
        case .notFound: return 404
        case .conflict: return 409
        case .corrupt: return 500
        case .unavailable: return 503
        }
    }
}
