/// One step of a path into a JSON document.
public enum JSONLookupStep: Sendable {
    case key(String)
    case index(Int)
}

extension JSONValue {
    /// The value at `path` in the document `bytes`, building only that value:
    /// everything around it is skipped without allocating. Nil when the
    /// document is not valid JSON, or nothing is at `path`. With duplicate
    /// keys the first wins, as with the parsed object's subscript.
    ///
    /// For hot paths that need one field of a document (a stream chunk's
    /// text); anything that needs several fields should parse once.
    public static func lookup(_ bytes: [UInt8], _ path: [JSONLookupStep], maxDepth: Int = 256) -> JSONValue? {
        lookupSpan(bytes, path, maxDepth: maxDepth)?.value
    }

    /// `lookup`, with where the value's bytes are in the document (its
    /// quotes included, for a string): an edit can splice a new value in
    /// without parsing and re-serialising the rest.
    public static func lookupSpan(_ bytes: [UInt8], _ path: [JSONLookupStep],
                                  maxDepth: Int = 256) -> (value: JSONValue, span: Range<Int>)? {
        bytes.withUnsafeBufferPointer { buffer in
            // One pass: the value is built where the path leads, everything
            // else is skipped, and the whole document is still checked.
            var parser = JSONParser(buffer: buffer, maxDepth: maxDepth)
            guard let found = try? parser.lookup(path[...]), let span = parser.foundSpan else { return nil }
            parser.skipWhitespace()
            return parser.index == buffer.count ? (found, span) : nil
        }
    }
}

extension JSONParser {
    /// Consumes one value and returns what is at `path` inside it (nil when
    /// nothing is); throws where `parseValue` would on the part it walks.
    mutating func lookup(_ path: ArraySlice<JSONLookupStep>) throws -> JSONValue? {
        skipWhitespace()
        guard let step = path.first else {
            let start = index
            let value = try parseValue()
            foundSpan = start..<index
            return value
        }
        guard index < buffer.count else { throw error("unexpected end of input") }
        let open: UInt8
        switch step {
        case .key: open = UInt8(ascii: "{")
        case .index: open = UInt8(ascii: "[")
        }
        guard buffer[index] == open else {
            try skipValue()
            return nil
        }
        var found: JSONValue?
        try walkContainer(wanted: step) { parser in found = try parser.lookup(path.dropFirst()) }
        return found
    }

    /// Consumes a key and says whether it is `wanted`: the raw bytes are
    /// compared when the key has no escapes, else it is decoded first.
    mutating func keyEquals(_ wanted: String) throws -> Bool {
        let start = index + 1
        var end = start
        while end < buffer.count, buffer[end] != UInt8(ascii: "\""), buffer[end] != UInt8(ascii: "\\") { end += 1 }
        guard end < buffer.count else { throw error("unterminated string") }
        if buffer[end] == UInt8(ascii: "\\") { return try parseString() == wanted }
        index = end + 1
        let found = UnsafeBufferPointer(rebasing: buffer[start..<end])
        // A native string's bytes are contiguous: one length check and a
        // block compare rather than a UTF-8 iterator per byte.
        if let equal = wanted.utf8.withContiguousStorageIfAvailable({ Self.sameBytes($0, found) }) { return equal }
        return wanted.utf8.elementsEqual(found)
    }

    private static func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }

    mutating func skipValue() throws {
        guard index < buffer.count else { throw error("unexpected end of input") }
        switch buffer[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["): try walkContainer(wanted: nil) { _ in }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
        default: throw error("unexpected character")
        }
    }

    /// Consumes the object or array at `index`, skipping its members
    /// except the one `wanted` names (a key for an object, an index for an
    /// array), which `member` consumes. With duplicate keys the first is
    /// the one handed over; a `wanted` of the other kind matches nothing.
    private mutating func walkContainer(wanted: JSONLookupStep?, member: (inout JSONParser) throws -> Void) throws {
        let keyed = buffer[index] == UInt8(ascii: "{")
        let close = keyed ? UInt8(ascii: "}") : UInt8(ascii: "]")
        try enter()
        index += 1
        skipWhitespace()
        if index < buffer.count, buffer[index] == close {
            index += 1
            depth -= 1
            return
        }
        var searching = wanted != nil
        var position = 0
        while true {
            skipWhitespace()
            var matches = false
            if keyed {
                guard index < buffer.count, buffer[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                if searching, case .key(let key)? = wanted { matches = try keyEquals(key) } else { try skipString() }
                skipWhitespace()
                guard index < buffer.count, buffer[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                index += 1
                skipWhitespace()
            } else if searching, case .index(let wantedPosition)? = wanted {
                matches = position == wantedPosition
            }
            if matches {
                searching = false
                try member(&self)
            } else {
                try skipValue()
            }
            skipWhitespace()
            guard index < buffer.count else { throw error("unexpected end of input") }
            if buffer[index] == UInt8(ascii: ",") { index += 1; position += 1; continue }
            if buffer[index] == close { index += 1; break }
            throw error("expected ',' or a closing bracket")
        }
        depth -= 1
    }

    private mutating func skipString() throws {
        index += 1
        while index < buffer.count {
            index = plainRunEnd(from: index)
            guard index < buffer.count else { break }
            let byte = buffer[index]
            if byte == UInt8(ascii: "\"") { index += 1; return }
            if byte < 0x20 { throw error("control character in string") }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < buffer.count else { break }
                switch buffer[index + 1] {
                case UInt8(ascii: "u"):
                    index += 2
                    _ = try parseHex4()
                    continue
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                    continue
                default:
                    throw error("invalid escape")
                }
            }
        }
        throw error("unterminated string")
    }

    /// The index of the first quote, backslash or control byte at or after
    /// `from` (else the end), eight bytes at a time.
    private func plainRunEnd(from: Int) -> Int {
        ByteScan.first(in: buffer, from: from, to: buffer.count,
                       flags: { ByteScan.equal($0, 0x22) | ByteScan.equal($0, 0x5C) | ByteScan.below($0, 0x20) },
                       matches: { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 })
    }
}
