/// Dollar amounts as Int64 nano-dollars (1e-9 USD), parsed from decimal
/// text digit by digit (never through a Double), so "0.1" is exactly
/// 100_000_000. The same rules as the core's config parser.
public enum Money {
    public static let nanosPerDollar: Int64 = 1_000_000_000

    /// "0.40" -> 400_000_000; "50000" -> 50_000_000_000_000. Nil for
    /// anything that is not a non-negative plain decimal with at most 9
    /// decimals that fits in Int64 (no sign, exponent, "$" or separators).
    public static func parseUSD(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        let dot = bytes.firstIndex(of: UInt8(ascii: "."))
        let whole = bytes[..<(dot ?? bytes.endIndex)]
        let fraction = Array(dot.map { bytes[($0 + 1)...] } ?? [])
        let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        guard !whole.isEmpty, whole.allSatisfy(isDigit), fraction.allSatisfy(isDigit),
              dot == nil || !fraction.isEmpty, fraction.count <= 9 else { return nil }
        var dollars: Int64 = 0
        for digit in whole {
            let (times10, o1) = dollars.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(digit - 0x30))
            if o1 || o2 { return nil }
            dollars = sum
        }
        var nanos: Int64 = 0
        for index in 0..<9 { nanos = nanos * 10 + (index < fraction.count ? Int64(fraction[index] - 0x30) : 0) }
        let (scaled, o3) = dollars.multipliedReportingOverflow(by: nanosPerDollar)
        let (total, o4) = scaled.addingReportingOverflow(nanos)
        return o3 || o4 ? nil : total
    }

    /// "$12.34" when the amount is whole cents, otherwise up to 9 decimals
    /// with trailing zeros trimmed ("$0.0000004"). Negative amounts get "-$".
    public static func format(nanos: Int64) -> String {
        let magnitude = nanos.magnitude
        let perDollar = UInt64(nanosPerDollar)
        let remainder = magnitude % perDollar
        var fraction = String(remainder)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        if remainder % 10_000_000 == 0 {
            fraction = String(fraction.prefix(2))
        } else {
            while fraction.hasSuffix("0") { fraction.removeLast() }
        }
        return (nanos < 0 ? "-$" : "$") + String(magnitude / perDollar) + "." + fraction
    }
}
