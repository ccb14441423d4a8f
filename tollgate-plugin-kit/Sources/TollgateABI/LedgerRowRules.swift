import TollgateJSON

/// What `ledger_append` (ABI 1.6) accepts: a JSON object whose keys are the
/// ledger's column names (docs/ledger.md), each with its JSON type. Both
/// hosts — the gateway and the test kit's fake host — validate a row with
/// `parse`, so a row the fake host takes is a row the gateway writes.
///
/// The columns are listed in the order of the ledger's insert statement
/// (TollgateLedger's `LedgerSchema.insert`; a test holds the two lists
/// equal), so `Row.values` binds to it as they are.
public enum LedgerRowRules {
    /// A column's JSON type.
    public enum Kind: Sendable, Equatable {
        /// A whole number (Int64); 0 when left out.
        case integer
        /// A whole number, or true/false (1/0); 0 when left out.
        case flag
        /// A string or null; NULL when left out.
        case text
        /// A string; the row is refused without it.
        case requiredText
        /// A whole number; the row is refused without it.
        case requiredInteger
        /// An object of strings, stored as its JSON text; `{}` when left out.
        case tags
        /// An array of strings, stored as its JSON text; `[]` when left out.
        case idList
    }

    /// Every column a row may name, in `LedgerSchema.insert` order (`id` is
    /// the host's: rows never name it).
    public static let columns: [(name: String, kind: Kind)] = [
        ("ts_us", .requiredInteger), ("request_id", .requiredText), ("org", .text), ("team", .text), ("key_id", .text),
        ("owner", .text), ("key_class", .text), ("end_user", .text), ("feature", .text), ("environment", .text),
        ("experiment", .text), ("use_case", .text), ("tags", .tags), ("api", .text), ("route", .text), ("provider", .text),
        ("deployment", .text), ("model_requested", .text), ("model_served", .text), ("tokens_in", .integer),
        ("tokens_out", .integer), ("tokens_cached", .integer), ("cost_nanos", .integer), ("usage_estimated", .flag),
        ("outcome", .requiredText), ("status", .integer), ("decided_by", .text), ("outcome_detail", .text),
        ("latency_us", .integer), ("upstream_us", .integer), ("stream", .flag), ("attempts", .integer),
        ("grant_ids", .idList), ("grant_owner", .text), ("exception_ids", .idList),
    ]

    /// Column name -> index in `columns`.
    static let index: [String: Int] = {
        var index: [String: Int] = [:]
        for (i, column) in columns.enumerated() { index[column.name] = i }
        return index
    }()

    /// One column's value as stored.
    public enum Value: Sendable, Equatable {
        case null
        case integer(Int64)
        case text(String)
    }

    /// A validated row: one value per column, in `columns` order.
    public struct Row: Sendable, Equatable {
        public var values: [Value]

        /// The value of the column `name` (nil for a name that is not a column).
        public subscript(name: String) -> Value? {
            index[name].map { values[$0] }
        }
    }

    /// Why a row was refused, in words for the operator's log.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The row `json` (the bytes a plugin passed), validated; a Problem
    /// names the first thing wrong: not JSON, not an object, an unknown
    /// key (with the nearest column name), a value of the wrong type, a
    /// required key missing.
    public static func parse<Bytes: Collection>(_ json: Bytes) -> Result<Row, Problem> where Bytes.Element == UInt8 {
        let value: JSONValue
        do {
            value = try JSONValue.parse(json)
        } catch {
            return .failure(Problem(message: "the row is not valid JSON (\(error))"))
        }
        guard case .object(let object) = value else {
            return .failure(Problem(message: "the row must be a JSON object of ledger columns"))
        }
        return parse(object)
    }

    /// `parse` for an object already decoded.
    public static func parse(_ object: JSONObject) -> Result<Row, Problem> {
        var values: [Value?] = Array(repeating: nil, count: columns.count)
        for entry in object.entries {
            guard let i = index[entry.key] else {
                let hint = entry.key == "id" ? " (the host assigns id)" : ""
                return .failure(Problem(message: "unknown ledger column \"\(entry.key)\"\(hint); the columns are "
                    + columns.map(\.name).joined(separator: ", ")))
            }
            guard values[i] == nil else { return .failure(Problem(message: "ledger column \"\(entry.key)\" appears twice")) }
            switch convert(entry.value, kind: columns[i].kind) {
            case .success(let converted): values[i] = converted
            case .failure(let expected):
                return .failure(Problem(message: "ledger column \"\(entry.key)\" must be \(expected.message)"))
            }
        }
        var row: [Value] = []
        row.reserveCapacity(columns.count)
        for (i, column) in columns.enumerated() {
            if let value = values[i] {
                row.append(value)
                continue
            }
            switch column.kind {
            case .integer, .flag: row.append(.integer(0))
            case .text: row.append(.null)
            case .tags: row.append(.text("{}"))
            case .idList: row.append(.text("[]"))
            case .requiredText, .requiredInteger:
                return .failure(Problem(message: "the row has no \"\(column.name)\" (required)"))
            }
        }
        return .success(Row(values: row))
    }

    private static func convert(_ value: JSONValue, kind: Kind) -> Result<Value, Problem> {
        switch kind {
        case .integer, .requiredInteger:
            if let n = value.int64Value { return .success(.integer(n)) }
            return .failure(Problem(message: "a whole number"))
        case .flag:
            if let n = value.int64Value { return .success(.integer(n)) }
            if let b = value.boolValue { return .success(.integer(b ? 1 : 0)) }
            return .failure(Problem(message: "a whole number or true/false"))
        case .text:
            if value.isNull { return .success(.null) }
            if let s = value.stringValue { return .success(.text(s)) }
            return .failure(Problem(message: "a string or null"))
        case .requiredText:
            if let s = value.stringValue { return .success(.text(s)) }
            return .failure(Problem(message: "a string"))
        case .tags:
            guard let object = value.objectValue, object.entries.allSatisfy({ $0.value.stringValue != nil }) else {
                return .failure(Problem(message: "an object of strings"))
            }
            return .success(.text(value.jsonString))
        case .idList:
            guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                return .failure(Problem(message: "an array of strings"))
            }
            return .success(.text(value.jsonString))
        }
    }
}
