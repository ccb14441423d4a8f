/// Finding the first byte of a kind in a buffer eight bytes at a time, for
/// the scans that run over every byte of a stream (SSE line endings, JSON
/// strings). Each word is tested with the classic has-zero-byte trick: a
/// byte's high bit is flagged when it matches; bytes above a match may be
/// flagged falsely (a borrow), never below it, so the lowest flag is exact.
public enum ByteScan {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The bytes of `word` equal to `byte`, flagged in their high bits.
    @inlinable @inline(__always)
    public static func equal(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highs
    }

    /// The bytes of `word` below `limit` (at most 0x80), flagged likewise.
    @inlinable @inline(__always)
    public static func below(_ word: UInt64, _ limit: UInt8) -> UInt64 {
        (word &- ones &* UInt64(limit)) & ~word & highs
    }

    /// The index of the first byte of `buffer[from..<to]` that `matches`,
    /// else `to`. `flags` must flag (with `equal` / `below`) exactly the
    /// bytes `matches` accepts.
    @inlinable @inline(__always)
    public static func first(in buffer: UnsafeBufferPointer<UInt8>, from: Int, to: Int,
                             flags: (UInt64) -> UInt64, matches: (UInt8) -> Bool) -> Int {
        var i = from
        if let base = buffer.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= to {
                let found = flags(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                if found != 0 { return i + found.trailingZeroBitCount >> 3 }
                i += 8
            }
        }
        while i < to, !matches(buffer[i]) { i += 1 }
        return i
    }
}
