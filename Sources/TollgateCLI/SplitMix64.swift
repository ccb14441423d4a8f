/// SplitMix64: a tiny, fast, seedable generator (Steele, Lea and Flood,
/// 2014). The plan's only source of randomness, so a seed fixes it.
package struct SplitMix64: Sendable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    package mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// Uniform in 0..<n (n > 0); the modulo bias is below 2^-40 here.
    package mutating func below(_ n: Int) -> Int {
        Int(next() % UInt64(max(1, n)))
    }

    package mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }
}
