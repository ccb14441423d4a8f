/// The chargeback ledger's table: one row per request the tagging plugin
/// entered. This is a contract — the tagging plugin writes it, `tollgate
/// report spend` and finance's own queries read it — documented in
/// docs/ledger.md. Columns are only ever added (with a schema_version
/// bump), never renamed or repurposed. One copy, shared by the writer (a
/// plugin) and the reader (the core).
public enum LedgerSchema {
    public static let version = 1

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

    /// The insert, bound in `LedgerRow.bindings` order.
    public static let insert = """
        INSERT INTO ledger (ts_us, request_id, org, team, key_id, owner, key_class, end_user,
          feature, environment, experiment, use_case, tags, api, route, provider, deployment,
          model_requested, model_served, tokens_in, tokens_out, tokens_cached, cost_nanos,
          usage_estimated, outcome, status, decided_by, outcome_detail, latency_us, upstream_us,
          stream, attempts)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
          ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)
        """
}
