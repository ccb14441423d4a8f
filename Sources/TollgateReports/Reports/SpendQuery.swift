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

    /// The same over the daily rollup (`LedgerRollup`), when every
    /// dimension is one of its columns: the summed columns then start with
    /// the request count, and the row id is the rollup row's (a rollup row
    /// scanned once per grant counts once in the total, as a ledger row).
    var dailyQuery: LedgerQuery? {
        var select: [String] = []
        for dimension in dimensions {
            guard let sql = dimension.rollupSQL else { return nil }
            select.append(sql)
        }
        select += ["requests", "tokens_in", "tokens_out", "tokens_cached", "cost_nanos", "estimated_requests"]
        if groupsNest { select.append("ledger_daily.id") }
        var joins: [String] = []
        for join in dimensions.compactMap(\.rollupJoin) where !joins.contains(join) { joins.append(join) }
        return LedgerQuery(select: select, joins: joins, source: .daily)
    }

    private var selectFromLedger: String {
        let query = ledgerQuery
        return (["SELECT " + query.select.joined(separator: ", ") + " FROM ledger"] + query.joins).joined(separator: " ")
    }

    /// Runs the query on the ledger at `path` (check it first with
    /// `LedgerFile.openForReading`): from the daily rollup when it can
    /// answer (`LedgerRollup`; `rollup: false` reads the rows regardless).
    package func run(ledgerAt path: String, slices: Int? = nil, rollup: Bool = true) throws -> SpendReport {
        let range = LedgerTimeRange(from: fromMicros ?? Int64.min, to: toMicros ?? Int64.max)
        let scanned = try LedgerScan(path: path).aggregate(rows: ledgerQuery, daily: dailyQuery, range: range,
                                                           dimensions: dimensions.count, rowTotal: groupsNest, slices: slices,
                                                           rollup: rollup)
        let groups = scanned.groups.map { row in
            SpendReport.Group(keys: zip(dimensions, row.keys).map { $0.render($1) }, totals: row.totals)
        }
        return try SpendReport(dimensions: dimensions.map(\.name), fromMicros: fromMicros, toMicros: toMicros,
                               groups: groups, rowTotal: scanned.rowTotal)
    }
}
