import TollgateJSON
import TollgateUnits

/// A finance report as rows and columns, printed by every report in the
/// same four formats (`--format table|csv|json|markdown`). Money stays an
/// integer of nano-dollars until it is printed, as an exact decimal.
package struct ReportTable: Equatable, Sendable {
    package enum Cell: Equatable, Sendable {
        case text(String)
        case integer(Int64)
        /// Nano-dollars.
        case money(Int64)
        /// Basis points (1/100 of a percent): 1234 is 12.34%.
        case percent(Int64)
        /// Not applicable or unknown (a cost per outcome with no outcomes):
        /// "-" in a table, empty in CSV, null in JSON.
        case none
    }

    package struct Column: Equatable, Sendable {
        /// The CSV header and JSON key (snake_case).
        package var name: String
        /// The table and Markdown header.
        package var title: String
        package init(_ name: String, _ title: String? = nil) {
            self.name = name
            self.title = title ?? name
        }
    }

    package var title: String
    package var columns: [Column]
    package var rows: [[Cell]]
    /// The total row (table, Markdown and JSON; CSV leaves it out so a
    /// spreadsheet can sum the columns).
    package var total: [Cell]?
    /// Lines printed under a table (the rule a figure followed, a caveat).
    package var notes: [String]
    /// Report-level facts for JSON (period, from, to, rule inputs).
    package var meta: [(String, JSONValue)]

    package init(title: String, columns: [Column], rows: [[Cell]], total: [Cell]? = nil, notes: [String] = [],
                 meta: [(String, JSONValue)] = []) {
        self.title = title
        self.columns = columns
        self.rows = rows
        self.total = total
        self.notes = notes
        self.meta = meta
    }

    package static func == (a: ReportTable, b: ReportTable) -> Bool {
        a.title == b.title && a.columns == b.columns && a.rows == b.rows && a.total == b.total && a.notes == b.notes
            && JSONValue.object(JSONObject(a.meta)) == JSONValue.object(JSONObject(b.meta))
    }
}

/// `--format` of every finance report.
package enum ReportFormat: String, CaseIterable, Sendable {
    case table, csv, json, markdown

    package static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    package func render(_ report: ReportTable) -> String {
        switch self {
        case .table: return Self.table(report)
        case .csv: return Self.csv(report)
        case .json: return Self.json(report).jsonString + "\n"
        case .markdown: return Self.markdown(report)
        }
    }

    /// "12.5%", "-3.25%": basis points as an exact decimal percentage.
    package static func percent(_ basisPoints: Int64) -> String {
        let sign = basisPoints < 0 ? "-" : ""
        let m = basisPoints.magnitude
        let whole = String(m / 100)
        let fraction = m % 100
        if fraction == 0 { return sign + whole + "%" }
        var digits = (fraction < 10 ? "0" : "") + String(fraction)
        if digits.hasSuffix("0") { digits.removeLast() }
        return sign + whole + "." + digits + "%"
    }

    static func display(_ cell: ReportTable.Cell) -> String {
        switch cell {
        case .text(let t): return t
        case .integer(let n): return String(n)
        case .money(let n): return Money.format(nanos: n)
        case .percent(let bp): return percent(bp)
        case .none: return "-"
        }
    }

    static func isNumeric(_ cell: ReportTable.Cell) -> Bool {
        if case .text = cell { return false }
        return true
    }

    // MARK: table

    static func table(_ report: ReportTable) -> String {
        let header = report.columns.map(\.title)
        let body = report.rows.map { $0.map(display) }
        let total = report.total.map { $0.map(display) }
        var widths = header.map(\.count)
        for row in body + (total.map { [$0] } ?? []) {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        // A column is right-aligned when its first non-empty cell is a number.
        let numeric: [Bool] = report.columns.indices.map { i in
            let cells = report.rows.map { $0[i] } + (report.total.map { [$0[i]] } ?? [])
            return cells.first { $0 != .none && $0 != .text("") }.map(isNumeric) ?? false
        }
        func line(_ row: [String]) -> String {
            var text = row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return numeric[i] ? pad + cell : cell + pad
            }.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        var out = report.title + "\n\n" + line(header) + "\n" + rule + "\n"
        for row in body { out += line(row) + "\n" }
        if body.isEmpty { out += "(no rows)\n" }
        if let total {
            out += rule + "\n" + line(total) + "\n"
        }
        if !report.notes.isEmpty { out += "\n" + report.notes.joined(separator: "\n") + "\n" }
        return out
    }

    // MARK: csv (RFC 4180; money as exact dollars plus a _nanos column)

    static func csv(_ report: ReportTable) -> String {
        let moneyColumns = Set(report.columns.indices.filter { i in report.rows.contains { if case .money = $0[i] { return true }; return false } })
        var header: [String] = []
        for (i, column) in report.columns.enumerated() {
            header.append(column.name)
            if moneyColumns.contains(i) { header.append(column.name + "_nanos") }
        }
        var out = header.map(csvField).joined(separator: ",") + "\r\n"
        for row in report.rows {
            var fields: [String] = []
            for (i, cell) in row.enumerated() {
                fields.append(csvText(cell))
                if moneyColumns.contains(i) {
                    if case .money(let n) = cell { fields.append(String(n)) } else { fields.append("") }
                }
            }
            out += fields.map(csvField).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func csvText(_ cell: ReportTable.Cell) -> String {
        switch cell {
        case .text(let t): return t
        case .integer(let n): return String(n)
        case .money(let n): return dollars(n)
        case .percent(let bp): return String(percent(bp).dropLast())
        case .none: return ""
        }
    }

    /// "12.34", "-0.0000004": the exact decimal dollars of `nanos`.
    package static func dollars(_ nanos: Int64) -> String {
        let text = Money.format(nanos: nanos)
        return text.hasPrefix("-$") ? "-" + text.dropFirst(2) : String(text.dropFirst())
    }

    package static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        var quoted = "\""
        for c in text {
            if c == "\"" { quoted += "\"\"" } else { quoted.append(c) }
        }
        return quoted + "\""
    }

    // MARK: json (money as a dollars string and an exact _nanos integer)

    package static func json(_ report: ReportTable) -> JSONValue {
        func object(_ row: [ReportTable.Cell]) -> JSONValue {
            var fields: [(String, JSONValue)] = []
            for (column, cell) in zip(report.columns, row) {
                switch cell {
                case .text(let t): fields.append((column.name, .string(t)))
                case .integer(let n): fields.append((column.name, .int(n)))
                case .money(let n):
                    fields.append((column.name, .string(dollars(n))))
                    fields.append((column.name + "_nanos", .int(n)))
                case .percent(let bp): fields.append((column.name, .string(String(percent(bp).dropLast()))))
                case .none: fields.append((column.name, .null))
                }
            }
            return .object(JSONObject(fields))
        }
        var root: [(String, JSONValue)] = [("title", .string(report.title))]
        root += report.meta
        root.append(("rows", .array(report.rows.map(object))))
        if let total = report.total { root.append(("total", object(total))) }
        if !report.notes.isEmpty { root.append(("notes", .array(report.notes.map(JSONValue.string)))) }
        return .object(JSONObject(root))
    }

    // MARK: markdown (GitHub tables: what a finance partner pastes into a review)

    static func markdown(_ report: ReportTable) -> String {
        func escape(_ text: String) -> String {
            var out = ""
            for c in text {
                if c == "|" { out += "\\|" } else if c == "\n" { out += " " } else { out.append(c) }
            }
            return out
        }
        let numeric: [Bool] = report.columns.indices.map { i in
            report.rows.first { $0[i] != .none }.map { isNumeric($0[i]) } ?? false
        }
        var out = "## " + escape(report.title) + "\n\n"
        out += "| " + report.columns.map { escape($0.title) }.joined(separator: " | ") + " |\n"
        out += "|" + numeric.map { $0 ? " ---: |" : " --- |" }.joined() + "\n"
        for row in report.rows {
            out += "| " + row.map { escape(display($0)) }.joined(separator: " | ") + " |\n"
        }
        if let total = report.total {
            out += "| " + total.map { "**" + escape(display($0)) + "**" }.map { $0 == "****" ? "" : $0 }.joined(separator: " | ") + " |\n"
        }
        if !report.notes.isEmpty { out += "\n" + report.notes.map { "> " + escape($0) }.joined(separator: "\n") + "\n" }
        return out
    }
}
