import Foundation
import TollgateConfig
import TollgateHost
import TollgateLedger
import TollgateReports
import TollgateSQLite
import TollgateUnits

extension Benchmarks {
    /// What a finance report case gets: the ledger and its ranges.
    struct FinanceBench {
        var path: String
        /// The whole synthetic year.
        var year: LedgerTimeRange
        /// Its last calendar month (2026-10).
        var lastMonth: LedgerTimeRange
        /// The exact sum of the costs written.
        var expectedCost: Int64
        var pools: [CapacityPool]
        /// For chargeback, forecast and proposal (`FinanceBenchConfig`).
        var config: TollgateConfig
        var grants: GrantTable
    }

    /// One timed report: returns a one-line summary of its answer (and
    /// says MISMATCH when a total is not the ledger's).
    struct FinanceCase {
        var name: String
        var run: (FinanceBench) throws -> String
    }

    /// Every finance report the benchmark times, in order. Add a report
    /// here as one more case. "(rows)": the same report reading the
    /// ledger's rows, not its daily rollup (what it cost before schema 3),
    /// or for capacity not its capacity index (before schema 4).
    static var financeCases: [FinanceCase] {
        func spend(_ by: String, _ range: KeyPath<FinanceBench, LedgerTimeRange>?, rollup: Bool = true) -> FinanceCase {
            FinanceCase(name: "spend" + (by.isEmpty ? "" : " --by " + by) + (range == \.lastMonth ? " (month)" : "") + (rollup ? "" : " (rows)")) { b in
                let r = range.map { b[keyPath: $0] }
                let report = try SpendQuery(fromMicros: r?.from, toMicros: r?.to, dimensions: try ReportDimension.parseList(by))
                    .run(ledgerAt: b.path, rollup: rollup)
                let exact = r != nil || report.total.costNanos == b.expectedCost
                return "\(report.groups.count) groups, \(report.total.requests) requests" + (exact ? "" : "  COST MISMATCH")
            }
        }
        func baseline(_ days: Int, rollup: Bool = true) -> FinanceCase {
            FinanceCase(name: "baseline --days \(days)" + (rollup ? "" : " (rows)")) { b in
                let window = BaselineReport.window(days: days, endingAt: b.year.to)
                let report = try BaselineReport.run(ledgerAt: b.path, window: window, percent: 140, rollup: rollup)
                let total = report.lines.filter { $0.level == .feature }.reduce(Int64(0)) { $0 + $1.spendNanos }
                let exact = days < 365 || total + rejectedCost(b) == b.expectedCost
                return "\(report.lines.count) lines" + (exact ? "" : "  COST MISMATCH")
            }
        }
        func capacity(_ month: Bool, indexed: Bool = true) -> FinanceCase {
            FinanceCase(name: "capacity" + (month ? " (month)" : " (year)") + (indexed ? "" : " (rows)")) { b in
                let report = try CapacityReport.run(ledgerAt: b.path, range: month ? b.lastMonth : b.year, pools: b.pools,
                                                    indexed: indexed)
                let gateway = report.aggregates.last!
                return "\(report.teams.count) teams, gateway p95 \(gateway.usage.p95TPM ?? 0) TPM, peak \(gateway.usage.peakTPM), "
                    + "sum of team peaks \(gateway.sumOfTeamPeaks), \(gateway.usage.activeMinutes) minutes"
            }
        }
        func focus(_ month: Bool, rollup: Bool = true) -> FinanceCase {
            FinanceCase(name: "focus csv" + (month ? " (month)" : " (year)") + (rollup ? "" : " (rows)")) { b in
                let range = month ? b.lastMonth : b.year
                let start = DispatchTime.now().uptimeNanoseconds
                let charges = try FocusExport.charges(ledgerAt: b.path, range: range, rollup: rollup)
                let read = seconds(since: start)
                var bytes = 0
                FocusExport(billingAccountId: "bench").write(charges, range: range, format: .csv) { bytes += $0.count }
                let billed = charges.costNanos
                let exact = month || billed == b.expectedCost
                return "\(charges.count) rows, \(bytes / 1_000_000) MB (read and sort \(String(format: "%.2f", read))s)"
                    + (exact ? "" : "  COST MISMATCH")
            }
        }
        // 2026-10, the last whole month, and the months before it.
        let october = ReportPeriod(.month(2026, 10))
        func chargeback(_ grouping: ChargebackReport.Grouping) -> FinanceCase {
            FinanceCase(name: "chargeback --by \(grouping.rawValue) (month)") { b in
                let report = try ChargebackReport.run(config: b.config, grants: b.grants, ledgerPath: b.path, period: october,
                                                      by: grouping) { _, _ in [] }
                return "\(report.rows.count) rows, \(report.totalRequests) requests, \(Money.format(nanos: report.totalSpendNanos)) "
                    + "(previous \(Money.format(nanos: report.previousTotalSpendNanos)))"
            }
        }
        let forecast = FinanceCase(name: "forecast (month, 6 periods)") { b in
            let report = try ForecastReport.run(config: b.config, grants: b.grants, ledgerPath: b.path, period: october,
                                                forecasts: FinanceBenchConfig.forecasts(october.history(6) + [october.next]))
            let periods = report.teams.first?.entries.count ?? 0
            return "\(report.teams.count) teams x \(periods) periods, \(report.teams.filter { $0.haircut != nil }.count) haircuts"
        }
        let proposal = FinanceCase(name: "allocation propose (next month)") { b in
            let report = try AllocationProposal.run(config: b.config, grants: b.grants, ledgerPath: b.path, period: october.next,
                                                    forecasts: FinanceBenchConfig.forecasts(october.next.history(6)))
            return "\(report.lines.count) grants, \(report.lines.filter { $0.proposedNanos != $0.currentNanos }.count) changed"
        }
        return [spend("", nil), spend("team,feature,model", nil), spend("day,team", nil), spend("team", \.lastMonth),
                baseline(60), baseline(365), capacity(false), capacity(true), focus(false), focus(true),
                chargeback(.team), chargeback(.grant), forecast, proposal,
                spend("team,feature,model", nil, rollup: false), baseline(365, rollup: false), focus(false, rollup: false),
                capacity(false, indexed: false), capacity(true, indexed: false)]
    }

    /// Rejected rows cost nothing; kept as a function so a change to the
    /// synthetic ledger that gives them a cost shows up as a mismatch.
    static func rejectedCost(_ bench: FinanceBench) -> Int64 { 0 }

    /// Builds (or reuses) a year-long synthetic ledger and times every
    /// finance report over it in-process, wall and CPU.
    /// `tollgate-bench finance [rows] [file] [case-substring]` (the file is
    /// kept and reused while it holds the same number of rows).
    static func finance(_ arguments: [String]) {
        let rows = Int(arguments.first ?? "") ?? 10_000_000
        let path = arguments.dropFirst().first ?? NSTemporaryDirectory() + "tollgate-bench-finance.sqlite"
        let only = arguments.dropFirst(2).first
        let expected: Int64
        if let existing = FinanceLedger.existing(path: path), existing.rows == rows {
            expected = existing.cost
            print("finance: reusing \(path) (\(rows) rows)")
        } else {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            let start = DispatchTime.now().uptimeNanoseconds
            expected = try! FinanceLedger.fill(path: path, rows: rows)
            let elapsed = seconds(since: start)
            print(String(format: "finance: %d rows written in %.1fs (%.0f rows/s)", rows, elapsed, Double(rows) / elapsed))
        }
        migrate(path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print(String(format: "finance: ledger %.1f MB, %d cores", Double(size) / 1e6, ProcessInfo.processInfo.activeProcessorCount))
        _ = try! LedgerFile.openForReading(path)
        let setup = try! FinanceBenchConfig.load()
        let bench = FinanceBench(
            path: path, year: FinanceLedger.range,
            lastMonth: LedgerTimeRange(from: 1_790_812_800_000_000, to: FinanceLedger.range.to),  // 2026-10
            expectedCost: expected,
            pools: [CapacityPool(provider: "openai", tpm: 400_000), CapacityPool(provider: "anthropic", model: "claude-large", tpm: 100_000)],
            config: setup.config, grants: setup.grants)
        // A case named exactly, else every case whose name contains the argument.
        let exact = financeCases.contains { $0.name == only }
        for c in financeCases where only.map({ exact ? c.name == $0 : c.name.contains($0) }) ?? true {
            let cpu0 = cpuSeconds()
            let start = DispatchTime.now().uptimeNanoseconds
            let summary: String
            do { summary = try c.run(bench) } catch { summary = "FAILED: \(error)" }
            let wall = seconds(since: start)
            let cpu = cpuSeconds() - cpu0
            print("finance: " + c.name.padding(toLength: 40, withPad: " ", startingAt: 0)
                + String(format: "%6.2fs wall %6.2fs cpu  ", wall, cpu) + summary + (wall > 5 ? "  OVER 5 s" : ""))
        }
    }

    /// Brings a ledger an older bench wrote (schema 2) up to the current
    /// schema as the tagging plugin would (`LedgerSchema.migration`, one
    /// transaction): on schema 3, the daily rollup built from every row;
    /// on schema 4, the capacity index.
    static func migrate(_ path: String) {
        let db = try! SQLiteDatabase(path: path)
        let columns = try! db.query(LedgerSchema.columnsQuery).compactMap { $0.count > 1 ? $0[1].string : nil }
        let objects = try! db.query(LedgerSchema.objectsQuery).compactMap { $0.first?.string }
        let statements = LedgerSchema.migration(existingColumns: columns, existingObjects: objects)
        guard !statements.isEmpty else { return }
        let cpu0 = cpuSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        try! db.transaction { for statement in statements { try db.execute(statement) } }
        let rollup = try! db.query("SELECT count(*) FROM \(LedgerSchema.rollupTable)").first?.first
        print(String(format: "finance: migrated to schema %d in %.1fs wall, %.1fs cpu (the daily rollup: %@ rows)", LedgerSchema.version,
                     seconds(since: start), cpuSeconds() - cpu0, "\(rollup ?? .null)"))
    }

    /// User + system CPU of the process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }
}
