import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

final class CounterWindowTests: XCTestCase {
    // 2026-11-22T15:30:00Z is a Sunday.
    let sunday: Int64 = UTCCalendar.days(year: 2026, month: 11, day: 22) * 86_400 + 15 * 3600 + 1800

    func testCalendarWindowsAreUTC() {
        let day = CounterWindow.day.bounds(containing: sunday)
        XCTAssertEqual(UTCCalendar.iso8601(day.start), "2026-11-22T00:00:00Z")
        XCTAssertEqual(UTCCalendar.iso8601(day.end), "2026-11-23T00:00:00Z")
        let week = CounterWindow.week.bounds(containing: sunday)
        XCTAssertEqual(UTCCalendar.iso8601(week.start), "2026-11-16T00:00:00Z", "ISO weeks start on Monday")
        XCTAssertEqual(UTCCalendar.iso8601(week.end), "2026-11-23T00:00:00Z")
        let month = CounterWindow.month.bounds(containing: sunday)
        XCTAssertEqual(UTCCalendar.iso8601(month.start), "2026-11-01T00:00:00Z")
        XCTAssertEqual(UTCCalendar.iso8601(month.end), "2026-12-01T00:00:00Z")
        XCTAssertEqual(CounterWindow.none.bounds(containing: sunday).end, 0)
    }

    func testEdgesBelongToTheNextWindow() {
        let midnight = UTCCalendar.days(year: 2026, month: 12, day: 31) * 86_400
        XCTAssertEqual(CounterWindow.day.bounds(containing: midnight).start, midnight)
        XCTAssertEqual(CounterWindow.day.bounds(containing: midnight - 1).end, midnight)
        let december = CounterWindow.month.bounds(containing: midnight)
        XCTAssertEqual(UTCCalendar.iso8601(december.end), "2027-01-01T00:00:00Z")
        let february = CounterWindow.month.bounds(containing: UTCCalendar.days(year: 2028, month: 2, day: 29) * 86_400)
        XCTAssertEqual(UTCCalendar.iso8601(february.end), "2028-03-01T00:00:00Z", "leap year")
    }

    func testCivilRoundTrip() {
        for days in stride(from: Int64(-800_000), to: 800_000, by: 997) {
            let c = UTCCalendar.civil(fromDays: days)
            XCTAssertEqual(UTCCalendar.days(year: c.year, month: c.month, day: c.day), days)
        }
        XCTAssertEqual(UTCCalendar.iso8601(0), "1970-01-01T00:00:00Z")
    }
}
