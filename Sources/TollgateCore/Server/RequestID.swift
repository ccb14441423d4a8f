import Atomics

/// Request ids: "req_" and 16 hex digits, unique within the process.
enum RequestID {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func make() -> String {
        var value = FastRandom.next()
        return String(unsafeUninitializedCapacity: 20) { bytes in
            bytes[0] = UInt8(ascii: "r"); bytes[1] = UInt8(ascii: "e"); bytes[2] = UInt8(ascii: "q"); bytes[3] = UInt8(ascii: "_")
            for i in 0..<16 {
                bytes[19 - i] = hex[Int(value & 0xF)]
                value >>= 4
            }
            return 20
        }
    }
}

/// Cheap pseudo-random numbers for the request path (ids, weighted
/// deployment draws): SplitMix64 over a process-wide counter seeded once
/// from the system generator. Not for secrets. The mix is a bijection, so
/// two calls in one process never return the same value — and, unlike
/// SystemRandomNumberGenerator, a call is no system call.
enum FastRandom {
    private static let counter = ManagedAtomic<UInt64>({
        var system = SystemRandomNumberGenerator()
        return system.next()
    }())

    static func next() -> UInt64 {
        var z = counter.loadThenWrappingIncrement(by: 0x9E37_79B9_7F4A_7C15, ordering: .relaxed) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    static func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
