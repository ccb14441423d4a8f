import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// An ordered list of string pairs with optional case-insensitive keys:
/// request and response headers, attributes, metadata. Small enough that
/// a scan beats a dictionary.
package struct HeaderList: Sendable {
    package private(set) var entries: [(name: String, value: String)]
    package let caseInsensitive: Bool

    /// Case-insensitive lists store their names lowercased, so a lookup
    /// lowercases only the name asked for.
    package init(_ entries: [(String, String)] = [], caseInsensitive: Bool) {
        self.entries = entries.map { (name: caseInsensitive ? $0.0.lowercased() : $0.0, value: $0.1) }
        self.caseInsensitive = caseInsensitive
    }

    /// A name already in lower-case ASCII (what plugins and clients almost
    /// always send) is used as is: lowercased() would copy it.
    private func key(_ name: String) -> String {
        caseInsensitive ? HeaderList.lowercasedName(name) : name
    }

    /// `name` lowercased; the same string when it has no upper-case ASCII.
    package static func lowercasedName(_ name: String) -> String {
        HTTPHeaderValidation.allBytes(of: name, satisfy: { $0 < 0x41 || ($0 > 0x5A && $0 < 0x80) }) ? name : name.lowercased()
    }

    package subscript(name: String) -> String? {
        let key = key(name)
        for entry in entries where entry.name == key { return entry.value }
        return nil
    }

    package mutating func set(_ name: String, _ value: String) {
        let key = key(name)
        if let i = entries.firstIndex(where: { $0.name == key }) {
            entries[i].value = value
        } else {
            entries.append((name: key, value: value))
        }
    }

    package var count: Int { entries.count }
}
