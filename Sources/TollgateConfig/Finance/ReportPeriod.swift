import TollgateUnits

/// The period a finance report covers: a calendar month (`2026-11`), a
/// quarter (`2026-Q4`), or an explicit half-open range (`--from/--to`).
/// UTC throughout. A month or a quarter knows the one before it (for
/// "change against the previous period") and the one after it (for
/// proposals and forecasts).
package struct ReportPeriod: Equatable, Sendable, CustomStringConvertible {
    package enum Kind: Equatable, Sendable {
        /// year, month 1...12
        case month(Int64, Int64)
        /// year, quarter 1...4
        case quarter(Int64, Int64)
        /// [from, to) in Unix microseconds
        case range(Int64, Int64)
    }

    package var kind: Kind

    package init(_ kind: Kind) { self.kind = kind }

    package struct ParseError: Error, Equatable, CustomStringConvertible {
        package var text: String
        package var description: String {
            "\"\(text)\" is not a period: use a month (2026-11), a quarter (2026-Q4), or current, previous, next"
        }
    }

    /// `2026-11`, `2026-Q4`, or `current` / `previous` / `next` (months,
    /// relative to `nowSeconds`).
    package static func parse(_ text: String, nowSeconds: Int64) throws -> ReportPeriod {
        let now = month(containing: nowSeconds)
        switch text.lowercased() {
        case "current", "this": return now
        case "previous", "last": return now.previous
        case "next": return now.next
        default: break
        }
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count, !range.isEmpty else { return nil }
            var v: Int64 = 0
            for i in range {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 7, b[4] == UInt8(ascii: "-"), let year = number(0..<4), year >= 1970 else { throw ParseError(text: text) }
        if b.count == 7, let month = number(5..<7), (1...12).contains(month) { return ReportPeriod(.month(year, month)) }
        if b.count == 7, b[5] == UInt8(ascii: "Q") || b[5] == UInt8(ascii: "q"), let q = number(6..<7), (1...4).contains(q) {
            return ReportPeriod(.quarter(year, q))
        }
        throw ParseError(text: text)
    }

    /// The period of `--period`, or of `--from/--to` (both needed), or
    /// else the current month.
    package static func resolve(period: String?, from: String?, to: String?, nowSeconds: Int64) throws -> ReportPeriod {
        if let period {
            guard from == nil, to == nil else { throw RangeError(message: "give either --period or --from/--to, not both") }
            return try parse(period, nowSeconds: nowSeconds)
        }
        switch (from, to) {
        case (nil, nil): return month(containing: nowSeconds)
        case let (from?, to?):
            let start = try ReportTime.parseMicros(from)
            let end = try ReportTime.parseMicros(to)
            guard end > start else { throw RangeError(message: "--to (\(to)) must be after --from (\(from))") }
            return ReportPeriod(.range(start, end))
        default:
            throw RangeError(message: "--from and --to go together (the range is [--from, --to))")
        }
    }

    package struct RangeError: Error, Equatable, CustomStringConvertible {
        package var message: String
        package var description: String { message }
    }

    package static func month(containing seconds: Int64) -> ReportPeriod {
        let civil = UTCCalendar.civil(fromDays: UTCCalendar.floorDiv(seconds, 86_400))
        return ReportPeriod(.month(civil.year, civil.month))
    }

    /// [from, to) in Unix microseconds.
    package var fromMicros: Int64 {
        switch kind {
        case let .month(y, m): return UTCCalendar.days(year: y, month: m, day: 1) * 86_400_000_000
        case let .quarter(y, q): return UTCCalendar.days(year: y, month: (q - 1) * 3 + 1, day: 1) * 86_400_000_000
        case let .range(from, _): return from
        }
    }

    package var toMicros: Int64 {
        if case let .range(_, to) = kind { return to }
        return next.fromMicros
    }

    package var lengthMicros: Int64 { toMicros - fromMicros }
    /// Whole days covered (a range rounds up).
    package var days: Int64 { (lengthMicros + 86_400_000_000 - 1) / 86_400_000_000 }

    package var previous: ReportPeriod {
        switch kind {
        case let .month(y, m): return m == 1 ? ReportPeriod(.month(y - 1, 12)) : ReportPeriod(.month(y, m - 1))
        case let .quarter(y, q): return q == 1 ? ReportPeriod(.quarter(y - 1, 4)) : ReportPeriod(.quarter(y, q - 1))
        case let .range(from, to): return ReportPeriod(.range(from - (to - from), from))
        }
    }

    package var next: ReportPeriod {
        switch kind {
        case let .month(y, m): return m == 12 ? ReportPeriod(.month(y + 1, 1)) : ReportPeriod(.month(y, m + 1))
        case let .quarter(y, q): return q == 4 ? ReportPeriod(.quarter(y + 1, 1)) : ReportPeriod(.quarter(y, q + 1))
        case let .range(from, to): return ReportPeriod(.range(to, to + (to - from)))
        }
    }

    /// The `count` periods ending with this one, oldest first.
    package func history(_ count: Int) -> [ReportPeriod] {
        var out = [self]
        while out.count < count { out.insert(out[0].previous, at: 0) }
        return out
    }

    /// "2026-11", "2026-Q4", or "2026-11-01T00:00:00Z..2026-11-15T00:00:00Z".
    package var description: String {
        switch kind {
        case let .month(y, m): return String(y) + "-" + (m < 10 ? "0" : "") + String(m)
        case let .quarter(y, q): return String(y) + "-Q" + String(q)
        case let .range(from, to): return ReportTime.format(micros: from) + ".." + ReportTime.format(micros: to)
        }
    }
}
