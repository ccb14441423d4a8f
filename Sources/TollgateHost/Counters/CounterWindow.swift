import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// When a counter's spent goes back to zero (TOLLGATE_WINDOW_*). Calendar
/// windows are UTC; `minute` slides (see `MinuteBuckets`).
package enum CounterWindow: Int32, Sendable, CaseIterable {
    case none = 0
    case day = 1
    case week = 2
    case month = 3
    case minute = 4

    /// The name used in counter names and the admin API.
    package var name: String {
        switch self {
        case .none: return "total"
        case .day: return "daily"
        case .week: return "weekly"
        case .month: return "monthly"
        case .minute: return "minute"
        }
    }

    package var isCalendar: Bool { self == .day || self == .week || self == .month }

    /// The calendar window holding `second` (Unix seconds): [start, end).
    /// `none` is one window from 0 with no end (end = 0); `minute` is the
    /// 60 s ending at `second` (start = second - 59, end = second + 1).
    package func bounds(containing second: Int64) -> (start: Int64, end: Int64) {
        switch self {
        case .none:
            return (0, 0)
        case .day:
            let start = UTCCalendar.floorDiv(second, 86_400) * 86_400
            return (start, start + 86_400)
        case .week:
            // 1970-01-01 was a Thursday: Monday-based weeks start 3 days
            // before the epoch's day count is a multiple of 7.
            let day = UTCCalendar.floorDiv(second, 86_400)
            let monday = day - UTCCalendar.floorMod(day + 3, 7)
            return (monday * 86_400, (monday + 7) * 86_400)
        case .month:
            let date = UTCCalendar.civil(fromDays: UTCCalendar.floorDiv(second, 86_400))
            let start = UTCCalendar.days(year: date.year, month: date.month, day: 1) * 86_400
            let next = date.month == 12 ? (date.year + 1, Int64(1)) : (date.year, date.month + 1)
            return (start, UTCCalendar.days(year: next.0, month: next.1, day: 1) * 86_400)
        case .minute:
            return (second - 59, second + 1)
        }
    }
}
