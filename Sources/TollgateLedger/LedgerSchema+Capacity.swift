/// The capacity index (schema 4): every column `tollgate report capacity`
/// reads, in `ts_us` order, so the report reads a narrow b-tree in time
/// order instead of the ledger's wide rows (a row is ~330 bytes and 35
/// columns; an entry of this index ~65 bytes and 9). A plain index: SQLite
/// keeps it with the row in the writer's transaction, no trigger; an older
/// ledger gets it (built from its rows) when the tagging plugin opens it
/// (`migration`). Part of the contract in docs/ledger.md.
extension LedgerSchema {
    public static let capacityIndex = "ledger_capacity"

    /// The indexed columns: time first (the range), then what a row adds
    /// to a minute: its attribution (org, team), its pool (provider, model)
    /// and its tokens.
    public static let capacityIndexColumns = ["ts_us", "org", "team", "provider", "model_served", "model_requested",
                                              "tokens_in", "tokens_out", "tokens_cached"]

    static let capacityIndexStatement =
        "CREATE INDEX IF NOT EXISTS \(capacityIndex) ON ledger(\(capacityIndexColumns.joined(separator: ", ")))"

    /// The index exists (`existingObjects`: the names in sqlite_master).
    public static func hasCapacityIndex(existingObjects: [String]) -> Bool {
        existingObjects.contains(capacityIndex)
    }
}
