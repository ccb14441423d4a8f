import ArgumentParser
import Foundation
import TollgateCLI
import Logging
import TollgateConfig
import TollgateHost
import TollgatePostgres
import TollgateJSON

struct ExceptionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exception",
        abstract: "Request, approve, deny and show exceptions: time-boxed raises of a grant, with a written reason.",
        discussion: """
            A team admin (or the master key) files a request; an approver credential (or the master key) that did not \
            file it approves or denies it. An approved raise lapses by itself at its window's end.
            """,
        subcommands: [ExceptionRequestCommand.self, ExceptionApproveCommand.self, ExceptionDenyCommand.self,
                      ExceptionShowCommand.self, ExceptionsListCommand.self])
}

struct ExceptionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exceptions",
        abstract: "The exception log (every request and burst draw), and the check of its hash chain.",
        subcommands: [ExceptionsListCommand.self, ExceptionsVerifyCommand.self],
        defaultSubcommand: ExceptionsListCommand.self)
}

/// What a raise asks for: shared by `exception request` and `burst draw`.
struct RaiseOptions: ParsableArguments {
    @Option(name: .long, help: "The grant to raise (its id).")
    var grant: String

    @Option(name: .customLong("class"), help: "production or experimentation (needed when the grant has an amount per class).")
    var raiseClass: String?

    @Option(name: .long, help: ArgumentHelp("When the raise starts (2026-12-24: from that day, UTC; or RFC 3339). Default: now.",
                                            valueName: "DATE"))
    var starts: String?

    @Option(name: .long, help: ArgumentHelp("When it ends (2026-12-31: through that day, UTC; or RFC 3339).", valueName: "DATE"))
    var ends: String

    @Option(name: .long, help: ArgumentHelp("Why, in writing (the approver and the log read it).", valueName: "TEXT"))
    var reason: String

    @Option(name: .customLong("use-case"), help: ArgumentHelp("What it is for (campaign, launch, incident...).", valueName: "TEXT"))
    var useCase: String?

    func validate() throws {
        try AdminCommand.check(raiseClass, option: "--class", among: ["production", "experimentation"])
    }

    func fields(amount: String?, percent: Int64? = nil) -> RaiseFields {
        RaiseFields(grant: grant, raiseClass: raiseClass, amount: amount, percent: percent, starts: starts, ends: ends,
                    reason: reason, useCase: useCase)
    }
}

/// `--format text|json` for the commands that print one entry.
struct OneExceptionFormat: ParsableArguments {
    @Option(name: .long, help: "text or json.")
    var format: String = "text"

    func validate() throws { try AdminCommand.check(format, option: "--format", among: ["text", "json"]) }

    /// The entry with a first line saying what was done (nil: none).
    func render(_ answer: JSONValue, action: String?) -> String {
        if format == "json" { return TextLayout.prettyJSON(answer) }
        let entry = ExceptionEntry(json: answer)
        return (action.map { ExceptionFormat.headline(entry, action: $0) + "\n\n" } ?? "") + ExceptionFormat.detail(entry)
    }
}

struct ExceptionRequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "File an exception request against a grant (POST /admin/exceptions): an approver decides.",
        discussion: """
            The raise is --amount USD or --percent N of the grant's amount, for a window ending at --ends. The gateway \
            refuses, naming the field, a reason that is too short, a window in the past or too long, an amount above \
            its limit (exceptions in the config).
            """)

    @OptionGroup var raise: RaiseOptions

    @Option(name: .long, help: ArgumentHelp("The raise in USD (\"6\", \"1250.50\").", valueName: "USD"))
    var amount: String?

    @Option(name: .long, help: ArgumentHelp("The raise as a whole percentage of the grant's amount (1-1000).", valueName: "N"))
    var percent: Int64?

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: OneExceptionFormat

    func run() throws {
        try AdminCommand.run {
            let body = try RaiseBody.request(raise.fields(amount: amount, percent: percent))
            let answer = try connection.client.json("POST", "/admin/exceptions", body: body)
            AdminCommand.write(output.render(answer, action: "request"))
        }
    }
}

struct ExceptionApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a pending request (POST /admin/exceptions/ID/approve): an approver, never the requester.")

    @Argument(help: "The exception's id (exc-0001, burst-0002).")
    var id: String

    @Option(name: .long, help: ArgumentHelp("A condition the approval carries (kept in the log).", valueName: "TEXT"))
    var condition: String?

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: OneExceptionFormat

    func run() throws {
        try AdminCommand.run {
            let answer = try connection.client.json("POST", ExceptionQuery.entryPath(id, "approve"),
                                                    body: DecisionBody.approve(condition: condition))
            AdminCommand.write(output.render(answer, action: "approved"))
        }
    }
}

struct ExceptionDenyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny",
        abstract: "Deny a pending request (POST /admin/exceptions/ID/deny), saying why.")

    @Argument(help: "The exception's id.")
    var id: String

    @Option(name: .long, help: ArgumentHelp("Why (kept in the log).", valueName: "TEXT"))
    var reason: String

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: OneExceptionFormat

    func run() throws {
        try AdminCommand.run {
            let answer = try connection.client.json("POST", ExceptionQuery.entryPath(id, "deny"), body: try DecisionBody.deny(reason: reason))
            AdminCommand.write(output.render(answer, action: "denied"))
        }
    }
}

struct ExceptionShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One exception or burst draw, every field.")

    @Argument(help: "The exception's id.")
    var id: String

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: OneExceptionFormat

    func run() throws {
        try AdminCommand.run {
            AdminCommand.write(output.render(try connection.client.get(ExceptionQuery.entryPath(id)), action: nil))
        }
    }
}

struct ExceptionsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "The exception log (GET /admin/exceptions): requests and draws, who asked and decided, window, status, spend.",
        discussion: """
            table: one line per entry. csv: RFC 4180, every field. json: the gateway's document. markdown: a GitHub \
            table under "Exception log as of ...", for the committee's notes.
            """)

    @Option(name: .long, help: ArgumentHelp("Only these statuses: \(ExceptionQuery.statuses.joined(separator: ", ")).",
                                            valueName: "a,b"))
    var status: String?

    @Option(name: .long, help: "table, csv, json or markdown.")
    var format: String = "table"

    @OptionGroup var connection: AdminConnection

    func validate() throws {
        try AdminCommand.check(format, option: "--format", among: ExceptionFormat.allCases.map(\.rawValue))
    }

    func run() throws {
        let output = ExceptionFormat(rawValue: format)!
        try AdminCommand.run {
            let raw = try connection.client.get(try ExceptionQuery.listPath(status: status))
            if output == .json { return AdminCommand.write(TextLayout.prettyJSON(raw)) }
            AdminCommand.write(output.render(try ExceptionLog(json: raw), raw: raw))
        }
    }
}

struct ExceptionsVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the governance log's hash chain: exit 0 when intact, 1 naming the first broken event.",
        discussion: """
            Asks the running gateway (GET /admin/exceptions/verify), or with --storage reads DIR/governance.sqlite \
            directly, read-only, without a gateway; with --config FILE, reads the log where that config keeps it: \
            storage.dir's file, or the PostgreSQL database (storage.backend: postgres).
            """)

    @Option(name: .long, help: ArgumentHelp("Verify offline: the gateway's storage directory (storage.dir).", valueName: "DIR"))
    var storage: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("Verify offline where this config keeps the log (SQLite or PostgreSQL).",
                                                            valueName: "FILE"))
    var configFile: String?

    @OptionGroup var connection: AdminConnection

    func run() throws {
        var report: ChainReport?
        if let storage {
            report = try Self.offline(storage)
        } else if let configFile {
            let loaded = ConfigLoading.loadOrExit(configFile)
            report = loaded.storage.backend == .postgres ? try Self.offlinePostgres(loaded.storage) : try Self.offline(loaded.storage.dir)
        } else {
            try AdminCommand.run { report = try ChainReport(json: try connection.client.get("/admin/exceptions/verify")) }
        }
        guard let report else { throw ExitCode(1) }
        AdminCommand.write(report.text)
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }

    /// The chain as the shared database holds it; a database that cannot be
    /// reached exits 2.
    static func offlinePostgres(_ storage: StorageConfig) throws -> ChainReport {
        var quiet = Logger(label: "tollgate.verify")
        quiet.logLevel = .critical
        do {
            let database = try PostgresStorage.open(storage, logger: quiet, migrate: false)
            defer { database.close() }
            let check = try PostgresGovernanceStore(storage: database).verify()
            return ChainReport(events: check.events, firstBroken: check.firstBroken, problem: check.problem)
        } catch {
            ConfigLoading.printError("error: cannot read the governance log: \(error)")
        }
        throw ExitCode(2)
    }

    /// The chain as the file holds it; a file that cannot be read exits 2.
    static func offline(_ directory: String) throws -> ChainReport {
        let path = directory + "/" + SQLiteGovernanceStore.fileName
        do {
            let check = try SQLiteGovernanceStore(directory: directory, readOnly: true).verify()
            return ChainReport(events: check.events, firstBroken: check.firstBroken, problem: check.problem)
        } catch let error as GovernanceError {
            ConfigLoading.printError("error: cannot read the governance log: \(error)")
        } catch {
            ConfigLoading.printError("error: cannot read the governance log \(path): \(error)")
        }
        throw ExitCode(2)
    }
}
