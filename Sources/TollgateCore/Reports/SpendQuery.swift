import TollgateSQLite

/// What `tollgate report spend` asks of the ledger: a half-open time range
/// [from, to) on `ts_us` (either end optional) and the dimensions to group
/// by. Builds the SQL; `run` executes it on an open ledger.
public struct SpendQuery: Equatable, Sendable {
    public var fromMicros: Int64?
    public var toMicros: Int64?
    public var dimensions: [ReportDimension]

    public init(fromMicros: Int64? = nil, toMicros: Int64? = nil, dimensions: [ReportDimension] = []) {
        self.fromMicros = fromMicros
        self.toMicros = toMicros
        self.dimensions = dimensions
    }

    /// The statement and its bindings. Sums are SQLite integer sums: exact,
    /// and an error rather than a wrap on overflow.
    public var sql: (text: String, bindings: [SQLiteValue]) {
        var select = dimensions.map(\.sql)
        // SUM is exact on integers (an error, not a wrap, on overflow) but
        // NULL over no rows; COALESCE keeps every column an integer.
        select.append("COUNT(*)")
        select += ["tokens_in", "tokens_out", "tokens_cached", "cost_nanos", "usage_estimated"].map { "COALESCE(SUM(\($0)), 0)" }
        var text = "SELECT " + select.joined(separator: ", ") + " FROM ledger"
        var conditions: [String] = []
        var bindings: [SQLiteValue] = []
        if let fromMicros {
            bindings.append(.integer(fromMicros))
            conditions.append("ts_us >= ?\(bindings.count)")
        }
        if let toMicros {
            bindings.append(.integer(toMicros))
            conditions.append("ts_us < ?\(bindings.count)")
        }
        if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
        if !dimensions.isEmpty {
            text += " GROUP BY " + (1...dimensions.count).map(String.init).joined(separator: ", ")
        }
        return (text, bindings)
    }

    /// Runs the query on `db` (an opened ledger, see `LedgerFile`).
    public func run(on db: SQLiteDatabase) throws -> SpendReport {
        let (text, bindings) = sql
        let statement = try db.prepare(text)
        try statement.bind(bindings)
        var groups: [SpendReport.Group] = []
        let n = dimensions.count
        while try statement.step() {
            let totals = SpendReport.Totals(
                requests: statement.int64(at: n), tokensIn: statement.int64(at: n + 1),
                tokensOut: statement.int64(at: n + 2), tokensCached: statement.int64(at: n + 3),
                costNanos: statement.int64(at: n + 4), estimatedRequests: statement.int64(at: n + 5))
            // Without --by, an empty range still yields one row of zeros.
            if n == 0 && totals.requests == 0 { continue }
            let keys = dimensions.enumerated().map { index, dimension in dimension.render(statement.value(at: index)) }
            groups.append(SpendReport.Group(keys: keys, totals: totals))
        }
        return try SpendReport(dimensions: dimensions.map(\.name), fromMicros: fromMicros, toMicros: toMicros,
                               groups: groups)
    }
}
