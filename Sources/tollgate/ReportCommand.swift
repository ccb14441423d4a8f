import ArgumentParser
import Foundation
import TollgateSupport
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateReports
import TollgateMockProvider
import TollgateProxy
import TollgateUnits

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports over the chargeback ledger the tagging plugin writes.",
        subcommands: [SpendReportCommand.self, ChargebackReportCommand.self, ForecastReportCommand.self, BaselineReportCommand.self,
                      CapacityReportCommand.self, FocusReportCommand.self])
}

struct SpendReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spend",
        abstract: "Requests, tokens and cost from the ledger, grouped as asked.",
        discussion: """
            The range is half-open, [--from, --to), on the time each request was received. Dates are UTC: \
            2026-11-01 means midnight; RFC 3339 timestamps (2026-11-01T09:30:00Z) are accepted too. \
            Dimensions: \(ReportDimension.names.joined(separator: ", ")), or tag.NAME for any other tag. \
            grant counts a request once under each grant on its path (the grant ids it was charged to, root first), \
            so grant totals nest: a parent includes its children; requests on no grant show as (none). \
            grant_owner is the owner of the deepest grant on the path. \
            Costs are exact (nano-dollar integers printed as decimals); the total is the exact sum of the groups, \
            except with grant, where it counts each request once.
            """)

    @Option(name: .long, help: "The ledger file (storage.dir/ledger.sqlite by default); or give --config.")
    var db: String?

    @Option(name: .long, help: "The gateway's config: reads the ledger its gateways write (with storage.backend postgres, the shared ledger, through the read copy storage.dir/ledger-shared.sqlite synced first).")
    var config: String?

    @Option(name: .long, help: "Start of the range, inclusive (YYYY-MM-DD or RFC 3339, UTC).")
    var from: String?

    @Option(name: .long, help: "End of the range, exclusive (YYYY-MM-DD or RFC 3339, UTC).")
    var to: String?

    @Option(name: .long, help: "Comma-separated dimensions to group by, e.g. team,feature,model or grant,model.")
    var by: String = ""

    @Option(name: .long, help: "table, csv or json.")
    var format: String = "table"

    @Flag(name: .customLong("no-rollup"),
          help: "Read the ledger's rows even where its daily rollup would answer (the same answer, slower; a check).")
    var noRollup = false

    func run() throws {
        let query: SpendQuery
        let output: SpendReportFormat
        do {
            guard let chosen = SpendReportFormat(rawValue: format) else {
                throw ValidationError("--format must be one of \(SpendReportFormat.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(format)\"")
            }
            output = chosen
            let fromMicros = try from.map { try ReportTime.parseMicros($0) }
            let toMicros = try to.map { try ReportTime.parseMicros($0) }
            if let fromMicros, let toMicros, toMicros <= fromMicros {
                throw ValidationError("--to (\(to!)) must be after --from (\(from!))")
            }
            query = SpendQuery(fromMicros: fromMicros, toMicros: toMicros, dimensions: try ReportDimension.parseList(by))
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        let db: String
        if let file = self.db {
            db = file
        } else if let config {
            let loaded = ConfigLoading.loadOrExit(config)
            guard let path = try FinanceReportOptions.ledgerPath(loaded, command: "report spend") else {
                ConfigLoading.printError("tollgate report spend: \(config) configures no ledger (no tagging plugin, or `ledger: false`); "
                    + "pass --db with a ledger file")
                throw ExitCode(1)
            }
            db = path
        } else {
            throw ValidationError("give --db FILE (a ledger file) or --config FILE (the gateway's config)")
        }
        do {
            // Says what is wrong with a file that is not a ledger, or too old for a dimension.
            _ = try LedgerFile.openForReading(db, dimensions: query.dimensions)
            let report = try query.run(ledgerAt: db, rollup: !noRollup)
            FileHandle.standardOutput.write(Data(output.render(report).utf8))
        } catch {
            ConfigLoading.printError("tollgate report spend: \(error)")
            throw ExitCode(1)
        }
    }
}
