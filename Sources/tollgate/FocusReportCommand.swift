import ArgumentParser
import Foundation
import TollgateReports

struct FocusReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "focus",
        abstract: "The ledger as a FinOps FOCUS 1.2 cost and usage export (CSV by default): tollgate report focus --period 2026-11 > costs.csv",
        discussion: """
            One row per UTC day, org/team/feature, grant path, owner, model and provider. Every FOCUS 1.2 mandatory \
            column, the 1.3 ServiceProviderName and HostProviderName, tokens as ConsumedQuantity (unit Tokens), the \
            model as SkuId, and x_ columns for the org, team, feature, cost centre, grant, grant path, owners, requests \
            and token kinds. Costs are exact decimals: BilledCost adds up to the ledger's cost to the nano-dollar. \
            BillingAccountId/Name: finance.billing_account_id/name, else the org's name. Formats: csv, json. \
            Default period: this month.
            """)

    @OptionGroup var options: FinanceReportOptions

    func run() throws {
        let inputs = try options.resolve(command: "report focus", defaultFormat: .csv)
        guard let format = FocusExport.Format(rawValue: inputs.format.rawValue) else {
            throw ValidationError("--format for focus must be csv or json, got \"\(inputs.format.rawValue)\"")
        }
        do {
            let range = LedgerTimeRange(from: inputs.period.fromMicros, to: inputs.period.toMicros)
            _ = try LedgerFile.openForReading(inputs.ledgerPath)
            let charges = try FocusExport.charges(ledgerAt: inputs.ledgerPath, range: range)
            let stdout = FileHandle.standardOutput
            FocusExport(config: inputs.config).write(charges, range: range, format: format) { stdout.write(Data($0)) }
        } catch {
            ConfigLoading.printError("tollgate report focus: \(error)")
            throw ExitCode(1)
        }
    }
}
