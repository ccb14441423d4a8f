import ArgumentParser
import Foundation
import TollgateCLI
import TollgateJSON

struct WhoamiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Who the gateway takes the presented credential for: the master key, a team admin or a viewer, and its scope.")

    @OptionGroup var connection: AdminConnection

    @Option(name: .long, help: "text or json.")
    var format: String = "text"

    func validate() throws { try AdminCommand.check(format, option: "--format", among: ["text", "json"]) }

    func run() throws {
        try AdminCommand.run {
            let client = connection.client
            let answer = try client.get("/admin/whoami")
            AdminCommand.write(format == "json" ? TextLayout.prettyJSON(answer)
                                                : GovernanceFormat.whoami(answer, url: client.endpoint.baseURL))
        }
    }
}
