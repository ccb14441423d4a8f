/// An ordered list of string pairs with optional case-insensitive keys:
/// request and response headers, attributes, metadata. Small enough that
/// a scan beats a dictionary.
public struct HeaderList: Sendable {
    public private(set) var entries: [(name: String, value: String)]
    public let caseInsensitive: Bool

    public init(_ entries: [(String, String)] = [], caseInsensitive: Bool) {
        self.entries = entries.map { (name: $0.0, value: $0.1) }
        self.caseInsensitive = caseInsensitive
    }

    private func matches(_ a: String, _ b: String) -> Bool {
        caseInsensitive ? a.lowercased() == b.lowercased() : a == b
    }

    public subscript(name: String) -> String? {
        for entry in entries where matches(entry.name, name) { return entry.value }
        return nil
    }

    public mutating func set(_ name: String, _ value: String) {
        if let i = entries.firstIndex(where: { matches($0.name, name) }) {
            entries[i].value = value
        } else {
            entries.append((name: caseInsensitive ? name.lowercased() : name, value: value))
        }
    }

    public var count: Int { entries.count }
}
