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

/// The store's sliding minute (TOLLGATE_WINDOW_MINUTE) as the ratelimit
/// plugin uses it, with the clock in milliseconds: exact burst, refill by
/// whole seconds, the worst-case burst the docs promise, retry_after_ms on
/// a refusal, and where a late settle lands.
final class RateWindowTests: XCTestCase {
    let t0: Int64 = UTCCalendar.days(year: 2026, month: 11, day: 22) * 86_400 * 1000

    func rpm(_ limit: Int64, _ clock: TestClock) throws -> (CounterStore, UInt32) {
        let store = CounterStore(clock: clock.clock)
        let id = try store.declare(CounterSpec(name: "ratelimit:key/k:rpm", limit: limit, window: .minute, persist: false))
        return (store, id)
    }

    /// Reserves and settles one request at a time; how many got through.
    func admit(_ store: CounterStore, _ id: UInt32, _ count: Int) throws -> Int {
        var admitted = 0
        for _ in 0..<count {
            guard case .reserved(let r) = try store.reserve([(id, 1)]) else { continue }
            _ = try store.settle(r, actual: [1])
            admitted += 1
        }
        return admitted
    }

    func testBurstAndRefillAtWholeSeconds() throws {
        let clock = TestClock(t0 + 999)
        let (store, id) = try rpm(10, clock)
        XCTAssertEqual(try admit(store, id, 15), 10)
        clock.now = t0 + 59_999
        XCTAssertEqual(try admit(store, id, 1), 0)
        clock.now = t0 + 60_000
        XCTAssertEqual(try admit(store, id, 15), 10, "second t0 left the window at t0+60 s")
    }

    /// The documented worst case: the limit at the very end of one second
    /// and again 59.001 s later, twice the limit within 59.002 s of real
    /// time; any 60 whole seconds never hold more than the limit.
    func testWorstCaseBurstIsTwiceTheLimitAcrossASecondBoundary() throws {
        let clock = TestClock(t0 + 999)
        let (store, id) = try rpm(10, clock)
        XCTAssertEqual(try admit(store, id, 10), 10)
        clock.now = t0 + 60_000
        XCTAssertEqual(try admit(store, id, 10), 10)
        XCTAssertEqual(store.state(id)?.spent, 10, "the window holds the limit, never more")
    }

    func testRetryAfterOnARefusalIsWhenEnoughSpentLeaves() throws {
        let clock = TestClock(t0)
        let (store, id) = try rpm(3, clock)
        XCTAssertEqual(try admit(store, id, 1), 1)
        clock.now = t0 + 20_000
        XCTAssertEqual(try admit(store, id, 2), 2)
        clock.now = t0 + 30_500
        guard case .refused(_, let state) = try store.reserve([(id, 1)]) else { return XCTFail("the minute is full") }
        XCTAssertEqual(state.retryAfterMs, 29_500, "the request of second t0 leaves at t0+60 s")
        guard case .refused(_, let two) = try store.reserve([(id, 2)]) else { return XCTFail("the minute is full") }
        XCTAssertEqual(two.retryAfterMs, 49_500, "two need the requests of second t0+20 to leave too")
        // In-flight reservations are not spent: nothing expires to free them.
        clock.now = t0 + 80_000
        guard case .reserved(let held) = try store.reserve([(id, 3)]) else { return XCTFail("t0 and t0+20 have left") }
        guard case .refused(_, let blocked) = try store.reserve([(id, 1)]) else { return XCTFail("3 are in flight") }
        XCTAssertEqual(blocked.spent, 0)
        XCTAssertEqual(blocked.reserved, 3)
        XCTAssertEqual(blocked.retryAfterMs, 0, "the store cannot tell when in-flight requests finish")
        store.release(held)
    }

    func testASettleLandsInTheSecondTheReservationWasMadeIn() throws {
        let clock = TestClock(t0)
        let store = CounterStore(clock: clock.clock)
        let tpm = try store.declare(CounterSpec(name: "ratelimit:key/k:tpm", limit: 1000, window: .minute, persist: false))
        guard case .reserved(let r) = try store.reserve([(tpm, 900)]) else { return XCTFail("fits") }
        clock.now = t0 + 45_000  // a long stream
        XCTAssertEqual(store.state(tpm)?.reserved, 900)
        _ = try store.settle(r, actual: [120])
        XCTAssertEqual(store.state(tpm)?.spent, 120)
        clock.now = t0 + 60_000
        XCTAssertEqual(store.state(tpm)?.spent, 0, "it counted from the second it was reserved in")
    }
}
