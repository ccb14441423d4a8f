import TollgateSQLite

/// The chargeback ledger as the report reads it. The tagging plugin owns
/// the file and creates it (Plugins/tagging/LedgerSchema.swift); this is
/// the reader's copy of the contract (docs/ledger.md), used to check a file
/// before querying it and to build synthetic ledgers (tests, benchmarks).
/// A test keeps the two copies identical.
public enum LedgerFile {
    public static let schemaVersion = 1

    /// Columns the report needs.
    static let requiredColumns = ["ts_us", "request_id", "org", "team", "key_id", "owner", "key_class", "end_user",
                                  "feature", "environment", "experiment", "use_case", "tags", "provider", "deployment",
                                  "model_requested", "model_served", "api", "outcome", "status", "decided_by",
                                  "stream", "usage_estimated", "tokens_in", "tokens_out", "tokens_cached",
                                  "cost_nanos"]

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// Opens an existing ledger for reading (never creates one) and checks
    /// it has the columns the report reads.
    public static func openForReading(_ path: String) throws -> SQLiteDatabase {
        let db: SQLiteDatabase
        do {
            db = try SQLiteDatabase(path: path, readOnly: true)
        } catch {
            throw Problem(description: "cannot open the ledger \(path): \(error). Is it the tagging plugin's "
                + "ledger.sqlite (in storage.dir by default)?")
        }
        let columns: [String]
        do {
            columns = try db.query("PRAGMA table_info(ledger)").compactMap { $0.count > 1 ? $0[1].string : nil }
        } catch {
            throw Problem(description: "\(path) is not a readable SQLite ledger: \(error)")
        }
        if columns.isEmpty {
            throw Problem(description: "\(path) has no ledger table: it is not a Tollgate ledger (written by the tagging plugin)")
        }
        let missing = requiredColumns.filter { !columns.contains($0) }
        if !missing.isEmpty {
            throw Problem(description: "\(path): the ledger table lacks column(s) \(missing.joined(separator: ", ")); "
                + "it was written by an incompatible version")
        }
        return db
    }

    /// The schema, exactly as the tagging plugin creates it.
    public static let createStatements = """
        CREATE TABLE IF NOT EXISTS ledger (
          id              INTEGER PRIMARY KEY,
          ts_us           INTEGER NOT NULL,
          request_id      TEXT    NOT NULL,
          org             TEXT,
          team            TEXT,
          key_id          TEXT,
          owner           TEXT,
          key_class       TEXT,
          end_user        TEXT,
          feature         TEXT,
          environment     TEXT,
          experiment      TEXT,
          use_case        TEXT,
          tags            TEXT    NOT NULL DEFAULT '{}',
          api             TEXT,
          route           TEXT,
          provider        TEXT,
          deployment      TEXT,
          model_requested TEXT,
          model_served    TEXT,
          tokens_in       INTEGER NOT NULL DEFAULT 0,
          tokens_out      INTEGER NOT NULL DEFAULT 0,
          tokens_cached   INTEGER NOT NULL DEFAULT 0,
          cost_nanos      INTEGER NOT NULL DEFAULT 0,
          usage_estimated INTEGER NOT NULL DEFAULT 0,
          outcome         TEXT    NOT NULL,
          status          INTEGER NOT NULL DEFAULT 0,
          decided_by      TEXT,
          outcome_detail  TEXT,
          latency_us      INTEGER NOT NULL DEFAULT 0,
          upstream_us     INTEGER NOT NULL DEFAULT 0,
          stream          INTEGER NOT NULL DEFAULT 0,
          attempts        INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS ledger_ts ON ledger(ts_us);
        CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT OR IGNORE INTO ledger_meta(key, value) VALUES ('schema_version', '1');
        """
}
