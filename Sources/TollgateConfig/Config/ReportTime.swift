import TollgateSupport
import TollgateJSON
import TollgateUnits

/// `--from` / `--to` of a report, and the `time` of an outcome: a UTC date (`2026-11-01`, midnight) or an
/// RFC 3339 timestamp (`2026-11-01T09:30:00Z`, `...T09:30:00.250+02:00`),
/// as Unix microseconds. Pure parsing, no clock, no locale.
package enum ReportTime {
    package struct ParseError: Error, Equatable, CustomStringConvertible {
        package var text: String
        package var description: String {
            "\"\(text)\" is not a date: use YYYY-MM-DD (UTC midnight) or RFC 3339 such as 2026-11-01T09:30:00Z"
        }
    }

    package static func parseMicros(_ text: String) throws -> Int64 {
        let b = Array(text.utf8)
        let fail = ParseError(text: text)
        func digits(_ range: Range<Int>) throws -> Int64 {
            guard range.upperBound <= b.count else { throw fail }
            var value: Int64 = 0
            for i in range {
                guard b[i] >= 0x30, b[i] <= 0x39 else { throw fail }
                value = value * 10 + Int64(b[i] - 0x30)
            }
            return value
        }
        func expect(_ i: Int, _ chars: String) throws {
            guard i < b.count, chars.utf8.contains(b[i]) else { throw fail }
        }
        let year = try digits(0..<4)
        try expect(4, "-")
        let month = try digits(5..<7)
        try expect(7, "-")
        let day = try digits(8..<10)
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { throw fail }
        let midnight = UTCCalendar.days(year: year, month: month, day: day) * 86_400
        if b.count == 10 { return midnight * 1_000_000 }

        try expect(10, "Tt ")
        let hour = try digits(11..<13)
        try expect(13, ":")
        let minute = try digits(14..<16)
        try expect(16, ":")
        let second = try digits(17..<19)
        guard hour < 24, minute < 60, second < 60 else { throw fail }
        var i = 19
        var micros: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var places = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if places < 6 {
                    micros = micros * 10 + Int64(b[i] - 0x30)
                    places += 1
                }
                i += 1
            }
            guard places > 0 else { throw fail }
            while places < 6 {
                micros *= 10
                places += 1
            }
        }
        var offsetSeconds: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
            let hours = try digits(i + 1..<i + 3)
            try expect(i + 3, ":")
            let minutes = try digits(i + 4..<i + 6)
            guard hours < 24, minutes < 60 else { throw fail }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
            i += 6
        } else {
            throw fail  // RFC 3339 needs a zone: no guessing local time
        }
        guard i == b.count else { throw fail }
        let seconds = midnight + hour * 3600 + minute * 60 + second - offsetSeconds
        return seconds * 1_000_000 + micros
    }

    /// "2026-11-01T09:30:00Z" (microseconds shown only when not zero).
    package static func format(micros: Int64) -> String {
        let seconds = UTCCalendar.floorDiv(micros, 1_000_000)
        let rest = UTCCalendar.floorMod(micros, 1_000_000)
        let text = UTCCalendar.iso8601(seconds)
        guard rest != 0 else { return text }
        let digits = String(rest)
        return String(text.dropLast()) + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
