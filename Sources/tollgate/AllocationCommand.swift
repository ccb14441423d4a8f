import ArgumentParser
import Foundation
import TollgateCLI
import TollgateJSON

struct AllocationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocation",
        abstract: "The allocation table (show, the default) and next period's proposal (propose).",
        subcommands: [AllocationShowCommand.self, AllocationProposeCommand.self],
        defaultSubcommand: AllocationShowCommand.self)
}

struct AllocationShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Every grant's amount, spend, in-flight reservations and remainder, and capacity allocated against purchased.",
        discussion: """
            Reads GET /admin/allocation (served by the budget plugin). table: one line per grant bucket, indented \
            under its parent. csv: RFC 4180, one row per bucket, with the rationale. json: the server's document. \
            markdown: a GitHub table for the committee's notes.
            """)

    @OptionGroup var connection: AdminConnection

    @Option(name: .long, help: "table, csv, json or markdown.")
    var format: String = "table"

    func validate() throws {
        try AdminCommand.check(format, option: "--format", among: AllocationFormat.allCases.map(\.rawValue))
    }

    func run() throws {
        let output = AllocationFormat(rawValue: format)!
        try AdminCommand.run {
            let raw = try connection.client.get("/admin/allocation")
            if output == .json { return AdminCommand.write(TextLayout.prettyJSON(raw)) }
            AdminCommand.write(output.render(try Allocation(json: raw), raw: raw))
        }
    }
}
