import TollgateJSON
import TollgateConfig
import TollgateSupport
import TollgateUnits

/// How `tollgate report spend` prints a report. I/O-free: each format
/// returns the whole text. Money is exact everywhere: `cost` is the
/// nano-dollar integer rendered as a decimal, never a float.
package enum SpendReportFormat: String, CaseIterable, Sendable {
    case table, csv, json

    package func render(_ report: SpendReport) -> String {
        switch self {
        case .table: return Self.table(report)
        case .csv: return Self.csv(report)
        case .json: return Self.json(report)
        }
    }

    /// "12.34", "0.0000004": the exact decimal dollars of `nanos` (the
    /// finance reports' rendering).
    package static func dollars(_ nanos: Int64) -> String { ReportFormat.dollars(nanos) }

    static let metricNames = ["requests", "tokens_in", "tokens_out", "tokens_cached", "cost_usd", "cost_nanos",
                              "estimated_requests"]

    static func metrics(_ t: SpendReport.Totals) -> [String] {
        [String(t.requests), String(t.tokensIn), String(t.tokensOut), String(t.tokensCached), dollars(t.costNanos),
         String(t.costNanos), String(t.estimatedRequests)]
    }

    // MARK: table

    static func table(_ report: SpendReport) -> String {
        let header = report.dimensions + ["requests", "tokens_in", "tokens_out", "tokens_cached", "cost", "estimated"]
        func cells(_ keys: [String], _ t: SpendReport.Totals) -> [String] {
            keys + [String(t.requests), String(t.tokensIn), String(t.tokensOut), String(t.tokensCached),
                    Money.format(nanos: t.costNanos), String(t.estimatedRequests)]
        }
        var rows = report.groups.map { cells($0.keys.map { $0 ?? "(none)" }, $0.totals) }
        let totalKeys = report.dimensions.isEmpty ? [] : ["TOTAL"] + Array(repeating: "", count: report.dimensions.count - 1)
        let totalRow = cells(totalKeys, report.total)
        if report.dimensions.isEmpty { rows = [] }
        var widths = header.map(\.count)
        for row in rows + [totalRow] {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        let numericFrom = report.dimensions.count
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i >= numericFrom ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = "Spend " + rangeText(report) + "\n\n"
        out += line(header) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { out += line(row) + "\n" }
        if !rows.isEmpty { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        out += line(totalRow) + "\n"
        if report.groupsNest && !rows.isEmpty {
            out += "\nGrants nest: a request counts under every grant on its path (a parent includes its children),\n"
                + "so the groups add up to more than TOTAL, which counts each request once.\n"
        }
        return out
    }

    static func rangeText(_ report: SpendReport) -> String {
        let from = report.fromMicros.map { "from " + ReportTime.format(micros: $0) }
        let to = report.toMicros.map { "to " + ReportTime.format(micros: $0) + " (exclusive)" }
        let range = [from, to].compactMap { $0 }
        return (range.isEmpty ? "over the whole ledger" : range.joined(separator: " "))
            + (report.dimensions.isEmpty ? "" : ", by " + report.dimensions.joined(separator: ", "))
    }

    // MARK: csv (RFC 4180; no total row, so a spreadsheet can sum columns)

    static func csv(_ report: SpendReport) -> String {
        var out = (report.dimensions + metricNames).map(csvField).joined(separator: ",") + "\r\n"
        for group in report.groups {
            out += (group.keys.map { $0 ?? "" } + metrics(group.totals)).map(csvField).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func csvField(_ text: String) -> String { ReportFormat.csvField(text) }

    // MARK: json

    static func json(_ report: SpendReport) -> String {
        func totals(_ t: SpendReport.Totals) -> [(String, JSONValue)] {
            [("requests", .int(t.requests)), ("tokens_in", .int(t.tokensIn)), ("tokens_out", .int(t.tokensOut)),
             ("tokens_cached", .int(t.tokensCached)), ("cost_usd", .string(dollars(t.costNanos))),
             ("cost_nanos", .int(t.costNanos)), ("estimated_requests", .int(t.estimatedRequests))]
        }
        let groups: [JSONValue] = report.groups.map { group in
            let keys = zip(report.dimensions, group.keys).map { ($0, $1.map(JSONValue.string) ?? .null) }
            return .object(JSONObject(keys + totals(group.totals)))
        }
        let root = JSONObject([
            ("from", report.fromMicros.map { .string(ReportTime.format(micros: $0)) } ?? .null),
            ("to", report.toMicros.map { .string(ReportTime.format(micros: $0)) } ?? .null),
            ("by", .array(report.dimensions.map(JSONValue.string))),
            ("groups", .array(groups)),
            ("total", .object(JSONObject(totals(report.total)))),
        ])
        return JSONValue.object(root).jsonString + "\n"
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
