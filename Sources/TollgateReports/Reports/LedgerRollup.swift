import TollgateLedger
import TollgateSQLite

/// When a report reads the daily rollup (`ledger_daily`, ledger schema 3,
/// docs/ledger.md) instead of the ledger's rows: the ledger has it (the
/// table and the triggers that keep it), the report groups only by what
/// the rollup keeps, and the range is whole UTC days. The answer is the
/// same either way — the rollup is the ledger's GROUP BY by construction —
/// only the rows read differ (a year of 10M ledger rows is under a million
/// rollup rows). A range that cuts a day is read from the ledger.
package enum LedgerRollup {
    static let day: Int64 = 86_400_000_000

    /// A range whose ends are UTC midnights (or open).
    static func isWholeDays(_ range: LedgerTimeRange) -> Bool {
        (range.from == .min || range.from % day == 0) && (range.to == .max || range.to % day == 0)
    }

    /// The days (since 1970-01-01) of `range`, when it is whole UTC days
    /// and the ledger at `path` has the rollup; nil: read the rows. A
    /// ledger with a row before 1970 is read by rows too (the rollup's
    /// `ts_us / 86400000000` truncates toward zero there, which is not a
    /// calendar day).
    static func days(of range: LedgerTimeRange, ledgerAt path: String) throws -> LedgerTimeRange? {
        guard isWholeDays(range), range.from < range.to else { return nil }
        let scan = LedgerScan(path: path)
        var objects: [String] = []
        try scan.scan(sql: LedgerSchema.objectsQuery, bindings: []) { objects.append($0.text(0) ?? "") }
        guard LedgerSchema.hasRollup(existingObjects: objects) else { return nil }
        var negative = false
        try scan.scan(sql: "SELECT min(ts_us) FROM ledger", bindings: []) { negative = !$0.isNull(0) && $0.int64(0) < 0 }
        guard !negative else { return nil }
        return LedgerTimeRange(from: range.from == .min ? .min : range.from / day, to: range.to == .max ? .max : range.to / day)
    }

    /// Whether a report over `range` would read the rollup.
    package static func applies(to range: LedgerTimeRange, ledgerAt path: String) throws -> Bool {
        try days(of: range, ledgerAt: path) != nil
    }
}

extension LedgerScan {
    /// The grouped sums of `rows` (a query over the ledger) over `range`,
    /// or of `daily` (the same groups and sums over the rollup) over its
    /// days when `rollup` allows and `LedgerRollup.days` says it applies.
    /// Either way the groups and totals are the same.
    func aggregate(rows: LedgerQuery, daily: LedgerQuery?, range: LedgerTimeRange, dimensions: Int, rowTotal: Bool = false,
                   slices: Int? = nil, prefer: Plan.Kind? = nil, rollup: Bool = true) throws
        -> (groups: [(keys: [SQLiteValue], totals: SpendReport.Totals)], rowTotal: SpendReport.Totals?) {
        if rollup, let daily, let days = try LedgerRollup.days(of: range, ledgerAt: path) {
            return try aggregate(daily, range: days, dimensions: dimensions, rowTotal: rowTotal, slices: slices, prefer: prefer)
        }
        return try aggregate(rows, range: range, dimensions: dimensions, rowTotal: rowTotal, slices: slices, prefer: prefer)
    }
}
