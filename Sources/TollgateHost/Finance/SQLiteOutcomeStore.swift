import Foundation
import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateSQLite
import TollgateConfig

/// `outcomes.sqlite` in the storage directory: one row per outcome report,
/// written by one group-commit writer (as the ledger is: a committed row
/// survives a kill -9) and read by the finance reports with their own
/// read-only connection. Rows are never updated or deleted.
package final class SQLiteOutcomeStore: OutcomeStore, @unchecked Sendable {
    package static let fileName = "outcomes.sqlite"

    static let schema = """
        CREATE TABLE IF NOT EXISTS outcomes (
          id          INTEGER PRIMARY KEY,
          ts_us       INTEGER NOT NULL,
          received_us INTEGER NOT NULL,
          org         TEXT    NOT NULL,
          team        TEXT    NOT NULL,
          feature     TEXT,
          key_id      TEXT    NOT NULL,
          metric      TEXT    NOT NULL,
          count       INTEGER NOT NULL,
          request_ids TEXT    NOT NULL DEFAULT '[]',
          grant_ids   TEXT    NOT NULL DEFAULT '[]',
          grant_owner TEXT
        );
        CREATE INDEX IF NOT EXISTS outcomes_ts ON outcomes(ts_us);
        """

    static let insert = """
        INSERT INTO outcomes (ts_us, received_us, org, team, feature, key_id, metric, count, request_ids, grant_ids, grant_owner)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
        """

    package let path: String
    private let writer: GroupCommitWriter?
    /// Held while enqueueing and closing: nothing is enqueued after close.
    private let lock = NIOLock()
    private var closed = false

    /// Opens (creating) the store for writing; `readOnly` opens an existing
    /// one for the reports (no writer thread).
    package init(directory: String, readOnly: Bool = false) throws {
        path = directory + "/" + Self.fileName
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else {
                throw OutcomeStoreError.missing("no \(path): no outcomes were ever reported to the gateway using this storage directory")
            }
            writer = nil
            return
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        writer = try GroupCommitWriter(path: path, setup: { try $0.execute(Self.schema) })
    }

    package func record(_ outcome: OutcomeRecord, completion: @escaping @Sendable (Result<OutcomeRecord, Error>) -> Void) {
        guard let writer else {
            return completion(.failure(OutcomeStoreError.readOnly("the outcome store was opened read-only")))
        }
        // The work may run twice (GroupCommitWriter): the last run's result wins.
        let result = NIOLockedValueBox<Result<Int64, Error>?>(nil)
        let requestIDs = JSONValue.array(outcome.requestIDs.map(JSONValue.string)).jsonString
        let grantIDs = JSONValue.array(outcome.grantIDs.map(JSONValue.string)).jsonString
        let ticket: UInt64? = lock.withLock {
            guard !closed else { return nil }
            return writer.enqueue { db in
            do {
                _ = try db.query(Self.insert, [
                    .integer(outcome.atMicros), .integer(outcome.receivedAtMicros), .text(outcome.org), .text(outcome.team),
                    outcome.feature.map(SQLiteValue.text) ?? .null, .text(outcome.keyID), .text(outcome.metric), .integer(outcome.count),
                    .text(requestIDs), .text(grantIDs), outcome.grantOwner.map(SQLiteValue.text) ?? .null,
                ])
                let id = db.lastInsertRowID
                result.withLockedValue { $0 = .success(id) }
            } catch {
                result.withLockedValue { $0 = .failure(error) }
                throw error
            }
            }
        }
        guard let ticket else {
            return completion(.failure(OutcomeStoreError.closed("the gateway is shutting down: report the outcome again in a moment")))
        }
        writer.notifyWhenCommitted(ticket) {
            switch result.withLockedValue({ $0 }) {
            case .success(let id)?:
                var stored = outcome
                stored.id = "out_\(id)"
                completion(.success(stored))
            case .failure(let error)?:
                completion(.failure(error))
            case nil:
                completion(.failure(OutcomeStoreError.closed("the outcome store stopped before the outcome was written")))
            }
        }
    }

    package func totals(fromMicros: Int64, toMicros: Int64) throws -> [OutcomeTotal] {
        let db = try SQLiteDatabase(path: path, readOnly: true)
        let rows = try db.query("""
            SELECT org, team, feature, grant_ids, grant_owner, metric, sum(count) FROM outcomes
            WHERE ts_us >= ?1 AND ts_us < ?2
            GROUP BY org, team, feature, grant_ids, grant_owner, metric
            ORDER BY org, team, feature, grant_ids, metric
            """, [.integer(fromMicros), .integer(toMicros)])
        return rows.map { row in
            var grants: [String] = []
            if let text = row[3].string, case .array(let items)? = try? JSONValue.parse(text) {
                grants = items.compactMap(\.stringValue)
            }
            return OutcomeTotal(org: row[0].string ?? "", team: row[1].string ?? "", feature: row[2].string, grantIDs: grants,
                                grantOwner: row[4].string, metric: row[5].string ?? "", count: row[6].int64 ?? 0)
        }
    }

    /// Every outcome, by id (`tollgate migrate --from-sqlite` copies them).
    package func records() throws -> [OutcomeRecord] {
        let db = try SQLiteDatabase(path: path, readOnly: true)
        let rows = try db.query("""
            SELECT id, ts_us, received_us, org, team, feature, key_id, metric, count, request_ids, grant_ids, grant_owner
            FROM outcomes ORDER BY id
            """)
        func strings(_ value: SQLiteValue) -> [String] {
            guard let text = value.string, case .array(let items)? = try? JSONValue.parse(text) else { return [] }
            return items.compactMap(\.stringValue)
        }
        return rows.map { row in
            var record = OutcomeRecord(atMicros: row[1].int64 ?? 0, receivedAtMicros: row[2].int64 ?? 0, org: row[3].string ?? "",
                                       team: row[4].string ?? "", feature: row[5].string, keyID: row[6].string ?? "",
                                       metric: row[7].string ?? "", count: row[8].int64 ?? 0)
            record.id = "out_\(row[0].int64 ?? 0)"
            record.requestIDs = strings(row[9])
            record.grantIDs = strings(row[10])
            record.grantOwner = row[11].string
            return record
        }
    }

    package func close() {
        lock.withLock { closed = true }
        writer?.close()
    }
}

package enum OutcomeStoreError: Error, CustomStringConvertible {
    case missing(String)
    case readOnly(String)
    /// 503: shutting down.
    case closed(String)
    /// 503: the shared store (PostgreSQL) did not answer.
    case unavailable(String)

    package var description: String {
        switch self {
        case .missing(let m), .readOnly(let m), .closed(let m), .unavailable(let m): return m
        }
    }
}
