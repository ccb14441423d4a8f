import ArgumentParser
import Foundation
import TollgateReports

struct CapacityReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Peak tokens per minute per team; per org and gateway, the p95 of the aggregate against the sum of the peaks; the pools.",
        discussion: """
            TPM is the tokens (input, cached included, plus output) of the ledger's rows per UTC minute they were \
            received. Per team: its peak minute. Per org and for the whole gateway: the peak and the 95th percentile \
            (nearest rank, over the minutes with traffic) of the aggregate, against the sum of the teams' peaks: size \
            provisioned throughput to the aggregate. Per configured capacity pool (capacity.pools): the aggregate of the \
            traffic it serves (its provider, and model if it names one) against its tpm. Default period: this month.
            """)

    @OptionGroup var options: FinanceReportOptions

    func run() throws {
        let inputs = try options.resolve(command: "report capacity")
        do {
            _ = try LedgerFile.openForReading(inputs.ledgerPath)
            let report = try CapacityReport.run(ledgerAt: inputs.ledgerPath,
                                                range: LedgerTimeRange(from: inputs.period.fromMicros, to: inputs.period.toMicros),
                                                pools: inputs.config.capacity.pools)
            inputs.print(report.table)
        } catch {
            ConfigLoading.printError("tollgate report capacity: \(error)")
            throw ExitCode(1)
        }
    }
}
