// ASCII classes by arithmetic (no tables: a global array costs a lazy-init
// check per access). Non-ASCII bytes are in no class, so UTF-8 text outside
// ASCII separates tokens like punctuation does.

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
@inline(__always) func isUpper(_ b: UInt8) -> Bool { b &- 0x41 < 26 }
@inline(__always) func isLower(_ b: UInt8) -> Bool { b &- 0x61 < 26 }
@inline(__always) func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
@inline(__always) func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }
@inline(__always) func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 6 }
@inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D }
/// Characters of base64url tokens (API keys, JWT segments).
@inline(__always) func isTokenChar(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") }

extension UnsafeBufferPointer where Element == UInt8 {
    /// True when `literal` (ASCII) is at `index`.
    @inline(__always) func has(_ literal: StaticString, at index: Int) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard index >= 0, index + length <= count else { return false }
        let base = literal.utf8Start
        for k in 0..<length where self[index + k] != base[k] { return false }
        return true
    }

    /// The end of the run of ASCII letters and digits starting at `index`.
    @inline(__always) func endOfAlnumRun(from index: Int) -> Int {
        var j = index
        while j < count, isAlnum(self[j]) { j += 1 }
        return j
    }
}
