import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// Turns `expires:` text into the first Unix second at which a key is no
/// longer valid.
package enum ExpiryDate {
    /// "2027-06-30" means valid through the end of that day UTC, so the key
    /// stops at 2027-07-01T00:00:00Z. An RFC 3339 timestamp
    /// ("2027-06-30T18:00:00Z", "2027-06-30T18:00:00.5+02:00") is the instant
    /// it stops; a fraction of a second rounds up. Nil if malformed.
    package static func firstInvalidSecond(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 10, let (year, month, day) = date(b[0..<10]) else { return nil }
        let midnight = daysFromCivil(year: year, month: month, day: day) * 86_400
        if b.count == 10 { return midnight + 86_400 }

        guard b.count >= 20, [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(b[10]),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let hour = number(b[11..<13]), let minute = number(b[14..<16]), let second = number(b[17..<19]),
              hour < 24, minute < 60, second <= 60 else { return nil }
        var i = 19
        var hasFraction = false
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, isDigit(b[i]) {
                if b[i] != UInt8(ascii: "0") { hasFraction = true }
                i += 1
            }
            guard i > start, i < b.count else { return nil }
        }
        var offsetSeconds: Int64 = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard i + 1 == b.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"),
                  let oh = number(b[(i + 1)..<(i + 3)]), let om = number(b[(i + 4)..<(i + 6)]),
                  oh < 24, om < 60 else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        return midnight + hour * 3600 + minute * 60 + second - offsetSeconds + (hasFraction ? 1 : 0)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func number(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.allSatisfy(isDigit) else { return nil }
        return bytes.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
    }

    private static func date(_ b: ArraySlice<UInt8>) -> (Int64, Int64, Int64)? {
        let start = b.startIndex
        guard b[start + 4] == UInt8(ascii: "-"), b[start + 7] == UInt8(ascii: "-"),
              let year = number(b[start..<(start + 4)]), let month = number(b[(start + 5)..<(start + 7)]),
              let day = number(b[(start + 8)..<(start + 10)]),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return (year, month, day)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
