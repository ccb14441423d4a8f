/// Rules for header names and values plugins set, so a plugin cannot split
/// a response (CR/LF injection) or send an invalid header.
package enum HTTPHeaderValidation {
    package static func isValidName(_ name: String) -> Bool {
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

    package static func isValidValue(_ value: String) -> Bool {
        allBytes(of: value) { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }

    /// Scans the string's UTF-8 storage in place (iterating the UTF8View
    /// costs several times more per byte).
    package static func allBytes(of string: String, satisfy predicate: (UInt8) -> Bool) -> Bool {
        string.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(predicate) } ?? string.utf8.allSatisfy(predicate)
    }
}
