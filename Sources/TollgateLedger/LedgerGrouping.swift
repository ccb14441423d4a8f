/// The SQL expressions spend is grouped by, shared by both readers of the
/// ledger: `tollgate report spend --by` (TollgateReports' ReportDimension)
/// and the tagging plugin's GET /admin/spend. One text for both, so the
/// two agree on what "the model" or "a grant" of a row is.
package enum LedgerGrouping {
    /// What was paid for: the model that served, else (no upstream) the one asked for.
    package static let model = "COALESCE(model_served, model_requested)"
    /// Each grant on the request's path (`grant_ids`, a JSON array): a row
    /// is scanned once per grant (LEFT JOIN: once, with NULL, when none).
    package static let grantJoin = "LEFT JOIN json_each(ledger.grant_ids) AS grant_path"
    package static let grant = "grant_path.value"
}
