import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// The one cost formula. Every figure of spend in Tollgate (reservation,
/// settlement, ledger) goes through here so they can never disagree.
package enum Cost {
    private static let tokensPerMillion: UInt64 = 1_000_000

    /// ceil((in * inputPrice + out * outputPrice + cached * cachedPrice) / 1e6)
    /// in nano-dollars. `tokensIn` excludes the cached tokens. Intermediates are
    /// 128-bit, so no realistic count overflows; nil if an input is negative
    /// or the result does not fit in Int64. Rounding up means a sliver of a
    /// nano-dollar is charged rather than given away.
    package static func nanos(price: Price, tokensIn: Int64, tokensOut: Int64, tokensCached: Int64) -> Int64? {
        let terms = [(tokensIn, price.inputPerMTokNanos),
                     (tokensOut, price.outputPerMTokNanos),
                     (tokensCached, price.cachedPerMTokNanos)]
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (count, perMillion) in terms {
            guard count >= 0, perMillion >= 0 else { return nil }
            let product = UInt64(count).multipliedFullWidth(by: UInt64(perMillion))
            let (sum, carry) = low.addingReportingOverflow(product.low)
            low = sum
            // Each product is below 2^126, so three of them cannot overflow 128 bits.
            high = high &+ product.high &+ (carry ? 1 : 0)
        }
        // Round up: add divisor - 1 before dividing.
        let (rounded, carry) = low.addingReportingOverflow(tokensPerMillion - 1)
        low = rounded
        high = high &+ (carry ? 1 : 0)
        // dividingFullWidth traps when the quotient needs more than 64 bits.
        guard high < tokensPerMillion else { return nil }
        let quotient = tokensPerMillion.dividingFullWidth((high: high, low: low)).quotient
        guard quotient <= UInt64(Int64.max) else { return nil }
        return Int64(quotient)
    }
}
