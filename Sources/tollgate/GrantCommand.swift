import ArgumentParser
import Foundation
import TollgateCLI
import TollgateJSON

struct GrantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant",
        abstract: "List, show, create, update and revoke grants through the admin API.",
        discussion: "Grants in the config file change there (and a reload); these commands mint and change grants at run time.",
        subcommands: [GrantListCommand.self, GrantShowCommand.self, GrantCreateCommand.self, GrantUpdateCommand.self,
                       GrantRevokeCommand.self])
}

/// The fields `grant create` and `grant update` share.
struct GrantFieldOptions: ParsableArguments {
    @Option(name: .long, help: "Who is accountable for the grant (e.g. an email address).")
    var owner: String?

    @Option(name: .long, help: ArgumentHelp("USD per period, one figure for every class the grant admits (\"500\", \"1250.50\").",
                                            valueName: "USD"))
    var amount: String?

    @Option(name: .long, help: ArgumentHelp("USD per period for production traffic (with --experimentation, instead of --amount).",
                                            valueName: "USD"))
    var production: String?

    @Option(name: .long, help: ArgumentHelp("USD per period for experimentation traffic.", valueName: "USD"))
    var experimentation: String?

    @Option(name: .long, help: "daily, weekly, monthly, quarterly or total (create's default: monthly).")
    var period: String?

    @Option(name: .customLong("class"), help: "production, experimentation or both (the gateway's default: both).")
    var grantClass: String?

    @Option(name: .long, help: "Tokens per minute the grant may use.")
    var tpm: Int64?

    @Option(name: .long, help: "Requests per minute the grant may make.")
    var rpm: Int64?

    @Option(name: .long, help: ArgumentHelp("When the grant ends or renews (2027-06-30: through that day, UTC).", valueName: "DATE"))
    var renews: String?

    @Option(name: .long, help: ArgumentHelp("When the committee reviews the grant.", valueName: "DATE"))
    var review: String?

    @Option(name: .long, help: ArgumentHelp("Why the grant is this size.", valueName: "TEXT"))
    var rationale: String?

    @Option(name: .customLong("trailing-usage"), help: ArgumentHelp("The rationale's trailing usage figure.", valueName: "TEXT"))
    var trailingUsage: String?

    @Option(name: .long, help: ArgumentHelp("The rationale's forecast.", valueName: "TEXT"))
    var forecast: String?

    @Option(name: .long, help: "The rationale's priority (0-1000).")
    var priority: Int64?

    @Option(name: .customLong("on-expiry"), help: "At the renewal date: refuse (stop) or grace (production goes on --grace-days).")
    var onExpiry: String?

    @Option(name: .customLong("grace-days"), help: "Days production traffic goes on after renewal (with --on-expiry grace).")
    var graceDays: Int64?

    @Option(name: .customLong("at-cap"), help: "Production traffic at the cap: open (let it through, alert) or refuse.")
    var atCap: String?

    func validate() throws {
        try AdminCommand.check(period, option: "--period", among: ["daily", "weekly", "monthly", "quarterly", "total"])
        try AdminCommand.check(grantClass, option: "--class", among: ["production", "experimentation", "both"])
        try AdminCommand.check(onExpiry, option: "--on-expiry", among: ["refuse", "grace"])
        try AdminCommand.check(atCap, option: "--at-cap", among: ["open", "refuse"])
    }

    var fields: GrantFields {
        var f = GrantFields()
        f.owner = owner
        f.amount = amount
        f.production = production
        f.experimentation = experimentation
        f.period = period
        f.grantClass = grantClass
        f.tpm = tpm
        f.rpm = rpm
        f.renews = renews
        f.review = review
        f.rationale = rationale
        f.trailingUsage = trailingUsage
        f.forecast = forecast
        f.priority = priority
        f.onExpiry = onExpiry
        f.graceDays = graceDays
        f.atCap = atCap
        return f
    }
}

/// `--format text|json` for the commands that print one grant.
struct OneGrantFormat: ParsableArguments {
    @Option(name: .long, help: "text or json.")
    var format: String = "text"

    func validate() throws { try AdminCommand.check(format, option: "--format", among: ["text", "json"]) }

    func render(_ grant: JSONValue) -> String {
        format == "json" ? TextLayout.prettyJSON(grant) : GovernanceFormat.grantDetail(grant)
    }
}

struct GrantListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The grant table (a credential sees its scope).")

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: TableOrJSONFormat

    func run() throws { try output.list(connection, "/admin/grants", table: GovernanceFormat.grantTable) }
}

struct GrantShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One grant, every field.")

    @Argument(help: "The grant's id.")
    var id: String

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: OneGrantFormat

    func run() throws {
        try AdminCommand.run {
            AdminCommand.write(output.render(try connection.client.get("/admin/grants/" + AdminClient.pathSegment(id))))
        }
    }
}

struct GrantCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Mint a grant (POST /admin/grants).",
        discussion: """
            A team admin mints below its team (feature, environment, experiment, tag or key scopes) inside one of its \
            team's grants; the master key anywhere. Nothing may exceed what its parent has left to carve.
            """)

    @Option(name: .long, help: "The grant's id (unique, revoked ones included).")
    var id: String

    @Option(name: .long, help: "org/ORG, team/ORG/TEAM, feature|environment|experiment/ORG/TEAM/NAME, tag/ORG/TEAM/NAME=VALUE or key/KEY_ID.")
    var scope: String

    @Option(name: .long, help: "The grant it is carved from (default: the one whose scope encloses it).")
    var parent: String?

    @OptionGroup var grant: GrantFieldOptions
    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: OneGrantFormat

    func run() throws {
        try AdminCommand.run {
            var fields = grant.fields
            fields.id = id
            fields.scope = scope
            fields.parent = parent
            let body = try GrantBody.create(fields)
            let created = try connection.client.json("POST", "/admin/grants", body: body)
            AdminCommand.write(output.render(created))
        }
    }
}

struct GrantUpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change a minted grant (PATCH /admin/grants/ID): only the fields given change.",
        discussion: "A grant's id, scope and parent cannot change. Grants in the config file change there.")

    @Argument(help: "The grant's id.")
    var id: String

    @OptionGroup var grant: GrantFieldOptions

    @Option(name: .long, parsing: .singleValue,
            help: ArgumentHelp("Remove an optional field (repeatable): \(GrantBody.clearable.joined(separator: ", ")).",
                               valueName: "FIELD"))
    var clear: [String] = []

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: OneGrantFormat

    func run() throws {
        try AdminCommand.run {
            var fields = grant.fields
            fields.clear = clear
            let client = connection.client
            let path = "/admin/grants/" + AdminClient.pathSegment(id)
            // The rationale is replaced whole: keep the parts not given.
            let current = fields.rationale != nil || fields.trailingUsage != nil || fields.forecast != nil || fields.priority != nil
                ? try client.get(path) : nil
            let body = try GrantBody.update(fields, current: current)
            AdminCommand.write(output.render(try client.json("PATCH", path, body: body)))
        }
    }
}

struct GrantRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a grant (DELETE /admin/grants/ID): from the next request on, it and what lies below it admit nothing.")

    @Argument(help: "The grant's id.")
    var id: String

    @Option(name: .long, help: "Why (kept in the governance log).")
    var reason: String?

    @OptionGroup var connection: AdminConnection

    func run() throws {
        try AdminCommand.run {
            let answer = try connection.client.json("DELETE", "/admin/grants/" + AdminClient.pathSegment(id),
                                                    body: RevokeBody.make(reason: reason))
            var line = "Grant '\(answer["id"].text ?? id)' revoked"
            let by = [answer["revoked_by"].text.map { "by \($0)" }, Display.instant(answer["revoked_at"]).map { "at \($0)" }]
                .compactMap { $0 }
            if !by.isEmpty { line += " " + by.joined(separator: " ") }
            AdminCommand.write(line + ".\n")
        }
    }
}
