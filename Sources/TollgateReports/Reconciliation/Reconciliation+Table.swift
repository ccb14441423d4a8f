import TollgateConfig
import TollgateJSON
import TollgateUnits

extension Reconciliation {
    /// The report in the finance reports' shape (printed in every `--format`):
    /// one row per day and model, a total, and notes that name the
    /// unattributed spend. `period` is how the range was asked for.
    package func table(period: ReportPeriod) throws -> ReportTable {
        let columns = [ReportTable.Column("day"), ReportTable.Column("model"), ReportTable.Column("ledger_cost", "ledger"),
                       ReportTable.Column("provider_cost", "provider"), ReportTable.Column("drift"),
                       ReportTable.Column("drift_pct", "drift %"), ReportTable.Column("status"),
                       ReportTable.Column("ledger_tokens"), ReportTable.Column("provider_tokens")]
        func tokens(_ n: Int64?) -> ReportTable.Cell { n.map(ReportTable.Cell.integer) ?? .none }
        let rows: [[ReportTable.Cell]] = cells.map { cell in
            [.text(UTCCalendar.day(cell.day * 86_400)), .text(cell.model), .money(cell.ledgerNanos), .money(cell.providerNanos),
             .money(cell.driftNanos), cell.driftBasisPoints.map(ReportTable.Cell.percent) ?? .none, .text(cell.status.rawValue),
             tokens(cell.ledgerTokens), tokens(cell.providerTokens)]
        }
        let all = try total()
        let (drift, o) = all.provider.subtractingReportingOverflow(all.ledger)
        if o { throw Overflow() }
        var counts: [(Status, Int)] = []
        for status in Status.allCases {
            let n = cells.filter { $0.status == status }.count
            if n > 0 { counts.append((status, n)) }
        }
        let summary = counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        // Tokens add up only where every cell of the side has them.
        func tokenTotal(_ side: KeyPath<Cell, Int64?>, _ present: (Cell) -> Bool) -> ReportTable.Cell {
            let relevant = cells.filter(present)
            guard !relevant.isEmpty, relevant.allSatisfy({ $0[keyPath: side] != nil }),
                  let sum = ProviderReport.Tokens.sum(relevant.map { $0[keyPath: side]! }) else { return .none }
            return .integer(sum)
        }
        let totalRow: [ReportTable.Cell] = [.text("TOTAL"), .text(""), .money(all.ledger), .money(all.provider), .money(drift),
                                            Self.basisPoints(drift, of: all.provider).map(ReportTable.Cell.percent) ?? .none,
                                            .text(""), tokenTotal(\.ledgerTokens) { $0.status != .unattributed },
                                            tokenTotal(\.providerTokens) { $0.status != .ledgerOnly }]

        let unattributed = try total(.unattributed)
        let ledgerOnly = try total(.ledgerOnly)
        let drifted = try total(.drift)
        var notes = [(summary.isEmpty ? "No spend on either side." : "Cells: \(summary).")
            + " Drift is provider - ledger; drift % is of the provider's figure. Matched: within "
            + ReportFormat.percent(toleranceBasisPoints) + " (finance.reconcile_tolerance_basis_points: \(toleranceBasisPoints)).",
                     "Provider figures: \(source)."]
        if unattributed.count > 0 {
            notes.append("Unattributed: \(Money.format(nanos: unattributed.provider)) in \(unattributed.count) day-model cell(s) — "
                + "spend on the provider account the gateway never saw: a bypass to chase (a key used around the gateway).")
        }
        if drifted.count > 0 {
            notes.append("Drift beyond tolerance: \(Money.format(nanos: drifted.provider - drifted.ledger)) net in \(drifted.count) cell(s) — "
                + "compare the catalog's prices with the provider's, and the ledger's estimated rows.")
        }
        if ledgerOnly.count > 0 {
            notes.append("Ledger only: \(Money.format(nanos: ledgerOnly.ledger)) in \(ledgerOnly.count) cell(s) — recorded by the gateway, "
                + "absent from the provider's report (another account or project, or a report that has not caught up).")
        }
        var renamed: [String: Set<String>] = [:]
        for cell in cells { for name in cell.providerModels { renamed[name, default: []].insert(cell.model) } }
        if !renamed.isEmpty {
            notes.append("Provider models named as in the catalog: "
                + renamed.keys.sorted().map { "\($0) -> \(renamed[$0]!.sorted().joined(separator: ", "))" }.joined(separator: "; ") + ".")
        }
        let meta: [(String, JSONValue)] = [
            ("provider", .string(provider.rawValue)),
            ("period", .string(period.description)),
            ("from", .string(ReportTime.format(micros: fromMicros))),
            ("to", .string(ReportTime.format(micros: toMicros))),
            ("source", .string(source)),
            ("tolerance_basis_points", .int(toleranceBasisPoints)),
            ("unattributed_nanos", .int(unattributed.provider)),
            ("ledger_only_nanos", .int(ledgerOnly.ledger)),
            ("counts", .object(JSONObject(Status.allCases.map { status in
                (status.rawValue, JSONValue.int(cells.filter { $0.status == status }.count))
            }))),
        ]
        let days = "\(UTCCalendar.day(fromMicros / 1_000_000)) to \(UTCCalendar.day(toMicros / 1_000_000))"
        let span: String
        if case .range = period.kind { span = days + " (exclusive)" } else { span = "\(period) (\(days), exclusive)" }
        let title = "\(provider.displayName) reconciliation, \(span): the ledger against the provider's cost report, by UTC day and model"
        return ReportTable(title: title, columns: columns, rows: rows, total: totalRow, notes: notes, meta: meta)
    }
}
