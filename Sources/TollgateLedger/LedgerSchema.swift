/// The chargeback ledger's table: one row per request the tagging plugin
/// entered. This is a contract — the tagging plugin writes it, `tollgate
/// report spend` and finance's own queries read it — documented in
/// docs/ledger.md. Columns are only ever added (with a schema_version
/// bump, and an entry in `addedColumns` so an older file is migrated in
/// place), never renamed or repurposed. One copy, shared by the writer (a
/// plugin) and the reader (the core). Version 3 added the daily rollup
/// beside the table (`LedgerSchema+Rollup.swift`): a table and triggers,
/// no ledger column. Version 4 added the capacity index
/// (`LedgerSchema+Capacity.swift`).
public enum LedgerSchema {
    public static let version = 4

    /// Columns added after version 1, with the version that added them. A
    /// ledger file of an older version gets them with ALTER TABLE ADD
    /// COLUMN when the tagging plugin opens it (`migration`); its rows keep
    /// everything and take the column's default.
    public static let addedColumns: [(version: Int, name: String, definition: String)] = [
        // The grants the request was charged to, root first, as a JSON
        // array of ids; '[]' when none (and for rows written before 2).
        (2, "grant_ids", "TEXT NOT NULL DEFAULT '[]'"),
        // The owner of the deepest grant on the path; NULL when none.
        (2, "grant_owner", "TEXT"),
        // The exceptions and burst draws that admitted the request (it did
        // not fit its grants without them), as a JSON array of ids; '[]'
        // when none.
        (2, "exception_ids", "TEXT NOT NULL DEFAULT '[]'"),
    ]

    /// Creates a new ledger whole (and is a no-op on a current one). On a
    /// file of an older version, run `migration` first: these statements
    /// alone would give it an empty rollup.
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
          attempts        INTEGER NOT NULL DEFAULT 0,
          grant_ids       TEXT    NOT NULL DEFAULT '[]',
          grant_owner     TEXT,
          exception_ids   TEXT    NOT NULL DEFAULT '[]'
        );
        CREATE INDEX IF NOT EXISTS ledger_ts ON ledger(ts_us);
        CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT OR IGNORE INTO ledger_meta(key, value) VALUES ('schema_version', '\(version)');
        \(rollupTableStatements)
        \(rollupTriggerStatements)
        \(capacityIndexStatement);
        """

    /// What brings an existing ledger table with `existingColumns` (PRAGMA
    /// table_info(ledger)) and schema objects `existingObjects` (names in
    /// sqlite_master, `objectsQuery`) up to `version`: an ALTER TABLE per
    /// missing column; the daily rollup (table, a GROUP BY of every row
    /// already written, triggers) and the capacity index when the file has
    /// none; then the new schema_version (never lowered: a file a newer
    /// Tollgate wrote keeps its number). Empty when nothing is missing or
    /// there is no ledger table yet (`createStatements` makes it whole). Run them in one
    /// transaction, before `createStatements`: the rollup is then never
    /// seen half built, and a later version's index on a new column finds
    /// it.
    public static func migration(existingColumns: [String], existingObjects: [String]) -> [String] {
        guard !existingColumns.isEmpty else { return [] }
        let missing = addedColumns.filter { !existingColumns.contains($0.name) }
        let rollup = hasRollup(existingObjects: existingObjects) ? [] : rollupMigration
        let index = hasCapacityIndex(existingObjects: existingObjects) ? [] : [capacityIndexStatement]
        guard !missing.isEmpty || !rollup.isEmpty || !index.isEmpty else { return [] }
        return missing.map { "ALTER TABLE ledger ADD COLUMN \($0.name) \($0.definition)" } + rollup + index + [
            "CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "INSERT INTO ledger_meta(key, value) VALUES ('schema_version', '\(version)') "
                + "ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE CAST(value AS INTEGER) < \(version)",
        ]
    }

    /// Reads the ledger table's column names (empty when there is none).
    public static let columnsQuery = "PRAGMA table_info(ledger)"

    /// The insert, bound in `LedgerRow.bindings` order.
    public static let insert = """
        INSERT INTO ledger (ts_us, request_id, org, team, key_id, owner, key_class, end_user,
          feature, environment, experiment, use_case, tags, api, route, provider, deployment,
          model_requested, model_served, tokens_in, tokens_out, tokens_cached, cost_nanos,
          usage_estimated, outcome, status, decided_by, outcome_detail, latency_us, upstream_us,
          stream, attempts, grant_ids, grant_owner, exception_ids)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
          ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)
        """
}
