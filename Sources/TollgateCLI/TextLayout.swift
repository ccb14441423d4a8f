import TollgateJSON
import TollgateUnits

/// Output helpers the admin commands share: aligned tables, RFC 4180
/// fields, Markdown cells, indented JSON, and tolerant readers of the
/// admin API's JSON (a missing or oddly typed field reads as nil).
package enum TextLayout {
    /// Columns padded to their widest cell, two spaces apart, under a
    /// header and a rule; columns in `rightAligned` are padded on the left.
    package static func table(header: [String], rows: [[String]], rightAligned: Set<Int> = []) -> String {
        let widths = columnWidths([header] + rows)
        return line(header, widths, rightAligned) + "\n"
            + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            + rows.map { line($0, widths, rightAligned) + "\n" }.joined()
    }

    /// Rows aligned in columns, without a header; each line starts with `indent`.
    package static func aligned(_ rows: [[String]], indent: String = "", rightAligned: Set<Int> = []) -> String {
        let widths = columnWidths(rows)
        return rows.map { indent + line($0, widths, rightAligned) + "\n" }.joined()
    }

    private static func columnWidths(_ rows: [[String]]) -> [Int] {
        var widths: [Int] = []
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i == widths.count { widths.append(0) }
                widths[i] = max(widths[i], cell.count)
            }
        }
        return widths
    }

    /// Trailing spaces trimmed.
    private static func line(_ row: [String], _ widths: [Int], _ rightAligned: Set<Int>) -> String {
        var out = ""
        for i in widths.indices {
            let cell = i < row.count ? row[i] : ""
            let pad = String(repeating: " ", count: widths[i] - cell.count)
            if i > 0 { out += "  " }
            out += rightAligned.contains(i) ? pad + cell : cell + pad
        }
        while out.last == " " { out.removeLast() }
        return out
    }

    /// One RFC 4180 field: quoted when it holds a comma, quote or line break.
    package static func csvField(_ text: String) -> String {
        // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        var quoted = "\""
        for c in text {
            if c == "\"" { quoted += "\"\"" } else { quoted.append(c) }
        }
        return quoted + "\""
    }

    /// One CSV record, CRLF-terminated.
    package static func csvRecord(_ fields: [String]) -> String {
        fields.map(csvField).joined(separator: ",") + "\r\n"
    }

    /// Text for a GitHub Markdown table cell: `|` escaped, line breaks as
    /// `<br>`, so a cell never ends the row early.
    package static func markdownCell(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "|": out += "\\|"
            case "\r\n", "\n", "\r": out += "<br>"  // "\r\n" is one Character
            default: out.append(c)
            }
        }
        return out.trimmingCharacters(" ")
    }

    /// One Markdown table row.
    package static func markdownRow(_ cells: [String]) -> String {
        "| " + cells.joined(separator: " | ") + " |\n"
    }

    /// JSON indented by two spaces, keys in the order the server sent them
    /// (numbers keep their exact text).
    package static func prettyJSON(_ value: JSONValue) -> String {
        var out = ""
        pretty(value, indent: 0, into: &out)
        return out + "\n"
    }

    private static func pretty(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closing = String(repeating: "  ", count: indent)
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                pretty(item, indent: indent + 1, into: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += closing + "]"
        case .object(let object) where !object.entries.isEmpty:
            out += "{\n"
            for (i, entry) in object.entries.enumerated() {
                out += pad + JSONValue.quoted(entry.key) + ": "
                pretty(entry.value, indent: indent + 1, into: &out)
                out += i == object.entries.count - 1 ? "\n" : ",\n"
            }
            out += closing + "}"
        default:
            out += value.jsonString
        }
    }
}

// MARK: tolerant readers

extension JSONValue {
    /// A string, or a number's or bool's text; nil for null, missing,
    /// arrays and objects.
    package var text: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// A whole number, also when it came as a string ("120000").
    package var integer: Int64? {
        if let v = int64Value { return v }
        if case .string(let s) = self { return Int64(s) }
        return nil
    }
}

extension Optional where Wrapped == JSONValue {
    package var text: String? { self?.text }
    package var integer: Int64? { self?.integer }
}

package enum Display {
    /// "-" for what is not there.
    package static let none = "-"

    /// The server's formatted amount ("$1.23"), else the nano-dollars
    /// formatted, else nil.
    package static func money(_ formatted: JSONValue?, nanos: JSONValue?) -> String? {
        if let text = formatted?.stringValue, !text.isEmpty { return text }
        if let n = nanos?.integer { return Money.format(nanos: n) }
        return nil
    }

    /// "42%", "7.5%": a percentage with at most one decimal.
    package static func percent(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        if let whole = value.int64Value { return "\(whole)%" }
        guard let d = value.doubleValue ?? value.stringValue.flatMap(Double.init), d.isFinite else { return nil }
        let tenths = (d * 10).rounded()
        if tenths.truncatingRemainder(dividingBy: 10) == 0 { return "\(Int64(tenths / 10))%" }
        let sign = tenths < 0 ? "-" : ""
        let magnitude = Int64(abs(tenths))
        return "\(sign)\(magnitude / 10).\(magnitude % 10)%"
    }

    /// A day ("2027-06-30") from a string field or, failing that, from a
    /// Unix-second field that marks the first second after it.
    package static func day(_ text: JSONValue?, firstSecondAfter: JSONValue? = nil) -> String? {
        if let s = text?.stringValue, !s.isEmpty { return s }
        if let at = firstSecondAfter?.integer { return UTCCalendar.day(at - 1) }
        return nil
    }

    /// An instant: a string as sent, or Unix seconds as RFC 3339.
    package static func instant(_ value: JSONValue?) -> String? {
        if let s = value?.stringValue, !s.isEmpty { return s }
        if let at = value?.integer { return UTCCalendar.iso8601(at) }
        return nil
    }
}
