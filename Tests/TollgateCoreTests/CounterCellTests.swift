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

/// The I/O-free per-counter state: fit, hold, spend, window roll, minute
/// buckets, retry-after. Time is passed in; nothing sleeps.
final class CounterCellTests: XCTestCase {
    let day0: Int64 = UTCCalendar.days(year: 2026, month: 11, day: 22) * 86_400 * 1000

    func spec(_ limit: Int64, _ window: CounterWindow = .day) -> CounterSpec {
        CounterSpec(name: "c", limit: limit, window: window, persist: true)
    }

    func testFitCountsSpentAndReserved() {
        var cell = CounterCell(spec: spec(100), nowMs: day0, spent: 30)
        XCTAssertTrue(cell.fits(70, nowMs: day0))
        XCTAssertFalse(cell.fits(71, nowMs: day0))
        cell.hold(50)
        XCTAssertTrue(cell.fits(20, nowMs: day0))
        XCTAssertFalse(cell.fits(21, nowMs: day0))
        cell.unhold(50)
        cell.spend(60, anchor: cell.anchor(nowMs: day0), nowMs: day0)
        XCTAssertEqual(cell.state(nowMs: day0).spent, 90)
        XCTAssertEqual(cell.state(nowMs: day0).reserved, 0)
    }

    func testUnlimitedAndOverflowNeverTrap() {
        var unlimited = CounterCell(spec: spec(Int64.max), nowMs: day0)
        unlimited.hold(Int64.max)
        XCTAssertTrue(unlimited.fits(Int64.max, nowMs: day0))
        var limited = CounterCell(spec: spec(10), nowMs: day0)
        limited.hold(Int64.max)
        limited.hold(5)
        XCTAssertFalse(limited.fits(1, nowMs: day0))
    }

    func testRollResetsSpentAndKeepsReservations() {
        var cell = CounterCell(spec: spec(100), nowMs: day0 + 1000)
        let anchor = cell.anchor(nowMs: day0)
        cell.hold(40)
        cell.spend(50, anchor: anchor, nowMs: day0)
        let tomorrow = day0 + 86_400_000
        cell.roll(nowMs: tomorrow)
        XCTAssertEqual(cell.state(nowMs: tomorrow).spent, 0)
        XCTAssertEqual(cell.state(nowMs: tomorrow).reserved, 40)
        // Settling yesterday's reservation lands in yesterday, not today.
        cell.unhold(40)
        cell.spend(30, anchor: anchor, nowMs: tomorrow)
        XCTAssertEqual(cell.state(nowMs: tomorrow).spent, 0)
        XCTAssertEqual(cell.state(nowMs: tomorrow).windowStart, tomorrow / 1000)
    }

    func testRetryAfterIsTheWindowEndOrNever() {
        let cell = CounterCell(spec: spec(100), nowMs: day0 + 3_600_000)
        XCTAssertEqual(cell.state(nowMs: day0 + 3_600_000, refusedAmount: 50).retryAfterMs, 23 * 3_600_000)
        XCTAssertEqual(cell.state(nowMs: day0, refusedAmount: 101).retryAfterMs, 0, "more than the limit never fits")
        let total = CounterCell(spec: spec(100, .none), nowMs: day0)
        XCTAssertEqual(total.state(nowMs: day0, refusedAmount: 50).retryAfterMs, 0)
    }

    func testMinuteWindowSlidesBySecond() {
        var cell = CounterCell(spec: spec(100, .minute), nowMs: day0)
        cell.spend(60, anchor: day0 / 1000, nowMs: day0)
        cell.spend(40, anchor: day0 / 1000 + 30, nowMs: day0 + 30_000)
        XCTAssertFalse(cell.fits(1, nowMs: day0 + 30_000))
        // Second 0 leaves the window at second 60.
        XCTAssertFalse(cell.fits(1, nowMs: day0 + 59_999))
        XCTAssertTrue(cell.fits(60, nowMs: day0 + 60_000))
        XCTAssertFalse(cell.fits(61, nowMs: day0 + 60_000))
        XCTAssertEqual(cell.state(nowMs: day0 + 59_500, refusedAmount: 10).retryAfterMs, 500)
        XCTAssertEqual(cell.state(nowMs: day0 + 59_500, refusedAmount: 70).retryAfterMs, 30_500)
        XCTAssertEqual(cell.state(nowMs: day0 + 90_000).spent, 0)
    }
}
