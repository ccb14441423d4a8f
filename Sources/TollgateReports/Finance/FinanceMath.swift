import TollgateUnits

/// The integer arithmetic of the finance reports: money stays nano-dollars,
/// ratios are basis points, every division rounds half away from zero, and
/// nothing overflows silently (Saturating's 128-bit products).
enum FinanceMath {
    /// a / b, rounded half up (a, b >= 0; nil when b is 0).
    static func divide(_ a: Int64, _ b: Int64) -> Int64? {
        guard b > 0 else { return nil }
        return Saturating.multiplyDivide(Saturating.add(Saturating.multiply(a, 2), b), 1, Saturating.multiply(b, 2))
    }

    /// part / whole in basis points (12.34% = 1234), rounded half up; nil when whole is 0.
    static func share(_ part: Int64, of whole: Int64) -> Int64? {
        guard whole > 0 else { return nil }
        return Saturating.multiplyDivide(Saturating.add(Saturating.multiply(part, 20_000), whole), 1, Saturating.multiply(whole, 2))
    }

    /// (now - before) / before in basis points, signed; nil when before is 0.
    static func change(from before: Int64, to now: Int64) -> Int64? {
        guard before > 0 else { return nil }
        let difference = now - before
        let magnitude = share(difference.magnitude > UInt64(Int64.max) ? Int64.max : Int64(difference.magnitude), of: before) ?? 0
        return difference < 0 ? -magnitude : magnitude
    }

    /// amount × percent / 100, rounded half up.
    static func percent(_ amount: Int64, _ percent: Int64) -> Int64 {
        Saturating.multiplyDivide(Saturating.add(Saturating.multiply(amount, percent), 50), 1, 100)
    }
}
