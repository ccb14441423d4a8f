import ArgumentParser
import Foundation
import TollgateCLI
import TollgateJSON

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Mint, list and revoke virtual keys through the admin API.",
        subcommands: [KeyCreateCommand.self, KeyListCommand.self, KeyRevokeCommand.self])
}

struct KeyCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Mint a key (POST /admin/keys). The secret is printed once, alone on the first line of stdout.",
        discussion: """
            KEY=$(tollgate key create --id ci-bot --class production | head -1) keeps the secret; the note about it \
            goes to stderr. A team admin's keys belong to its team.
            """)

    @Option(name: .long, help: "The key's id (unique, revoked ones included).")
    var id: String

    @Option(name: .long, help: ArgumentHelp("The key's team (the master key must say, or give --grant).", valueName: "ORG/TEAM"))
    var team: String?

    @Option(name: .long, help: "The grant the key draws on.")
    var grant: String?

    @Option(name: .customLong("class"), help: "production or experimentation.")
    var keyClass: String

    @Option(name: .long, help: ArgumentHelp("The models the key may use (default: all).", valueName: "a,b"))
    var models: String?

    @Option(name: .long, help: ArgumentHelp("When the key stops working (2027-06-30: through that day, UTC).", valueName: "DATE"))
    var expires: String?

    @Option(name: .long, help: "Who the key is for (default: the credential's owner).")
    var owner: String?

    @OptionGroup var connection: AdminConnection

    func validate() throws {
        try AdminCommand.check(keyClass, option: "--class", among: ["production", "experimentation"])
    }

    func run() throws {
        try AdminCommand.run {
            let body = try KeyBody.create(KeyFields(id: id, keyClass: keyClass, team: team, grant: grant, models: models,
                                                    expires: expires, owner: owner))
            let answer = try connection.client.json("POST", "/admin/keys", body: body)
            guard let secret = answer["key"].text else {
                throw AdminClientError.badResponse(url: connection.client.endpoint.baseURL + "/admin/keys",
                                                   reason: "the answer holds no key")
            }
            AdminCommand.write(secret + "\n")
            ConfigLoading.printError(GovernanceFormat.keyCreatedNote(answer).trimmingCharacters(in: .newlines))
        }
    }
}

struct KeyListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Keys minted at run time, and their revocations (a credential sees its scope).")

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: TableOrJSONFormat

    func run() throws { try output.list(connection, "/admin/keys", table: GovernanceFormat.keyTable) }
}

struct KeyRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a key, from the config or minted (DELETE /admin/keys/ID): the next request with it gets 401.")

    @Argument(help: "The key's id.")
    var id: String

    @Option(name: .long, help: "Why (kept in the governance log).")
    var reason: String?

    @OptionGroup var connection: AdminConnection

    func run() throws {
        try AdminCommand.run {
            let answer = try connection.client.json("DELETE", "/admin/keys/" + AdminClient.pathSegment(id),
                                                    body: RevokeBody.make(reason: reason))
            let detail = answer["revocation"].text.flatMap { $0.isEmpty ? nil : " (\($0))" } ?? ""
            AdminCommand.write("Key '\(answer["id"].text ?? id)' revoked\(detail).\n")
        }
    }
}
