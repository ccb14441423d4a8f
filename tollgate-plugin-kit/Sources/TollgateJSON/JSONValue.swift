/// A JSON value that round-trips faithfully: object keys keep their order
/// and numbers keep the exact text they were written with, so re-serialising
/// a request a plugin edited changes only what the plugin changed.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's text as it appeared (`12`, `-0.5`, `1e9`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public static func int(_ value: Int64) -> JSONValue { .number(String(value)) }
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }
}

/// An ordered JSON object. Lookups are linear: request objects have a
/// handful of keys, where a scan beats hashing.
public struct JSONObject: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public var entries: [Entry]

    public init() { entries = [] }
    public init(_ pairs: [(String, JSONValue)]) {
        entries = pairs.map { Entry(key: $0.0, value: $0.1) }
    }

    public var count: Int { entries.count }
    public var keys: [String] { entries.map(\.key) }

    /// Reading returns the first entry with the key; writing replaces it in
    /// place (keeping its position) or appends; writing nil removes it.
    public subscript(key: String) -> JSONValue? {
        get {
            for entry in entries where entry.key == key { return entry.value }
            return nil
        }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append(Entry(key: key, value: newValue))
            }
        }
    }
}

extension JSONValue {
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The number as a whole Int64, if it is one (`3`, `3.0` and `3e0` are;
    /// `3.5` is not).
    public var int64Value: Int64? {
        guard case .number(let text) = self else { return nil }
        if let v = Int64(text) { return v }
        if let d = Double(text), d.rounded() == d, abs(d) < 9.0e18 { return Int64(d) }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
