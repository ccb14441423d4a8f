/// Int64 money and count arithmetic that saturates instead of trapping: a
/// counter, a sum of grants or a percentage of an amount must never crash
/// the gateway or a plugin, whatever it is asked to add. One copy for the
/// core and the plugins.
public enum Saturating {
    public static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int64.max : Int64.min) : sum
    }

    public static func multiply(_ a: Int64, _ b: Int64) -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? ((a < 0) != (b < 0) ? Int64.min : Int64.max) : product
    }

    /// a × b / c, exact in 128 bits (a percentage of an amount near
    /// Int64.max must not saturate before the division), saturating at
    /// Int64.max. Negative a or b count as 0; c below 1 as 1.
    public static func multiplyDivide(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64 {
        let product = UInt64(max(0, a)).multipliedFullWidth(by: UInt64(max(0, b)))
        let divisor = UInt64(max(1, c))
        guard product.high < divisor else { return Int64.max }
        let quotient = divisor.dividingFullWidth(product).quotient
        return quotient > UInt64(Int64.max) ? Int64.max : Int64(quotient)
    }

    /// a × aScale >= b × bScale, exact in 128 bits; negative values count as 0.
    public static func atLeast(_ a: Int64, _ aScale: Int64, _ b: Int64, _ bScale: Int64) -> Bool {
        let left = UInt64(max(0, a)).multipliedFullWidth(by: UInt64(max(0, aScale)))
        let right = UInt64(max(0, b)).multipliedFullWidth(by: UInt64(max(0, bScale)))
        return left.high != right.high ? left.high > right.high : left.low >= right.low
    }
}
