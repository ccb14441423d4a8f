import TollgateSQLite
import TollgateSupport
import TollgateJSON
import TollgateUnits

/// What `tollgate report spend` asks of the ledger: a half-open time range
/// [from, to) on `ts_us` (either end optional) and the dimensions to group
/// by. Builds the SQL; `run` executes it on an open ledger.
package struct SpendQuery: Equatable, Sendable {
    package var fromMicros: Int64?
    package var toMicros: Int64?
    package var dimensions: [ReportDimension]

    package init(fromMicros: Int64? = nil, toMicros: Int64? = nil, dimensions: [ReportDimension] = []) {
        self.fromMicros = fromMicros
        self.toMicros = toMicros
        self.dimensions = dimensions
    }

    /// A dimension scans rows more than once (`grant`): the groups nest,
    /// and the total is counted over the ledger rows instead.
    package var groupsNest: Bool { dimensions.contains { $0.explodesRows } }

    /// The scan: dimension columns, then the summed columns, over the
    /// range (and, when `groupsNest`, the ledger row id last, so the total
    /// counts each row once). Grouping happens in `LedgerScan` (hashing
    /// beats SQLite's sort-based GROUP BY on large ledgers). Sums are exact
    /// Int64 and fail on overflow rather than wrap.
    package var sql: (text: String, bindings: [Int64]) {
        var text = selectFromLedger
        var conditions: [String] = []
        var bindings: [Int64] = []
        if let fromMicros {
            bindings.append(fromMicros)
            conditions.append("ts_us >= ?\(bindings.count)")
        }
        if let toMicros {
            bindings.append(toMicros)
            conditions.append("ts_us < ?\(bindings.count)")
        }
        if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
        return (text, bindings)
    }

    /// The scan of one time slice: `?1` and `?2` bound the range.
    var slicedSQL: String { selectFromLedger + " WHERE ts_us >= ?1 AND ts_us < ?2" }

    private var selectFromLedger: String {
        var select = dimensions.map(\.sql) + ["tokens_in", "tokens_out", "tokens_cached", "cost_nanos", "usage_estimated"]
        if groupsNest { select.append("ledger.id") }
        var text = "SELECT " + select.joined(separator: ", ") + " FROM ledger"
        var joins: [String] = []
        for join in dimensions.compactMap(\.join) where !joins.contains(join) { joins.append(join) }
        for join in joins { text += " " + join }
        return text
    }

    /// Runs the query on the ledger at `path` (check it first with
    /// `LedgerFile.openForReading`).
    package func run(ledgerAt path: String, slices: Int? = nil) throws -> SpendReport {
        let scan = LedgerScan(path: path)
        // An open end is the ledger's own first or last row (two index look-ups).
        let bounds = fromMicros == nil || toMicros == nil ? try scan.bounds() : nil
        let range = LedgerTimeRange(from: fromMicros ?? bounds?.from ?? 0, to: toMicros ?? bounds?.to ?? 0)
        let scanned = try scan.aggregate(sql: slicedSQL, range: range, dimensions: dimensions.count,
                                         rowTotal: groupsNest, slices: slices)
        let groups = scanned.groups.map { row in
            SpendReport.Group(keys: zip(dimensions, row.keys).map { $0.render($1) }, totals: row.totals)
        }
        return try SpendReport(dimensions: dimensions.map(\.name), fromMicros: fromMicros, toMicros: toMicros,
                               groups: groups, rowTotal: scanned.rowTotal)
    }
}
