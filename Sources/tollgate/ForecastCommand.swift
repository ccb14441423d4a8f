import ArgumentParser
import Foundation
import TollgateCLI
import TollgateJSON

struct ForecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Submit a team's spend forecast for a period, and list the forecasts.",
        subcommands: [ForecastSubmitCommand.self, ForecastListCommand.self])
}

struct ForecastSubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a forecast (POST /admin/forecasts) with the team admin's credential (or the master key).",
        discussion: """
            The latest forecast for a team and period counts; earlier ones stay in the governance log. \
            tollgate report forecast compares forecasts with actuals and recommends haircuts.
            """)

    @Option(name: .long, help: "The team, as org/team.")
    var team: String

    @Option(name: .long, help: "A month (2026-12), a quarter (2027-Q1), or next.")
    var period: String = "next"

    @Option(name: .long, help: ArgumentHelp("The expected spend in USD.", valueName: "USD"))
    var amount: String

    @Option(name: .long, help: "The peak day over an average day (e.g. 1.5).")
    var peak: String?

    @Option(name: .long, help: "An event driving the forecast (repeat for several).")
    var event: [String] = []

    @Option(name: .long, help: "A note for the committee.")
    var note: String?

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: TableOrJSONFormat

    func run() throws {
        try AdminCommand.run {
            var fields: [(String, JSONValue)] = [("team", .string(team)), ("period", .string(period)), ("amount", .string(amount))]
            if let peak { fields.append(("peak_multiplier", .string(peak))) }
            if !event.isEmpty { fields.append(("events", .array(event.map(JSONValue.string)))) }
            if let note { fields.append(("note", .string(note))) }
            let answer = try connection.client.json("POST", "/admin/forecasts", body: .object(JSONObject(fields)))
            AdminCommand.write(output.format == "json" ? TextLayout.prettyJSON(answer)
                : "Forecast for \(answer["team"]?.stringValue ?? team), \(answer["period"]?.stringValue ?? period): "
                    + "\(answer["amount"]?.stringValue ?? amount) (submitted by \(answer["submitted_by"]?.stringValue ?? "?"))\n")
        }
    }
}

struct ForecastListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every team's latest forecast per period (GET /admin/forecasts; a credential sees its scope).")

    @OptionGroup var connection: AdminConnection
    @OptionGroup var output: TableOrJSONFormat

    func run() throws {
        try output.list(connection, "/admin/forecasts") { answer in
            guard case .array(let items)? = answer["forecasts"] else { return "(no forecasts)\n" }
            let rows = items.map { f in
                ["team", "period", "amount", "peak_multiplier", "submitted_by", "submitted_at"].map { f[$0]?.stringValue ?? "-" }
                    + [(f["events"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: "; ")]
            }
            return TextLayout.table(header: ["team", "period", "amount", "peak", "submitted by", "at", "events"], rows: rows,
                                    rightAligned: [2])
        }
    }
}
