import TollgatePluginKit
import TollgateSQLite

/// The anomaly plugin's SQLite file, so a restart keeps the baseline. The
/// live state is in memory (SpendHistory); every change is written through
/// the group-commit writer and never waits for the disk.
///
/// Schema (documented in docs/plugins/anomaly.md; operators may seed it):
///
///     anomaly_spend_hourly(subject TEXT, hour_start INTEGER, spend_nanos INTEGER,
///                          PRIMARY KEY (subject, hour_start))
///     anomaly_subjects(subject TEXT PRIMARY KEY, first_seen INTEGER)
///     anomaly_alerts_raised(dedupe_key TEXT PRIMARY KEY, day INTEGER)
///
/// Times are Unix seconds (UTC); `day` is days since 1970-01-01.
final class AnomalyStore: @unchecked Sendable {
    static let schema = """
        CREATE TABLE IF NOT EXISTS anomaly_spend_hourly (
            subject TEXT NOT NULL, hour_start INTEGER NOT NULL, spend_nanos INTEGER NOT NULL,
            PRIMARY KEY (subject, hour_start)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS anomaly_subjects (
            subject TEXT PRIMARY KEY, first_seen INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS anomaly_alerts_raised (
            dedupe_key TEXT PRIMARY KEY, day INTEGER NOT NULL) WITHOUT ROWID;
        """
    /// Rows older than this many days are deleted as days pass.
    static let retentionDays: Int64 = 14

    let path: String
    private let writer: GroupCommitWriter
    private let open = Locked(true)
    /// Touched only on the writer thread.
    private let statements = PreparedStatements()

    /// What the file held when it was opened.
    struct Contents {
        var history = SpendHistory()
        var raisedKeys: [(key: String, day: Int64)] = []
        /// anomaly_subjects as stored: subject -> first_seen.
        var storedFirstSeen: [String: Int64] = [:]
    }

    /// Opens (creating) the file and reads it back.
    init(path: String, onError: @escaping @Sendable (Error) -> Void) throws {
        self.path = path
        let loaded = Locked(Contents())
        writer = try GroupCommitWriter(path: path, setup: { db in
            try db.execute(AnomalyStore.schema)
            var contents = Contents()
            for row in try db.query("SELECT subject, first_seen FROM anomaly_subjects") {
                guard let subject = row[0].string, let first = row[1].int64 else { continue }
                contents.history.restore(subject: subject, firstSeen: first)
                contents.storedFirstSeen[subject] = first
            }
            for row in try db.query("SELECT subject, hour_start, spend_nanos FROM anomaly_spend_hourly") {
                guard let subject = row[0].string, let hour = row[1].int64, let nanos = row[2].int64 else { continue }
                contents.history.restore(subject: subject, hour: hour, nanos: nanos)
            }
            for row in try db.query("SELECT dedupe_key, day FROM anomaly_alerts_raised") {
                guard let key = row[0].string, let day = row[1].int64 else { continue }
                contents.raisedKeys.append((key, day))
            }
            loaded.withLock { $0 = contents }
        }, onError: onError)
        contents = loaded.withLock { $0 }
    }

    private var contents: Contents?

    /// What the file held at open; the caller takes it over (a second call
    /// returns nothing, so the rows are not kept twice in memory).
    func takeContents() -> Contents {
        defer { contents = nil }
        return contents ?? Contents()
    }

    /// Queues the spend of one call (one hour bucket per subject), and the
    /// first-seen hour of `firstSeenAt` (the subjects whose stored first
    /// hour is not already this one or earlier).
    func recordSpend(_ nanos: Int64, subjects: [String], firstSeenAt: [String], hour: Int64) {
        let statements = self.statements
        enqueue { db in
            let (bucket, firstSeen) = try statements.spend(on: db)
            for subject in subjects {
                try bucket.run([.text(subject), .integer(hour), .integer(nanos)])
            }
            for subject in firstSeenAt {
                try firstSeen.run([.text(subject), .integer(hour)])
            }
        }
    }

    static let addSpend = """
        INSERT INTO anomaly_spend_hourly (subject, hour_start, spend_nanos) VALUES (?, ?, ?)
        ON CONFLICT (subject, hour_start) DO UPDATE SET spend_nanos = spend_nanos + excluded.spend_nanos
        """
    static let addSubject = """
        INSERT INTO anomaly_subjects (subject, first_seen) VALUES (?, ?)
        ON CONFLICT (subject) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)
        """

    /// Remembers that an alert was raised, so a restart does not raise it
    /// again the same day.
    func recordRaised(_ key: String, day: Int64) {
        enqueue { db in
            try db.prepare("INSERT OR IGNORE INTO anomaly_alerts_raised (dedupe_key, day) VALUES (?, ?)")
                .run([.text(key), .integer(day)])
        }
    }

    /// Deletes buckets and raised keys that no baseline will read again.
    func forget(before day: Int64) {
        enqueue { db in
            try db.prepare("DELETE FROM anomaly_spend_hourly WHERE hour_start < ?")
                .run([.integer((day - AnomalyStore.retentionDays) * SpendHistory.secondsPerDay)])
            try db.prepare("DELETE FROM anomaly_alerts_raised WHERE day < ?").run([.integer(day - 1)])
        }
    }

    /// Blocks until everything queued is committed (tests, shutdown).
    func flush() { writer.flush() }

    /// Commits what is queued and stops the writer. Idempotent.
    func close() {
        let wasOpen = open.withLock { isOpen -> Bool in
            defer { isOpen = false }
            return isOpen
        }
        if wasOpen { writer.close() }
    }

    private func enqueue(_ work: @escaping GroupCommitWriter.Work) {
        open.withLock { isOpen in
            if isOpen { writer.enqueue(work) }
        }
    }
}

/// The two spend upserts, prepared once on the writer's connection (they
/// ran the SQL parser twice per call before).
private final class PreparedStatements: @unchecked Sendable {
    private var prepared: (bucket: SQLiteStatement, firstSeen: SQLiteStatement)?
    private weak var database: SQLiteDatabase?

    func spend(on db: SQLiteDatabase) throws -> (bucket: SQLiteStatement, firstSeen: SQLiteStatement) {
        if let prepared, database === db { return prepared }
        let statements = (try db.prepare(AnomalyStore.addSpend), try db.prepare(AnomalyStore.addSubject))
        prepared = statements
        database = db
        return statements
    }
}
