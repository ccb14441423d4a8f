import TollgateConfig
import TollgateLedger
import TollgateUnits

/// The ledger's side of a reconciliation: spend per UTC day and model
/// (`COALESCE(model_served, model_requested)`, LedgerGrouping.model) of the
/// rows the provider served, with cost. The same grouped scan as `tollgate
/// report spend --by day,provider,model` (SpendQuery), so the two reports
/// agree to the nano-dollar.
package struct LedgerCell: Equatable, Sendable {
    /// Days since 1970-01-01, UTC.
    package var day: Int64
    /// The public model name.
    package var model: String
    package var costNanos: Int64
    package var tokens: ProviderReport.Tokens
    package var requests: Int64

    package init(day: Int64, model: String, costNanos: Int64, tokens: ProviderReport.Tokens = ProviderReport.Tokens(),
                 requests: Int64 = 1) {
        self.day = day
        self.model = model
        self.costNanos = costNanos
        self.tokens = tokens
        self.requests = requests
    }
}

package enum ReconciliationLedger {
    /// The cells of [fromMicros, toMicros) served by `provider` (the
    /// ledger's `provider` column); groups without cost are left out.
    package static func cells(ledgerAt path: String, fromMicros: Int64, toMicros: Int64,
                              provider: ReconcileProvider) throws -> [LedgerCell] {
        let dimensions = try ["day", "provider", "model"].map { try ReportDimension.parse($0) }
        _ = try LedgerFile.openForReading(path, dimensions: dimensions)
        let report = try SpendQuery(fromMicros: fromMicros, toMicros: toMicros, dimensions: dimensions).run(ledgerAt: path)
        var cells: [LedgerCell] = []
        for group in report.groups {
            guard group.keys.count == 3, group.keys[1] == provider.rawValue, group.totals.costNanos != 0,
                  let dayText = group.keys[0] else { continue }
            let day = UTCCalendar.floorDiv(try ReportTime.parseMicros(dayText), 86_400_000_000)
            let totals = group.totals
            cells.append(LedgerCell(day: day, model: group.keys[2] ?? "(none)", costNanos: totals.costNanos,
                                    tokens: ProviderReport.Tokens(input: totals.tokensIn, cached: totals.tokensCached,
                                                                  output: totals.tokensOut),
                                    requests: totals.requests))
        }
        return cells.sorted { ($0.day, $0.model) < ($1.day, $1.model) }
    }
}
