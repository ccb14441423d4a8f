import TollgateConfig
import TollgateUnits

/// What the finance reports read from the ledger: spend per period and per
/// dimension, in one pass (SpendQuery over LedgerScan, the same scan as
/// `tollgate report spend`), over consecutive periods at once.
enum FinanceScan {
    struct Cell {
        /// Index into the periods asked for.
        var period: Int
        var keys: [String?]
        var totals: SpendReport.Totals
    }

    /// Spend over [periods.first.from, periods.last.to), per period and
    /// `dimensions`. With a dimension that nests (grant), a request counts
    /// under each of its grants.
    /// The daily rollup answers when the periods are whole UTC days (a
    /// month or a quarter always is) and the dimensions are its columns.
    static func spend(ledgerPath: String, periods: [ReportPeriod], dimensions: [ReportDimension],
                      rollup: Bool = true) throws -> [Cell] {
        precondition(!periods.isEmpty)
        var sql = "CASE", daily: String? = "CASE"
        for (i, period) in periods.enumerated().dropLast() {
            sql += " WHEN ts_us < \(period.toMicros) THEN \(i)"
            daily = period.toMicros % LedgerRollup.day == 0 ? daily.map { $0 + " WHEN day < \(period.toMicros / LedgerRollup.day) THEN \(i)" } : nil
        }
        sql += " ELSE \(periods.count - 1) END"
        let bucket = ReportDimension(name: "period", sql: sql, bucket: .none, rollup: daily.map { $0 + " ELSE \(periods.count - 1) END" })
        let query = SpendQuery(fromMicros: periods[0].fromMicros, toMicros: periods[periods.count - 1].toMicros,
                               dimensions: [bucket] + dimensions)
        let report = try query.run(ledgerAt: ledgerPath, rollup: rollup)
        return report.groups.map { group in
            Cell(period: Int(group.keys[0] ?? "0") ?? 0, keys: Array(group.keys.dropFirst()), totals: group.totals)
        }
    }

    static let org = try! ReportDimension.parse("org")
    static let team = try! ReportDimension.parse("team")
    static let feature = try! ReportDimension.parse("feature")
    static let grantOwner = try! ReportDimension.parse("grant_owner")
}

/// Whose figures a report shows: everything (the master key, the CLI), an
/// org, or a team (a credential's scope on the dashboard).
package enum FinanceScope: Equatable, Sendable {
    case everything
    case org(String)
    case team(String, String)

    package init(_ scope: GrantScope?) {
        guard let scope else { self = .everything; return }
        switch scope.level {
        case .org: self = .org(scope.org)
        default: self = .team(scope.org, scope.team ?? "")
        }
    }

    package func covers(org: String?, team: String?) -> Bool {
        switch self {
        case .everything: return true
        case .org(let o): return org == o
        case .team(let o, let t): return org == o && team == t
        }
    }
}
