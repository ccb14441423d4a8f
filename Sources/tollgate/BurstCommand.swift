import ArgumentParser
import Foundation
import TollgateCLI
import TollgateJSON

struct BurstCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burst",
        abstract: "Draw from an org's burst pool, and list the pools.",
        subcommands: [BurstDrawCommand.self, BurstListCommand.self])
}

struct BurstDrawCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draw",
        abstract: "Draw from the org's burst pool for a team grant (POST /admin/burst/draws).",
        discussion: """
            Within the team's borrowing limit and the pool's room the draw is granted at once; above either it is \
            filed as an exception request for an approver (tollgate exception approve ID). At the window's end the \
            grant returns to its baseline and the pool's room comes back.
            """)

    @OptionGroup var raise: RaiseOptions

    @Option(name: .long, help: ArgumentHelp("What to borrow, in USD (\"3\", \"250.50\").", valueName: "USD"))
    var amount: String

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: OneExceptionFormat

    func run() throws {
        try AdminCommand.run {
            let body = try RaiseBody.draw(raise.fields(amount: amount))
            let answer = try connection.client.json("POST", "/admin/burst/draws", body: body)
            AdminCommand.write(output.render(answer, action: "draw"))
        }
    }
}

struct BurstListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "The burst pools (GET /admin/burst): amount, lent now, room, and each team's borrowing limit.")

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: TableOrJSONFormat

    func run() throws { try output.list(connection, "/admin/burst", table: BurstFormat.pools) }
}
