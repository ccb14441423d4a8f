/// A hash set of byte strings that numbers them in insertion order: the
/// group index of `LedgerScan`'s hash aggregation. `Dictionary<[UInt8], Int>`
/// hashes an array a byte at a time through `Hasher` and compares element by
/// element, which cost more than SQLite's own work on a ten-million-row scan;
/// this table hashes eight bytes at a time, keeps every key in one arena and
/// compares with `memcmp`-like word loads. Open addressing, linear probing,
/// at most half full. Not a security boundary: the keys are the ledger's own
/// values, and a collision only costs a probe.
struct ByteKeyTable {
    /// Per slot: the high 32 bits of the key's hash, then its number + 1
    /// (0: empty). The slot is picked by the hash's top bits, so the tag
    /// alone places a key again when the table grows, and a probe touches
    /// a stored key only when the tags match.
    private var slots: [UInt64]
    private var bits: Int
    /// All keys, one after the other; key i is `arena[starts[i]..<starts[i + 1]]`.
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]

    init() {
        bits = 6
        slots = Array(repeating: 0, count: 1 << bits)
    }

    var count: Int { starts.count - 1 }

    /// Bytes of all keys.
    var byteCount: Int { arena.count }

    /// Makes room for `keys` more keys of `bytes` bytes in all, so adding
    /// them (a merge) grows the arena and the slots once, not by doubling:
    /// every doubling copies the arena into fresh pages the kernel must
    /// clear, which on a large merge cost more than the hashing.
    mutating func reserve(keys: Int, bytes: Int) {
        arena.reserveCapacity(arena.count + bytes)
        starts.reserveCapacity(starts.count + keys)
        while (count + keys) * 2 > slots.count { grow() }
    }

    /// The number of `key`, inserting it (as the next number) when new.
    @inline(__always)
    mutating func index(of key: [UInt8]) -> (index: Int, inserted: Bool) {
        key.withUnsafeBytes { index(of: $0) }
    }

    mutating func index(of key: UnsafeRawBufferPointer) -> (index: Int, inserted: Bool) {
        let tag = Self.hash(key) >> 32
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: tag >> (32 - UInt64(bits)))
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if entry >> 32 == tag {
                let i = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if equals(i, key) { return (i, false) }
            }
            slot = (slot + 1) & mask
        }
        let i = count
        slots[slot] = tag << 32 | UInt64(i + 1)
        arena.append(contentsOf: key)
        starts.append(arena.count)
        if count * 2 > slots.count { grow() }
        return (i, true)
    }

    /// Key number `i`'s bytes.
    func key(_ i: Int) -> ArraySlice<UInt8> { arena[starts[i]..<starts[i + 1]] }

    private func equals(_ i: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = starts[i]
        let count = starts[i + 1] - start
        guard count == key.count else { return false }
        return arena.withUnsafeBytes { stored in
            var offset = 0
            while offset + 8 <= count {
                if stored.loadUnaligned(fromByteOffset: start + offset, as: UInt64.self)
                    != key.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
                offset += 8
            }
            while offset < count {
                if stored[start + offset] != key[offset] { return false }
                offset += 1
            }
            return true
        }
    }

    private mutating func grow() {
        let old = slots
        bits += 1
        precondition(bits <= 32, "more than 2^31 groups")
        slots = Array(repeating: 0, count: 1 << bits)
        let mask = slots.count - 1
        for entry in old where entry != 0 {
            var slot = Int(truncatingIfNeeded: (entry >> 32) >> (32 - UInt64(bits)))
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }

    /// Eight bytes at a time, multiply and rotate, then a final avalanche
    /// (the finaliser of SplitMix64) so the low bits that pick a slot
    /// depend on every byte.
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        var offset = 0
        while offset + 8 <= key.count {
            h = (h ^ key.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h = (h << 31) | (h >> 33)
            offset += 8
        }
        if offset < key.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < key.count {
                tail |= UInt64(key[offset]) << shift
                shift += 8
                offset += 1
            }
            h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        }
        h ^= h >> 30
        h &*= 0xBF58_476D_1CE4_E5B9
        h ^= h >> 27
        h &*= 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }
}
