/// A shell-style pattern over bytes: `*` is any run (empty included), `?`
/// one byte, everything else itself. Case-sensitive. A pattern without
/// wildcards is an exact comparison.
struct Glob: Equatable, Sendable, CustomStringConvertible {
    let text: String
    private let bytes: [UInt8]
    private let hasWildcards: Bool

    init(_ text: String) {
        self.text = text
        bytes = Array(text.utf8)
        hasWildcards = bytes.contains(UInt8(ascii: "*")) || bytes.contains(UInt8(ascii: "?"))
    }

    var description: String { text }

    func matches(_ value: String) -> Bool {
        guard hasWildcards else { return value == text }
        return Self.match(bytes, Array(value.utf8))
    }

    /// Iterative matcher with one backtrack point (the last `*`): linear
    /// in practice, never exponential.
    static func match(_ pattern: [UInt8], _ value: [UInt8]) -> Bool {
        let star = UInt8(ascii: "*"), any = UInt8(ascii: "?")
        var p = 0, v = 0
        var starAt = -1, resumeAt = 0
        while v < value.count {
            if p < pattern.count && (pattern[p] == any || (pattern[p] != star && pattern[p] == value[v])) {
                p += 1
                v += 1
            } else if p < pattern.count && pattern[p] == star {
                starAt = p
                resumeAt = v
                p += 1
            } else if starAt >= 0 {
                p = starAt + 1
                resumeAt += 1
                v = resumeAt
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == star { p += 1 }
        return p == pattern.count
    }
}

/// One or more patterns; a value matches when any of them does.
struct AnyOf: Equatable, Sendable {
    let globs: [Glob]
    func matches(_ value: String?) -> Bool {
        guard let value else { return false }
        return globs.contains { $0.matches(value) }
    }
}
