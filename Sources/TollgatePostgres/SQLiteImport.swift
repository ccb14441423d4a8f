import Foundation
import Logging
import PostgresNIO
import TollgateConfig
import TollgateHost
import TollgateJSON
import TollgateSQLite

/// `tollgate migrate --from-sqlite DIR`: copies an embedded gateway's
/// governance log (governance.sqlite: every event with its sequence number
/// and hashes, so the chain carries over unchanged) and its outcomes
/// (outcomes.sqlite, with their ids) and the counters' spent per window
/// (counters.db; reservations are never copied: those of a stopped gateway
/// are void) into an empty PostgreSQL store, in one transaction, then
/// verifies the copied chain. Refuses a database that already holds
/// events, outcomes or counter spent (`AlreadyImported`): an import happens
/// once. The ledger (`shipLedger`) goes in through the gateway's own
/// shipper, exactly once: run again, it adds only the rows written since.
package enum SQLiteImport {
    /// The database already holds governance events or outcomes.
    package struct AlreadyImported: Error, CustomStringConvertible {
        package var description: String
    }

    /// What shipping DIR's ledger did.
    package struct LedgerReport: Sendable, Equatable {
        package var file = ""
        /// Rows in the file.
        package var rowsInFile: Int64 = 0
        /// Rows the database did not have before (0 on a re-run).
        package var added: Int64 = 0
        /// The file's source id in tollgate_ledger.
        package var source = ""
    }

    /// Ships DIR's ledger (`file`: its name there, ledger.sqlite by
    /// default) into tollgate_ledger to completion, with the shipper a
    /// gateway uses (an older file is migrated in place first, as the
    /// gateway would). Nil when DIR has no ledger.
    package static func shipLedger(from directory: String, file: String = "ledger.sqlite",
                                   into storage: PostgresStorage) throws -> LedgerReport? {
        let path = directory + "/" + file
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        try SQLiteLedgerStore(path: path, onError: { _ in }).close()
        let shipper = try PostgresLedgerShipper(ledgerPath: path, storage: storage)
        let source = shipper.source
        func countInDatabase() throws -> Int64 {
            try storage.blocking("count the shipped ledger rows") { client in
                try await client.query("SELECT count(*) FROM tollgate_ledger WHERE source = \(source)").collect().first?
                    .decode(Int64.self) ?? 0
            }
        }
        let before = try countInDatabase()
        try shipper.shipAll()
        let after = try countInDatabase()
        let inFile = try SQLiteDatabase(path: path, readOnly: true).query("SELECT count(*) FROM ledger").first?.first?.int64 ?? 0
        return LedgerReport(file: path, rowsInFile: inFile, added: after - before, source: source)
    }

    package struct Report: Sendable, Equatable {
        package var events = 0
        /// The last event's hash, the same on both sides.
        package var lastHash = ""
        package var outcomes = 0
        /// Counter windows copied (counters.db: spent per counter and
        /// window), and their spent summed.
        package var counterWindows = 0
        package var counterSpent: Int64 = 0
    }

    /// Rows per INSERT: a few round trips for a large table, and well
    /// under the protocol's 65,535 parameters.
    static let batchRows = 500

    package static func run(from directory: String, into storage: PostgresStorage) throws -> Report {
        var report = Report()
        let governanceFile = directory + "/" + SQLiteGovernanceStore.fileName
        let outcomesFile = directory + "/" + SQLiteOutcomeStore.fileName
        let files = FileManager.default
        guard files.fileExists(atPath: governanceFile) || files.fileExists(atPath: outcomesFile)
                || files.fileExists(atPath: directory + "/" + CounterStore.journalFileName) else {
            return report
        }
        var events: [GovernanceEvent.StoredRow] = []
        if files.fileExists(atPath: governanceFile) {
            let source = try SQLiteGovernanceStore(directory: directory, readOnly: true)
            // As stored: the body's text is what was hashed, copied as is.
            events = try source.storedRows()
            let check = ChainVerification.check(events)
            guard check.intact else {
                throw PostgresStorageError.schema("\(governanceFile): the hash chain is broken at event \(check.firstBroken ?? 0) "
                    + "(\(check.problem ?? "")); a broken log is not copied: see `tollgate exceptions verify --storage \(directory)`")
            }
        }
        let outcomes = files.fileExists(atPath: outcomesFile) ? try SQLiteOutcomeStore(directory: directory, readOnly: true).records() : []
        let countersFile = directory + "/" + CounterStore.journalFileName
        var spent: [SpentEntry] = []
        if files.fileExists(atPath: countersFile) {
            let journal = try SpentJournal(path: countersFile)
            spent = try journal.allRows().filter { $0.amount != 0 }
            journal.close()
        }

        let governance = PostgresGovernanceStore(storage: storage)
        let counterWindows = try storage.blocking("count the counter windows") { client in
            try await client.query("SELECT count(*) FROM tollgate_counter_spent").collect().first?.decode(Int64.self) ?? 0
        }
        let existing = (events: try governance.count(), outcomes: try PostgresOutcomeStore(storage: storage).count())
        guard existing.events == 0, existing.outcomes == 0, counterWindows == 0 else {
            throw AlreadyImported(description: "\(storage.target) already holds \(existing.events) governance event(s), "
                + "\(existing.outcomes) outcome(s) and \(counterWindows) counter window(s): --from-sqlite copies into an empty "
                + "store only, so nothing is imported twice")
        }
        let rows = events
        let windows = spent
        try storage.blocking("copy the SQLite state", timeout: .minutes(30)) { client in
            try await client.withTransaction(logger: storage.logger) { connection in
                // Two importers at once: the second waits here, then finds rows.
                try await connection.query("LOCK TABLE tollgate_governance_events, tollgate_outcomes, tollgate_counter_spent IN EXCLUSIVE MODE",
                                           logger: storage.logger)
                let count = try await connection.query("""
                    SELECT (SELECT count(*) FROM tollgate_governance_events) + (SELECT count(*) FROM tollgate_outcomes)
                         + (SELECT count(*) FROM tollgate_counter_spent)
                    """,
                                                       logger: storage.logger).collect().first?.decode(Int64.self) ?? 0
                guard count == 0 else { throw PostgresStorageError.schema("\(storage.target) was filled by another import meanwhile") }
                for start in stride(from: 0, to: rows.count, by: batchRows) {
                    try await connection.query(insertEvents(rows[start..<min(start + batchRows, rows.count)]), logger: storage.logger)
                }
                for start in stride(from: 0, to: outcomes.count, by: batchRows) {
                    try await connection.query(try insertOutcomes(outcomes[start..<min(start + batchRows, outcomes.count)]),
                                               logger: storage.logger)
                }
                for entry in windows {
                    try await connection.query("""
                        INSERT INTO tollgate_counter_spent (name, window_start, spent) VALUES (\(entry.name), \(entry.windowStart), \(entry.amount))
                        """, logger: storage.logger)
                }
                // New outcomes number on after the copied ones.
                try await connection.query("""
                    SELECT setval(pg_get_serial_sequence('tollgate_outcomes', 'id'), COALESCE(max(id), 0) + 1, false) FROM tollgate_outcomes
                    """, logger: storage.logger)
            }
        }
        let copied = try governance.verify()
        guard copied.intact, copied.events == events.count, try governance.events().last?.hash ?? "" == events.last?.7 ?? "" else {
            throw PostgresStorageError.schema("the copied governance log does not verify (\(copied.problem ?? "the events differ")): "
                + "the import is in the database; drop its tables' rows and run it again")
        }
        report.events = events.count
        report.lastHash = events.last?.7 ?? ""
        report.outcomes = outcomes.count
        report.counterWindows = spent.count
        report.counterSpent = spent.reduce(Int64(0)) { $0 &+ $1.amount }
        return report
    }

    private static func insertEvents(_ events: ArraySlice<GovernanceEvent.StoredRow>) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: events.count * 8)
        var rows: [String] = []
        for (i, event) in events.enumerated() {
            let base = i * 8
            rows.append("(" + (1...8).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
            let (sequence, at, actor, kind, subject, body, previous, hash) = event
            bindings.append(sequence)
            bindings.append(at)
            bindings.append(actor)
            bindings.append(kind)
            bindings.append(subject)
            bindings.append(body)
            bindings.append(previous)
            bindings.append(hash)
        }
        return PostgresQuery(unsafeSQL: "INSERT INTO tollgate_governance_events (seq, at, actor, kind, subject, body, prev_hash, hash) VALUES "
                             + rows.joined(separator: ", "), binds: bindings)
    }

    private static func insertOutcomes(_ outcomes: ArraySlice<OutcomeRecord>) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: outcomes.count * 12)
        var rows: [String] = []
        for (i, outcome) in outcomes.enumerated() {
            guard let id = Int64(outcome.id.dropFirst("out_".count)) else {
                throw PostgresStorageError.schema("outcome '\(outcome.id)' has no row number")
            }
            let base = i * 12
            rows.append("(" + (1...12).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
            bindings.append(id)
            bindings.append(outcome.atMicros)
            bindings.append(outcome.receivedAtMicros)
            bindings.append(outcome.org)
            bindings.append(outcome.team)
            bindings.append(outcome.feature)
            bindings.append(outcome.keyID)
            bindings.append(outcome.metric)
            bindings.append(outcome.count)
            bindings.append(JSONValue.array(outcome.requestIDs.map(JSONValue.string)).jsonString)
            bindings.append(JSONValue.array(outcome.grantIDs.map(JSONValue.string)).jsonString)
            bindings.append(outcome.grantOwner)
        }
        return PostgresQuery(unsafeSQL: """
            INSERT INTO tollgate_outcomes (id, ts_us, received_us, org, team, feature, key_id, metric, count, request_ids, grant_ids, grant_owner)
            VALUES
            """ + " " + rows.joined(separator: ", "), binds: bindings)
    }
}
