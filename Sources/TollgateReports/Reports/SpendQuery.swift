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

    /// What the scan reads: dimension columns, the summed columns (and,
    /// when `groupsNest`, the ledger row id), and the dimensions' joins.
    var ledgerQuery: LedgerQuery {
        var select = dimensions.map(\.sql) + ["tokens_in", "tokens_out", "tokens_cached", "cost_nanos", "usage_estimated"]
        if groupsNest { select.append("ledger.id") }
        var joins: [String] = []
        for join in dimensions.compactMap(\.join) where !joins.contains(join) { joins.append(join) }
        return LedgerQuery(select: select, joins: joins)
    }

    private var selectFromLedger: String {
        let query = ledgerQuery
        return (["SELECT " + query.select.joined(separator: ", ") + " FROM ledger"] + query.joins).joined(separator: " ")
    }

    /// Runs the query on the ledger at `path` (check it first with
    /// `LedgerFile.openForReading`).
    package func run(ledgerAt path: String, slices: Int? = nil) throws -> SpendReport {
        let range = LedgerTimeRange(from: fromMicros ?? Int64.min, to: toMicros ?? Int64.max)
        let scanned = try LedgerScan(path: path).aggregate(ledgerQuery, range: range, dimensions: dimensions.count,
                                                           rowTotal: groupsNest, slices: slices)
        let groups = scanned.groups.map { row in
            SpendReport.Group(keys: zip(dimensions, row.keys).map { $0.render($1) }, totals: row.totals)
        }
        return try SpendReport(dimensions: dimensions.map(\.name), fromMicros: fromMicros, toMicros: toMicros,
                               groups: groups, rowTotal: scanned.rowTotal)
    }
}
