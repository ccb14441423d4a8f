/// The daily rollup kept beside the ledger (schema 3): one row per UTC day
/// and attribution with the sums of its ledger rows, so a report that only
/// needs days reads tens of thousands to a million rollup rows instead of
/// the millions of ledger rows they sum. Maintained by triggers on
/// `ledger`, in the transaction that writes the row (the rollup can never
/// disagree with the ledger, and the writer's code does not change); an
/// older ledger gets it built from its rows when the tagging plugin opens
/// it (`rollupMigration`). Part of the contract in docs/ledger.md.
extension LedgerSchema {
    public static let rollupTable = "ledger_daily"
    /// The triggers that keep the rollup equal to the ledger's GROUP BY.
    public static let rollupTriggers = ["ledger_daily_add", "ledger_daily_remove", "ledger_daily_change"]

    /// The rollup's key: (name in the rollup, expression over a ledger row
    /// `r`, nullable). A NULL key value is indexed as the empty blob x''
    /// (`ifnull(col, x'')`), since a UNIQUE index treats NULLs as distinct;
    /// a blob never equals a text, so NULL and '' stay two keys. The table
    /// itself keeps the NULL.
    static func rollupKey(_ r: String) -> [(name: String, value: String, nullable: Bool)] {
        [
            ("day", "\(r).ts_us / 86400000000", false),
            ("org", "\(r).org", true),
            ("team", "\(r).team", true),
            ("feature", "\(r).feature", true),
            ("grant_ids", "\(r).grant_ids", false),
            ("grant_owner", "\(r).grant_owner", true),
            ("owner", "\(r).owner", true),
            ("key_class", "\(r).key_class", true),
            ("model", "COALESCE(\(r).model_served, \(r).model_requested)", true),
            ("provider", "\(r).provider", true),
            ("rejected", "\(r).outcome = 'rejected'", false),
            ("consumed", "(\(r).cost_nanos <> 0 OR \(r).tokens_in <> 0 OR \(r).tokens_out <> 0 OR \(r).tokens_cached <> 0)", false),
        ]
    }

    /// The summed columns: (name in the rollup, what one ledger row `r` adds).
    static func rollupSums(_ r: String) -> [(name: String, value: String)] {
        [("requests", "1"), ("tokens_in", "\(r).tokens_in"), ("tokens_out", "\(r).tokens_out"),
         ("tokens_cached", "\(r).tokens_cached"), ("cost_nanos", "\(r).cost_nanos"),
         ("estimated_requests", "\(r).usage_estimated")]
    }

    /// The ledger columns the rollup reads: an UPDATE of any of them moves
    /// the row's sums.
    static let rollupSourceColumns = ["ts_us", "org", "team", "feature", "grant_ids", "grant_owner", "owner", "key_class",
                                      "model_served", "model_requested", "provider", "outcome", "tokens_in", "tokens_out",
                                      "tokens_cached", "cost_nanos", "usage_estimated"]

    /// The unique index's expressions, in key order.
    static let rollupIndexed: [String] = rollupKey("").map { $0.nullable ? "ifnull(\($0.name), x'')" : $0.name }

    static let rollupTableStatements = """
        CREATE TABLE IF NOT EXISTS ledger_daily (
          id                 INTEGER PRIMARY KEY,
          day                INTEGER NOT NULL,
          org                TEXT,
          team               TEXT,
          feature            TEXT,
          grant_ids          TEXT    NOT NULL,
          grant_owner        TEXT,
          owner              TEXT,
          key_class          TEXT,
          model              TEXT,
          provider           TEXT,
          rejected           INTEGER NOT NULL,
          consumed           INTEGER NOT NULL,
          requests           INTEGER NOT NULL,
          tokens_in          INTEGER NOT NULL,
          tokens_out         INTEGER NOT NULL,
          tokens_cached      INTEGER NOT NULL,
          cost_nanos         INTEGER NOT NULL,
          estimated_requests INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS ledger_daily_key ON ledger_daily(\(rollupIndexed.joined(separator: ", ")));
        """

    /// Adds ledger row `r` (NEW) to its rollup row, creating it if needed.
    static func rollupAdd(_ r: String) -> String {
        let key = rollupKey(r), sums = rollupSums(r)
        return rollupUpsert("VALUES (\((key.map(\.value) + sums.map(\.value)).joined(separator: ", ")))") + ";"
    }

    /// INSERT INTO ledger_daily `rows` (VALUES or a SELECT, in key then
    /// sums order), each added to the rollup row of its key.
    static func rollupUpsert(_ rows: String) -> String {
        let names = (rollupKey("").map(\.name) + rollupSums("").map(\.name)).joined(separator: ", ")
        let update = rollupSums("").map { "\($0.name) = \($0.name) + excluded.\($0.name)" }.joined(separator: ", ")
        return "INSERT INTO ledger_daily (\(names)) \(rows) "
            + "ON CONFLICT (\(rollupIndexed.joined(separator: ", "))) DO UPDATE SET \(update)"
    }

    /// Takes ledger row `r` (OLD) out of its rollup row, and drops the
    /// rollup row when no ledger row is left in it (as GROUP BY would).
    static func rollupRemove(_ r: String) -> String {
        let match = rollupKey(r).map { k in
            k.nullable ? "ifnull(\(k.name), x'') = ifnull(\(k.value), x'')" : "\(k.name) = (\(k.value))"
        }.joined(separator: " AND ")
        let update = rollupSums(r).map { "\($0.name) = \($0.name) - \($0.value)" }.joined(separator: ", ")
        return "UPDATE ledger_daily SET \(update) WHERE \(match); DELETE FROM ledger_daily WHERE \(match) AND requests = 0;"
    }

    /// The triggers. The ledger is written append-only, so only
    /// `ledger_daily_add` runs on the writer's path; the other two keep
    /// the rollup right after a hand-made DELETE (retention) or UPDATE.
    static let rollupTriggerStatements = """
        CREATE TRIGGER IF NOT EXISTS ledger_daily_add AFTER INSERT ON ledger BEGIN \(rollupAdd("NEW")) END;
        CREATE TRIGGER IF NOT EXISTS ledger_daily_remove AFTER DELETE ON ledger BEGIN \(rollupRemove("OLD")) END;
        CREATE TRIGGER IF NOT EXISTS ledger_daily_change AFTER UPDATE OF \(rollupSourceColumns.joined(separator: ", ")) ON ledger
          BEGIN \(rollupRemove("OLD")) \(rollupAdd("NEW")) END;
        """

    /// The rollup built from every ledger row already written: the
    /// trigger's upsert, for each row in table order (`WHERE true` tells
    /// SQLite's parser the ON CONFLICT is the upsert's). The same sums as a
    /// GROUP BY, which sorts every row first: on a million rows the GROUP
    /// BY took twice the time (6.3 s against 3.3 s, and temp files).
    static var rollupBackfill: String {
        let key = rollupKey("ledger"), sums = rollupSums("ledger")
        return rollupUpsert("SELECT \((key.map(\.value) + sums.map(\.value)).joined(separator: ", ")) FROM ledger WHERE true")
    }

    /// What gives a ledger without the rollup (a file of schema 1 or 2)
    /// its rollup, in the migration's transaction: the table, the rollup of
    /// every row already written, then the triggers. A rollup table found
    /// without its triggers cannot be trusted (rows were written past it)
    /// and is rebuilt.
    static var rollupMigration: [String] {
        [rollupTableStatements, "DELETE FROM ledger_daily", rollupBackfill, rollupTriggerStatements]
    }

    /// Every trigger and the table exist (`existingObjects`: the names in
    /// sqlite_master).
    public static func hasRollup(existingObjects: [String]) -> Bool {
        existingObjects.contains(rollupTable) && rollupTriggers.allSatisfy(existingObjects.contains)
    }

    /// Lists the schema objects (tables, indexes, triggers) by name.
    public static let objectsQuery = "SELECT name FROM sqlite_master"
}
