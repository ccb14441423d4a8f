import ArgumentParser
import Foundation
import Logging
import TollgatePostgres
import TollgateConfig
import TollgateHost
import TollgateReports

/// What every finance report takes: the config (cost centres, outcome
/// metrics, forecasts' rules, where the ledger and the stores are), the
/// period, and the output format. `tollgate report chargeback`, forecast,
/// baseline, capacity, focus and `tollgate reconcile` share it.
struct FinanceReportOptions: ParsableArguments {
    @Option(name: .long, help: "The gateway's config file (finds the ledger, the outcome and governance stores, and the finance rules).")
    var config: String = "tollgate.yaml"

    @Option(name: .long, help: "The ledger file, if not the one the config's gateways write (on postgres: the shared ledger's read copy).")
    var db: String?

    @Option(name: .long, help: "A month (2026-11), a quarter (2026-Q4), or current, previous, next.")
    var period: String?

    @Option(name: .long, help: "Start of an explicit range, inclusive (YYYY-MM-DD or RFC 3339, UTC); with --to.")
    var from: String?

    @Option(name: .long, help: "End of an explicit range, exclusive; with --from.")
    var to: String?

    @Option(name: .long, help: "table, csv, json or markdown (default: table; csv for focus).")
    var format: String?

    /// The config, the ledger path, the period and the format; exits with a
    /// clear message on any mistake.
    func resolve(command: String, defaultPeriod: String? = nil, defaultFormat: ReportFormat = .table) throws -> FinanceReportInputs {
        guard let output = format.map({ ReportFormat(rawValue: $0) }) ?? defaultFormat else {
            throw ValidationError("--format must be one of \(ReportFormat.names), got \"\(format ?? "")\"")
        }
        let now = Int64(Date().timeIntervalSince1970)
        let chosen: ReportPeriod
        do {
            chosen = try ReportPeriod.resolve(period: period ?? (from == nil && to == nil ? defaultPeriod : nil),
                                              from: from, to: to, nowSeconds: now)
        } catch {
            throw ValidationError("\(error)")
        }
        let loaded = ConfigLoading.loadOrExit(config)
        guard let ledger = try db ?? Self.ledgerPath(loaded, command: command) else {
            ConfigLoading.printError("tollgate \(command): \(config) configures no ledger (no tagging plugin, or `ledger: false`); "
                + "pass --db with a ledger file")
            throw ExitCode(1)
        }
        return FinanceReportInputs(config: loaded, ledgerPath: ledger, period: chosen, format: output, nowSeconds: now)
    }
}

extension FinanceReportOptions {
    /// The ledger the config's gateways write, as a file to read
    /// (LedgerReading: the ledger file, or on postgres the read copy,
    /// synced now); nil when the config keeps none. Exits with the
    /// database's error when it cannot be reached.
    static func ledgerPath(_ config: TollgateConfig, command: String) throws -> String? {
        var quiet = Logger(label: "tollgate.report")
        quiet.logLevel = .critical
        do {
            return try LedgerReading.path(for: config, logger: quiet)
        } catch {
            ConfigLoading.printError("tollgate \(command): cannot read the shared ledger: \(error)")
            throw ExitCode(1)
        }
    }
}

struct FinanceReportInputs {
    var config: TollgateConfig
    var ledgerPath: String
    var period: ReportPeriod
    var format: ReportFormat
    var nowSeconds: Int64

    /// Prints `table` in the chosen format.
    func print(_ table: ReportTable) {
        FileHandle.standardOutput.write(Data(format.render(table).utf8))
    }

    /// The grant table and the forecasts as the gateway sees them: the
    /// config's part and the governance log's (storage.dir/governance.sqlite,
    /// replayed read-only, none yet is fine; or the PostgreSQL database).
    func governance() throws -> (grants: GrantTable, forecasts: [Forecast]) {
        if config.storage.backend == .postgres {
            return try withDatabase { database in
                let registry = try GovernanceRegistry(store: PostgresGovernanceStore(storage: database), clock: { nowSeconds })
                registry.configure(config)
                return (registry.current.table, registry.forecastList)
            }
        }
        let store: GovernanceStore
        if FileManager.default.fileExists(atPath: config.storage.dir + "/" + SQLiteGovernanceStore.fileName) {
            store = try SQLiteGovernanceStore(directory: config.storage.dir, readOnly: true)
        } else {
            store = MemoryGovernanceStore()
        }
        let registry = try GovernanceRegistry(store: store, clock: { nowSeconds })
        registry.configure(config)
        return (registry.current.table, registry.forecastList)
    }

    /// The outcomes teams reported, summed over [from, to)
    /// (storage.dir/outcomes.sqlite; none yet is fine).
    func outcomes(fromMicros: Int64, toMicros: Int64) throws -> [OutcomeTotal] {
        if config.storage.backend == .postgres {
            return try withDatabase { try PostgresOutcomeStore(storage: $0).totals(fromMicros: fromMicros, toMicros: toMicros) }
        }
        guard FileManager.default.fileExists(atPath: config.storage.dir + "/" + SQLiteOutcomeStore.fileName) else { return [] }
        return try SQLiteOutcomeStore(directory: config.storage.dir, readOnly: true).totals(fromMicros: fromMicros, toMicros: toMicros)
    }

    /// `body` with the shared database (storage.backend: postgres), read only.
    private func withDatabase<T>(_ body: (PostgresStorage) throws -> T) throws -> T {
        var quiet = Logger(label: "tollgate.report")
        quiet.logLevel = .critical
        let database = try PostgresStorage.open(config.storage, logger: quiet, migrate: false)
        defer { database.close() }
        return try body(database)
    }

    /// Runs `body`, printing its error as `tollgate COMMAND: ...` and exiting 1.
    func run(_ command: String, _ body: () throws -> ReportTable) throws {
        do {
            _ = try LedgerFile.openForReading(ledgerPath, dimensions: [])
            print(try body())
        } catch {
            ConfigLoading.printError("tollgate \(command): \(error)")
            throw ExitCode(1)
        }
    }
}
