import Atomics

/// Cheap pseudo-random numbers for the request path (ids, weighted
/// deployment draws): SplitMix64 over a process-wide counter seeded once
/// from the system generator. Not for secrets. The mix is a bijection, so
/// two calls in one process never return the same value — and, unlike
/// SystemRandomNumberGenerator, a call is no system call.
package enum FastRandom {
    private static let counter = ManagedAtomic<UInt64>({
        var system = SystemRandomNumberGenerator()
        return system.next()
    }())

    package static func next() -> UInt64 {
        var z = counter.loadThenWrappingIncrement(by: 0x9E37_79B9_7F4A_7C15, ordering: .relaxed) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    package static func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
