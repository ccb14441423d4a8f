import CTollgatePlugin

/// The value rules of host function arguments that both hosts apply the
/// same way (what is not a phase or an out-parameter).
public enum ArgumentRules {
    /// set_error's status: an HTTP error status.
    public static let errorStatuses: ClosedRange<UInt16> = 400...599
    /// set_response's and route_respond's status.
    public static let responseStatuses: ClosedRange<UInt16> = 200...599
    /// set_fallback_models accepts at most this many models.
    public static let maxFallbackModels = 8
    /// The content type set_response and route_respond use when given "".
    public static let defaultContentType = "application/json"
}

/// Header names and values plugins set (response headers, content types),
/// so a plugin cannot split a response (CR/LF injection) or send an invalid
/// header.
public enum HTTPHeaderRules {
    /// A non-empty RFC 9110 token.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && allBytes(of: name, satisfy: isTokenByte)
    }

    /// RFC 9110 token characters.
    private static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Visible characters, spaces and tabs: no CR, LF or other controls.
    public static func isValidValue(_ value: String) -> Bool {
        allBytes(of: value) { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }

    /// Scans the string's UTF-8 storage in place (iterating the UTF8View
    /// costs several times more per byte).
    public static func allBytes(of string: String, satisfy predicate: (UInt8) -> Bool) -> Bool {
        string.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(predicate) } ?? string.utf8.allSatisfy(predicate)
    }
}
