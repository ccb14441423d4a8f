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
}
