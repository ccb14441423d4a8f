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
    case quarter = 5

    /// The name used in counter names and the admin API.
    package var name: String {
        switch self {
        case .none: return "total"
        case .day: return "daily"
        case .week: return "weekly"
        case .month: return "monthly"
        case .minute: return "minute"
        case .quarter: return "quarterly"
        }
    }

    package var isCalendar: Bool { self == .day || self == .week || self == .month || self == .quarter }

    /// The calendar window holding `second` (Unix seconds): [start, end).
    /// `none` is one window from 0 with no end (end = 0); `minute` is the
    /// 60 s ending at `second` (start = second - 59, end = second + 1).
    package func bounds(containing second: Int64) -> (start: Int64, end: Int64) {
        switch self {
        case .none: return (0, 0)
        case .day: return UTCCalendar.bounds(of: .day, containing: second)
        case .week: return UTCCalendar.bounds(of: .week, containing: second)
        case .month: return UTCCalendar.bounds(of: .month, containing: second)
        case .quarter: return UTCCalendar.bounds(of: .quarter, containing: second)
        case .minute: return (second - 59, second + 1)
        }
    }
}
