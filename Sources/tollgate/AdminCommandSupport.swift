import ArgumentParser
import Foundation
import TollgateCLI
import TollgateJSON

/// `--url` and `--credential`, shared by the commands that call the
/// gateway's admin API (allocation, grant, key, whoami, exception,
/// exceptions, burst).
struct AdminConnection: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The gateway's base URL.",
                                            discussion: "Default: $TOLLGATE_URL, else \(AdminEndpoint.defaultURL)."))
    var url: String?

    @Option(name: .long, help: ArgumentHelp(
        "The master key or a credential (team admin, approver, viewer), sent as Authorization: Bearer.",
        discussion: "Default: $TOLLGATE_CREDENTIAL, else $TOLLGATE_MASTER_KEY. Prefer the environment: other users can read a process's arguments."))
    var credential: String?

    var client: AdminClient {
        AdminClient(endpoint: .resolve(url: url, credential: credential, environment: ProcessInfo.processInfo.environment))
    }
}

/// `--format table|json` of the list commands that fetch one admin
/// resource and print it as a table or as the gateway's JSON.
struct TableOrJSONFormat: ParsableArguments {
    @Option(name: .long, help: "table or json.")
    var format: String = "table"

    func validate() throws { try AdminCommand.check(format, option: "--format", among: ["table", "json"]) }

    /// GETs `path` and prints it with `table`, or as JSON.
    func list(_ connection: AdminConnection, _ path: String, table: (JSONValue) -> String) throws {
        try AdminCommand.run {
            let answer = try connection.client.get(path)
            AdminCommand.write(format == "json" ? TextLayout.prettyJSON(answer) : table(answer))
        }
    }
}

enum AdminCommand {
    /// Runs an admin command's body: a refusal from the gateway is printed
    /// to stderr (exit 1), an unreachable gateway too (exit 2), a mistake in
    /// the options is a usage error.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as AdminClientError {
            ConfigLoading.printError("error: \(error)")
            throw ExitCode(error.exitCode)
        } catch let error as BodyError {
            ConfigLoading.printError("error: \(error)")
            throw ExitCode.validationFailure
        } catch let error as Allocation.NotAnAllocation {
            ConfigLoading.printError("error: \(error)")
            throw ExitCode(1)
        } catch let error as ExceptionLog.NotALog {
            ConfigLoading.printError("error: \(error)")
            throw ExitCode(1)
        }
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func check(_ value: String?, option: String, among choices: [String]) throws {
        guard let value, !choices.contains(value) else { return }
        throw ValidationError("\(option) must be one of \(choices.joined(separator: ", ")), got '\(value)'")
    }
}
