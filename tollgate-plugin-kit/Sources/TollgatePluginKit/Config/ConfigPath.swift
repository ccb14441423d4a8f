/// Where a value sits in a plugin's `config:` block, written the way a
/// person finds it in the YAML: `budgets[2].at_cap`, `tags.feature.pattern`.
/// The block itself is `config`.
public struct ConfigPath: Equatable, Sendable, CustomStringConvertible {
    public enum Step: Equatable, Sendable {
        case key(String)
        case index(Int)
    }

    public private(set) var steps: [Step]

    /// The `config:` block itself.
    public static let root = ConfigPath([])

    public init(_ steps: [Step]) { self.steps = steps }

    public var isRoot: Bool { steps.isEmpty }

    /// The key this path ends with, if it ends with one.
    public var lastKey: String? {
        if case .key(let key)? = steps.last { return key }
        return nil
    }

    public func appending(_ key: String) -> ConfigPath { ConfigPath(steps + [.key(key)]) }
    public func appending(index: Int) -> ConfigPath { ConfigPath(steps + [.index(index)]) }

    public var description: String {
        guard !steps.isEmpty else { return "config" }
        var text = ""
        for step in steps {
            switch step {
            case .index(let index):
                text += "[\(index)]"
            case .key(let key) where Self.isPlain(key):
                text += text.isEmpty ? key : "." + key
            case .key(let key):
                // A key a dot would make ambiguous: tags["a.b"].
                text += "[" + JSONValue.quoted(key) + "]"
            }
        }
        return text
    }

    private static func isPlain(_ key: String) -> Bool {
        !key.isEmpty && !key.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]")
            || $0 == UInt8(ascii: "\"") || $0 <= 0x20 }
    }
}
