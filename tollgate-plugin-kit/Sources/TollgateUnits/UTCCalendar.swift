/// Proleptic Gregorian calendar arithmetic in UTC (Howard Hinnant's
/// days-from-civil), so window edges need neither Foundation nor a time zone
/// database.
public enum UTCCalendar {
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    public static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    /// Days since 1970-01-01 of a civil date.
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    public static func civil(fromDays z: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// "2026-11-23T00:00:00Z".
    public static func iso8601(_ second: Int64) -> String {
        let date = civil(fromDays: floorDiv(second, 86_400))
        let inDay = floorMod(second, 86_400)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let digits = String(date.year)
        let year = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return "\(year)-\(two(date.month))-\(two(date.day))T\(two(inDay / 3600)):\(two(inDay % 3600 / 60)):\(two(inDay % 60))Z"
    }

    /// "2026-11-22" for Unix seconds.
    public static func day(_ second: Int64) -> String { String(iso8601(second).prefix(10)) }
}

extension UTCCalendar {
    /// The calendar periods counters and grants reset on (UTC).
    public enum Period: Sendable {
        case day
        /// ISO week, from Monday 00:00.
        case week
        case month
        /// From January, April, July and October 1st.
        case quarter
    }

    /// The period holding `second` (Unix seconds): [start, end).
    public static func bounds(of period: Period, containing second: Int64) -> (start: Int64, end: Int64) {
        let day = floorDiv(second, 86_400)
        switch period {
        case .day:
            return (day * 86_400, (day + 1) * 86_400)
        case .week:
            // 1970-01-01 was a Thursday: Monday-based weeks start 3 days
            // before the epoch's day count is a multiple of 7.
            let monday = day - floorMod(day + 3, 7)
            return (monday * 86_400, (monday + 7) * 86_400)
        case .month, .quarter:
            let date = civil(fromDays: day)
            let span: Int64 = period == .month ? 1 : 3
            let firstMonth = (date.month - 1) / span * span + 1
            let next = firstMonth + span > 12 ? (date.year + 1, firstMonth + span - 12) : (date.year, firstMonth + span)
            return (days(year: date.year, month: firstMonth, day: 1) * 86_400, days(year: next.0, month: next.1, day: 1) * 86_400)
        }
    }
}
