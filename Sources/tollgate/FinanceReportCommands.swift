import ArgumentParser
import Foundation
import TollgateConfig
import TollgateHost
import TollgateReports

struct ChargebackReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chargeback",
        abstract: "Spend, outcomes and cost per outcome per team (or grant, owner, feature), against the previous period.",
        discussion: """
            Spend is exact (the ledger's nano-dollars); share is of the period's whole bill; outcomes are what teams \
            reported with POST /v1/outcomes; cost per outcome is spend over outcomes, with its change against the \
            previous period; the cost centre is the team's cost_center. docs/finance.md explains each column.
            """)

    @OptionGroup var options: FinanceReportOptions

    @Option(name: .long, help: "team, grant, owner or feature.")
    var by: String = "team"

    func run() throws {
        guard let grouping = ChargebackReport.Grouping(rawValue: by) else {
            throw ValidationError("--by must be one of \(ChargebackReport.Grouping.names), got \"\(by)\"")
        }
        let inputs = try options.resolve(command: "report chargeback")
        try inputs.run("report chargeback") {
            let grants = try inputs.governance().grants
            return try ChargebackReport.run(config: inputs.config, grants: grants, ledgerPath: inputs.ledgerPath, period: inputs.period,
                                            by: grouping, outcomes: inputs.outcomes).table
        }
    }
}

struct ForecastReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Each team's forecast against its actual spend, the periods before, and the haircut the rule recommends.",
        discussion: """
            Forecasts are what team admins submitted (tollgate forecast submit). The haircut rule is finance.haircut \
            in the config: actuals below below_percent of the forecast for `periods` periods in a row cut the next \
            grant by cut_percent (shown with its inputs).
            """)

    @OptionGroup var options: FinanceReportOptions

    func run() throws {
        let inputs = try options.resolve(command: "report forecast")
        try inputs.run("report forecast") {
            let (grants, forecasts) = try inputs.governance()
            return try ForecastReport.run(config: inputs.config, grants: grants, ledgerPath: inputs.ledgerPath, period: inputs.period,
                                          forecasts: forecasts).table
        }
    }
}

struct AllocationProposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propose",
        abstract: "Proposes next period's grants from trailing usage, forecasts (after haircut) and priorities, as a diff. Applies nothing.",
        discussion: """
            Reads the ledger, the config and the governance log directly (like tollgate report). \
            docs/finance.md gives the rule for each line's basis.
            """)

    @OptionGroup var options: FinanceReportOptions

    func run() throws {
        let inputs = try options.resolve(command: "allocation propose", defaultPeriod: "next")
        try inputs.run("allocation propose") {
            let (grants, forecasts) = try inputs.governance()
            return try AllocationProposal.run(config: inputs.config, grants: grants, ledgerPath: inputs.ledgerPath, period: inputs.period,
                                              forecasts: forecasts).table
        }
    }
}
