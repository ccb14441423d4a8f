/// A provider's money figure as exact nano-dollars, read digit by digit from
/// its decimal text, never through a floating-point value. OpenAI sends
/// dollars as a JSON number (which may carry a float's noise, "0.060000000000000005",
/// or an exponent, "6e-05"); Anthropic sends cents as a decimal string
/// ("123.45" is $1.2345). A digit beyond the nano-dollar is rounded, half
/// away from zero: far below any price, and the only rounding reconcile does.
package enum ProviderAmount {
    /// Dollars: a nano-dollar is the 9th decimal.
    package static let dollars = 9
    /// Cents: a nano-dollar is the 7th decimal.
    package static let cents = 7

    /// `text` (optional sign, digits, optional fraction and exponent) in a
    /// unit whose nano-dollar is the `unitDigits`th decimal; nil when it is
    /// not a number or does not fit in Int64.
    package static func nanos(_ text: String, unitDigits: Int) -> Int64? {
        var b = Array(text.utf8)[...]
        guard !b.isEmpty else { return nil }
        var negative = false
        if b.first == UInt8(ascii: "-") || b.first == UInt8(ascii: "+") {
            negative = b.first == UInt8(ascii: "-")
            b = b.dropFirst()
        }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var seenDot = false
        var seenDigit = false
        while let c = b.first, c != UInt8(ascii: "e"), c != UInt8(ascii: "E") {
            b = b.dropFirst()
            if c == UInt8(ascii: ".") {
                guard !seenDot else { return nil }
                seenDot = true
            } else if c >= 0x30, c <= 0x39 {
                seenDigit = true
                digits.append(c - 0x30)
                if seenDot { fractionDigits += 1 }
            } else {
                return nil
            }
        }
        guard seenDigit else { return nil }
        var exponent = 0
        if !b.isEmpty {
            b = b.dropFirst()
            var expNegative = false
            if b.first == UInt8(ascii: "-") || b.first == UInt8(ascii: "+") {
                expNegative = b.first == UInt8(ascii: "-")
                b = b.dropFirst()
            }
            guard !b.isEmpty, b.count <= 4 else { return nil }
            for c in b {
                guard c >= 0x30, c <= 0x39 else { return nil }
                exponent = exponent * 10 + Int(c - 0x30)
            }
            if expNegative { exponent = -exponent }
        }
        // value = digits x 10^(exponent - fractionDigits) units;
        // nanos = digits x 10^shift.
        let shift = unitDigits + exponent - fractionDigits
        var kept = digits
        var roundUp = false
        if shift < 0 {
            let drop = -shift
            if drop > kept.count {
                kept = []
            } else {
                roundUp = kept[kept.count - drop] >= 5
                kept.removeLast(drop)
            }
        } else {
            guard shift <= 40 else { return digits.allSatisfy { $0 == 0 } ? 0 : nil }
            kept += [UInt8](repeating: 0, count: shift)
        }
        var value: Int64 = 0
        for digit in kept {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(digit))
            if o1 || o2 { return nil }
            value = sum
        }
        if roundUp {
            let (sum, overflow) = value.addingReportingOverflow(1)
            if overflow { return nil }
            value = sum
        }
        return negative ? -value : value
    }
}
