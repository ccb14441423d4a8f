/// Dollar amounts as Int64 nano-dollars (1e-9 USD). Parsed from decimal text
/// digit by digit, never through a floating-point value, so "0.1" is exactly
/// 100_000_000 and not 99_999_999.
public enum Money {
    public static let nanosPerDollar: Int64 = 1_000_000_000

    /// Why a piece of text is not an amount; `description` is for people.
    public enum ParseFailure: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case negative
        case tooPrecise
        case notADecimal
        case tooLarge

        public var description: String {
            switch self {
            case .empty: return "an amount cannot be empty"
            case .negative: return "an amount cannot be negative"
            case .tooPrecise: return "at most 9 decimal places (nano-dollars) are allowed"
            case .notADecimal: return "expected a plain decimal such as \"0.40\" or \"50000\" (no sign, exponent, currency symbol or separators)"
            case .tooLarge: return "the amount is too large"
            }
        }
    }

    /// "0.40" -> 400_000_000; "50000" -> 50_000_000_000_000. Nil on anything
    /// that is not a non-negative decimal with at most 9 decimals that fits.
    public static func parseUSD(_ text: String) -> Int64? {
        try? parseUSDOrExplain(text).get()
    }

    /// Like `parseUSD`, but says what was wrong.
    public static func parseUSDOrExplain(_ text: String) -> Result<Int64, ParseFailure> {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return .failure(.empty) }
        if bytes[0] == UInt8(ascii: "-") { return .failure(.negative) }
        let dot = bytes.firstIndex(of: UInt8(ascii: "."))
        let whole = bytes[..<(dot ?? bytes.endIndex)]
        let fraction = dot.map { bytes[($0 + 1)...] } ?? []
        let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        guard !whole.isEmpty, whole.allSatisfy(isDigit), fraction.allSatisfy(isDigit),
              dot == nil || !fraction.isEmpty else { return .failure(.notADecimal) }
        // A tenth decimal would have to be rounded, and we refuse to round money.
        let fractionDigits = Array(fraction)
        if fractionDigits.count > 9 { return .failure(.tooPrecise) }

        var dollars: Int64 = 0
        for digit in whole {
            let (times10, o1) = dollars.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(digit - 0x30))
            if o1 || o2 { return .failure(.tooLarge) }
            dollars = sum
        }
        var nanos: Int64 = 0
        for index in 0..<9 {
            let digit = index < fractionDigits.count ? Int64(fractionDigits[index] - 0x30) : 0
            nanos = nanos * 10 + digit
        }
        let (scaled, o3) = dollars.multipliedReportingOverflow(by: nanosPerDollar)
        let (total, o4) = scaled.addingReportingOverflow(nanos)
        if o3 || o4 { return .failure(.tooLarge) }
        return .success(total)
    }

    /// "$12.34" when the amount is whole cents, otherwise up to 9 decimals
    /// with trailing zeros trimmed ("$0.0000004"). Negative amounts get "-$".
    public static func format(nanos: Int64) -> String {
        let magnitude = nanos.magnitude
        let perDollar = UInt64(nanosPerDollar)
        let dollars = magnitude / perDollar
        let remainder = magnitude % perDollar
        var fraction = String(remainder)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        if remainder % 10_000_000 == 0 {
            fraction = String(fraction.prefix(2))
        } else {
            while fraction.hasSuffix("0") { fraction.removeLast() }
        }
        return (nanos < 0 ? "-$" : "$") + String(dollars) + "." + fraction
    }
}
