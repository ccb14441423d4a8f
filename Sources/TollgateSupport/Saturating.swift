/// Int64 arithmetic that saturates instead of trapping: a counter or a sum
/// of grants must never crash the gateway, whatever it is asked to add.
package enum Saturating {
    package static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int64.max : Int64.min) : sum
    }

    package static func multiply(_ a: Int64, _ b: Int64) -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? ((a < 0) != (b < 0) ? Int64.min : Int64.max) : product
    }

    /// a × b / c, exact in 128 bits (a percentage of an amount near
    /// Int64.max must not saturate before the division), saturating at the
    /// Int64 range; 0 when c is 0. Operands are >= 0.
    package static func multiplyDivide(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64 {
        guard c > 0, a >= 0, b >= 0 else { return 0 }
        let product = UInt64(a).multipliedFullWidth(by: UInt64(b))
        guard product.high < UInt64(c) else { return Int64.max }
        let quotient = UInt64(c).dividingFullWidth(product).quotient
        return quotient > UInt64(Int64.max) ? Int64.max : Int64(quotient)
    }
}
