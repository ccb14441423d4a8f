import Dispatch
import NIOConcurrencyHelpers
import TollgateConfig
import TollgateHost
import TollgateJSON
import PostgresNIO

/// Outcomes in `tollgate_outcomes`, shared by every gateway on the
/// database: each report is one INSERT, committed before the caller hears
/// 201 (an autocommit statement: when the server answers, the row is
/// durable). A database that does not answer within the deadline is a
/// 503 to the caller, who sends the outcome again; nothing is kept in
/// memory to be lost.
package final class PostgresOutcomeStore: OutcomeStore, Sendable {
    private let storage: PostgresStorage
    /// Outcomes being written (close waits for them), and whether new
    /// ones are refused (closing).
    private let writing = DispatchGroup()
    private let closed = NIOLockedValueBox(false)

    package init(storage: PostgresStorage) {
        self.storage = storage
    }

    package func record(_ outcome: OutcomeRecord, completion: @escaping @Sendable (Result<OutcomeRecord, Error>) -> Void) {
        let admitted: Bool = closed.withLockedValue { isClosed in
            guard !isClosed else { return false }
            self.writing.enter()
            return true
        }
        guard admitted else {
            return completion(.failure(OutcomeStoreError.closed("the gateway is shutting down: report the outcome again in a moment")))
        }
        let requestIDs = JSONValue.array(outcome.requestIDs.map(JSONValue.string)).jsonString
        let grantIDs = JSONValue.array(outcome.grantIDs.map(JSONValue.string)).jsonString
        let query: PostgresQuery = """
            INSERT INTO tollgate_outcomes (ts_us, received_us, org, team, feature, key_id, metric, count, request_ids, grant_ids, grant_owner)
            VALUES (\(outcome.atMicros), \(outcome.receivedAtMicros), \(outcome.org), \(outcome.team), \(outcome.feature),
                    \(outcome.keyID), \(outcome.metric), \(outcome.count), \(requestIDs), \(grantIDs), \(outcome.grantOwner))
            RETURNING id
            """
        let group = self.writing
        storage.perform("store an outcome", { client in
            try await client.query(query).collect().first?.decode(Int64.self) ?? 0
        }, completion: { result in
            switch result {
            case .success(let id):
                var stored = outcome
                stored.id = "out_\(id)"
                completion(.success(stored))
            case .failure(let error):
                completion(.failure(OutcomeStoreError.unavailable("the outcome was not stored: \(error.description). "
                    + "Send it again (after a timeout, look first: it may have been stored).")))
            }
            group.leave()
        })
    }

    package func totals(fromMicros: Int64, toMicros: Int64) throws -> [OutcomeTotal] {
        let rows: [(String, String, String?, String, String?, String, Int64)]
        do {
            rows = try storage.blocking("sum the outcomes") { client in
                // COLLATE "C" and NULLS FIRST: the order SQLite gives.
                let query: PostgresQuery = """
                    SELECT org, team, feature, grant_ids, grant_owner, metric, sum(count)::BIGINT FROM tollgate_outcomes
                    WHERE ts_us >= \(fromMicros) AND ts_us < \(toMicros)
                    GROUP BY org, team, feature, grant_ids, grant_owner, metric
                    ORDER BY org COLLATE "C", team COLLATE "C", feature COLLATE "C" NULLS FIRST, grant_ids COLLATE "C",
                             metric COLLATE "C"
                    """
                var rows: [(String, String, String?, String, String?, String, Int64)] = []
                for try await row in try await client.query(query).decode((String, String, String?, String, String?, String, Int64).self) {
                    rows.append(row)
                }
                return rows
            }
        } catch let error as PostgresStorageError {
            throw OutcomeStoreError.unavailable("the outcomes cannot be read: \(error.description)")
        }
        return rows.map { org, team, feature, grantText, owner, metric, count in
            var grants: [String] = []
            if case .array(let items)? = try? JSONValue.parse(grantText) { grants = items.compactMap(\.stringValue) }
            return OutcomeTotal(org: org, team: team, feature: feature, grantIDs: grants, grantOwner: owner, metric: metric, count: count)
        }
    }

    /// How many outcomes the table holds (the SQLite import refuses a table that has any).
    package func count() throws -> Int64 {
        try storage.blocking("count the outcomes") { client in
            try await client.query("SELECT count(*) FROM tollgate_outcomes").collect().first?.decode(Int64.self) ?? 0
        }
    }

    /// Refuses new outcomes and waits (a bounded time) for those being
    /// written to get their answer. The storage itself is closed by its owner.
    package func close() {
        closed.withLockedValue { $0 = true }
        _ = writing.wait(timeout: .now() + .nanoseconds(Int(PostgresStorage.operationTimeout.nanoseconds)) + .seconds(1))
    }
}
