import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// A YAML scalar as written: its text, whether it was plain (unquoted) and
/// any explicit tag. Typing is left to the reader, which knows what it expects.
package struct YAMLScalar: Sendable, Equatable {
    package enum Style: Sendable, Equatable {
        /// Unquoted: `0.40`, `true`, `~` may mean a number, bool or null.
        case plain
        /// Single, double quoted, literal or folded: always a string.
        case quoted
    }

    package var text: String
    package var style: Style
    /// Explicit tag in full form, e.g. "tag:yaml.org,2002:str" for `!!str`.
    package var tag: String?

    package init(text: String, style: Style, tag: String? = nil) {
        self.text = text
        self.style = style
        self.tag = tag
    }

    /// A plain `~`, `null` or nothing at all.
    package var isNull: Bool {
        style == .plain && tag == nil && ["", "~", "null", "Null", "NULL"].contains(text)
    }
}

/// A YAML document tree where every node remembers where it was written.
package struct YAMLNode: Sendable, Equatable {
    package struct Pair: Sendable, Equatable {
        package var key: YAMLNode
        package var value: YAMLNode
        package init(key: YAMLNode, value: YAMLNode) {
            self.key = key
            self.value = value
        }
    }

    package enum Content: Sendable, Equatable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        /// In document order.
        case mapping([Pair])
    }

    package var content: Content
    package var location: SourceLocation

    package init(_ content: Content, at location: SourceLocation) {
        self.content = content
        self.location = location
    }

    package var scalar: YAMLScalar? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    package var isNull: Bool { scalar?.isNull ?? false }

    /// How the node reads in "expected X, got Y" messages.
    package var kindDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s):
            if s.isNull { return "an empty value" }
            let shown = s.text.count > 40 ? String(s.text.prefix(40)) + "…" : s.text
            return "'\(shown)'"
        }
    }
}
