import TollgateHost
import TollgateJSON
import PostgresNIO

/// The governance log in `tollgate_governance_events`, shared by every
/// gateway on the database, with the same hash chain as governance.sqlite.
///
/// An append is one INSERT of the event at `position.sequence + 1`, linked
/// to `position.hash`, and only if the event at `position.sequence` still
/// has that hash: the sequence is the primary key, so of two gateways
/// appending after the same event one commits and the other gets a unique
/// violation — GovernanceAppendConflict: it catches up and decides again.
/// No lock is held between the registry's read and its write.
package final class PostgresGovernanceStore: GovernanceStore, Sendable {
    private let storage: PostgresStorage

    package init(storage: PostgresStorage) {
        self.storage = storage
    }

    package var isShared: Bool { true }

    package func events(after sequence: Int64) throws -> [GovernanceEvent] {
        let rows = try call("read the governance log") { client in
            var rows: [Row] = []
            let query: PostgresQuery = """
                SELECT seq, at, actor, kind, subject, body, prev_hash, hash FROM tollgate_governance_events
                WHERE seq > \(sequence) ORDER BY seq
                """
            for try await row in try await client.query(query).decode(Row.self) { rows.append(row) }
            return rows
        }
        return try rows.map(Self.event)
    }

    package func append(_ event: GovernanceEvent, after position: GovernanceLogPosition) throws -> GovernanceEvent {
        var stored = event
        stored.sequence = position.sequence + 1
        stored.previousHash = position.hash
        let body = event.body.jsonString
        stored.hash = GovernanceEvent.chainHash(previous: stored.previousHash, sequence: stored.sequence, at: event.at,
                                                actor: event.actor, kind: event.kind.rawValue, subject: event.subject, body: body)
        let (sequence, at, actor, kind, subject, previous, hash) = (stored.sequence, stored.at, stored.actor, stored.kind.rawValue,
                                                                   stored.subject, stored.previousHash, stored.hash)
        let inserted: Bool
        do {
            inserted = try call("append to the governance log") { client in
                let query: PostgresQuery = """
                    INSERT INTO tollgate_governance_events (seq, at, actor, kind, subject, body, prev_hash, hash)
                    SELECT \(sequence), \(at), \(actor), \(kind), \(subject), \(body), \(previous), \(hash)
                    WHERE \(sequence) = 1 OR EXISTS (SELECT 1 FROM tollgate_governance_events
                                                     WHERE seq = \(sequence - 1) AND hash = \(previous))
                    RETURNING seq
                    """
                return try await client.query(query).collect().count == 1
            }
        } catch PostgresStorageError.unavailable(_, let underlying?) where PostgresStorageError.sqlState(underlying) == "23505" {
            throw GovernanceAppendConflict(position: position)
        }
        // Nothing inserted: the event at `position` is not the one the
        // registry replayed (the log was rewritten under it).
        guard inserted else {
            throw GovernanceError.corrupt("governance event \(position.sequence) in the database is not the one this gateway "
                + "replayed: run `tollgate exceptions verify --config FILE`")
        }
        return stored
    }

    package func verify() throws -> ChainVerification {
        let rows = try call("read the governance log") { client in
            var rows: [Row] = []
            let query: PostgresQuery = "SELECT seq, at, actor, kind, subject, body, prev_hash, hash FROM tollgate_governance_events ORDER BY seq"
            for try await row in try await client.query(query).decode(Row.self) { rows.append(row) }
            return rows
        }
        return ChainVerification.check(rows)
    }

    /// How many events the log holds (the SQLite import refuses a log that has any).
    package func count() throws -> Int64 {
        try call("count the governance events") { client in
            try await client.query("SELECT count(*) FROM tollgate_governance_events").collect().first?.decode(Int64.self) ?? 0
        }
    }

    // MARK: rows

    typealias Row = (Int64, Int64, String, String, String, String, String, String)

    static func event(_ row: Row) throws -> GovernanceEvent {
        let (sequence, at, actor, kindName, subject, bodyText, previous, hash) = row
        guard let kind = GovernanceEvent.Kind(rawValue: kindName), let body = try? JSONValue.parse(bodyText) else {
            throw GovernanceError.corrupt("governance event \(sequence) cannot be read (kind '\(kindName)')")
        }
        var event = GovernanceEvent(at: at, actor: actor, kind: kind, subject: subject, body: body)
        event.sequence = sequence
        event.previousHash = previous
        event.hash = hash
        return event
    }

    /// Runs a database call, turning a failure into the registry's 503.
    private func call<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresClient) async throws -> T) throws -> T {
        do {
            return try storage.blocking(what, body)
        } catch let error as PostgresStorageError {
            if case .unavailable = error, error.sqlState == "23505" { throw error }
            throw GovernanceError.unavailable("the governance log is unavailable: \(error.description); nothing was read or "
                + "changed here (a change sent when the time ran out may still show up: look before retrying)")
        }
    }
}
