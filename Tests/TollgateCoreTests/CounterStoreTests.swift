import Foundation
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

/// A clock the test moves (Unix ms).
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var ms: Int64
    init(_ ms: Int64) { self.ms = ms }
    var now: Int64 {
        get { lock.withLock { ms } }
        set { lock.withLock { ms = newValue } }
    }
    var clock: CounterStore.Clock { { [self] in now } }
}

final class CounterStoreTests: XCTestCase {
    let day0: Int64 = UTCCalendar.days(year: 2026, month: 11, day: 22) * 86_400 * 1000

    func makeStore(_ clock: TestClock) -> CounterStore { CounterStore(clock: clock.clock) }

    func testReserveIsAllOrNothingAndNamesTheRefusingCounter() throws {
        let store = makeStore(TestClock(day0))
        let org = try store.declare(CounterSpec(name: "org", limit: 1000, window: .month, persist: false))
        let team = try store.declare(CounterSpec(name: "team", limit: 100, window: .day, persist: false))
        let key = try store.declare(CounterSpec(name: "key", limit: 500, window: .none, persist: false))
        guard case .reserved = try store.reserve([(org, 80), (team, 80), (key, 80)]) else { return XCTFail("should fit") }
        guard case .refused(let index, let state) = try store.reserve([(org, 30), (team, 30), (key, 30)]) else {
            return XCTFail("team should refuse")
        }
        XCTAssertEqual(index, 1)
        XCTAssertEqual(state.limit, 100)
        XCTAssertEqual(state.reserved, 80)
        XCTAssertEqual(state.windowEnd, day0 / 1000 + 86_400)
        XCTAssertGreaterThan(state.retryAfterMs, 0)
        // Nothing of the refused reservation was held anywhere.
        XCTAssertEqual(store.state(org)?.reserved, 80)
        XCTAssertEqual(store.state(key)?.reserved, 80)
    }

    func testSettleMovesTheRealAmountAndReleaseDropsIt() throws {
        let store = makeStore(TestClock(day0))
        let a = try store.declare(CounterSpec(name: "a", limit: 100, window: .day, persist: false))
        let b = try store.declare(CounterSpec(name: "b", limit: 100, window: .day, persist: false))
        guard case .reserved(let r1) = try store.reserve([(a, 50), (b, 50)]) else { return XCTFail() }
        _ = try store.settle(r1, actual: [70, 20])  // more on a, less on b
        XCTAssertEqual(store.state(a)?.spent, 70)
        XCTAssertEqual(store.state(b)?.spent, 20)
        XCTAssertEqual(store.state(a)?.reserved, 0)
        XCTAssertThrowsError(try store.settle(r1, actual: [1, 1])) { XCTAssertEqual($0 as? CounterStoreError, .notFound("no open reservation \(r1)")) }
        guard case .reserved(let r2) = try store.reserve([(a, 30)]) else { return XCTFail() }
        XCTAssertThrowsError(try store.settle(r2, actual: [1, 2]), "count mismatch")
        XCTAssertEqual(store.openReservations, 1, "a bad settle leaves the reservation open")
        XCTAssertTrue(store.release(r2))
        XCTAssertFalse(store.release(r2))
        XCTAssertEqual(store.state(a)?.spent, 70)
        XCTAssertEqual(store.state(a)?.reserved, 0)
        XCTAssertEqual(store.openReservations, 0)
    }

    func testForceReservesAndReportsTheFirstCounterOver() throws {
        let store = makeStore(TestClock(day0))
        let a = try store.declare(CounterSpec(name: "a", limit: 100, window: .day, persist: false))
        let b = try store.declare(CounterSpec(name: "b", limit: 10, window: .day, persist: false))
        guard case .forced(_, let over) = try store.reserve([(a, 50), (b, 50)], force: true) else { return XCTFail() }
        XCTAssertEqual(over, 1)
        XCTAssertEqual(store.state(b)?.reserved, 50)
    }

    func testTheSameCounterTwiceAddsUp() throws {
        let store = makeStore(TestClock(day0))
        let a = try store.declare(CounterSpec(name: "a", limit: 100, window: .day, persist: false))
        guard case .refused(let index, _) = try store.reserve([(a, 60), (a, 60)]) else { return XCTFail() }
        XCTAssertEqual(index, 0)
    }

    func testInvalidRequests() throws {
        let store = makeStore(TestClock(day0))
        let a = try store.declare(CounterSpec(name: "a", limit: 100, window: .day, persist: false))
        XCTAssertThrowsError(try store.reserve([]))
        XCTAssertThrowsError(try store.reserve([(a, -1)]))
        XCTAssertThrowsError(try store.reserve([(a + 7, 1)]))
        XCTAssertThrowsError(try store.declare(CounterSpec(name: "", limit: 1, window: .day, persist: false)))
        XCTAssertThrowsError(try store.declare(CounterSpec(name: "x", limit: -1, window: .day, persist: false)))
        XCTAssertThrowsError(try store.add(a, amount: -5))
    }

    func testDeclaringAgainKeepsSpentAndReservationsAndTakesTheNewLimit() throws {
        let store = makeStore(TestClock(day0))
        let a = try store.declare(CounterSpec(name: "budget:x:daily", limit: 100, window: .day, persist: false))
        _ = try store.add(a, amount: 40)
        guard case .reserved = try store.reserve([(a, 30)]) else { return XCTFail() }
        // A second generation of the plugin declares the same name.
        let again = try store.declare(CounterSpec(name: "budget:x:daily", limit: 60, window: .day, persist: false))
        XCTAssertEqual(again, a)
        XCTAssertEqual(store.state(a), CounterState(limit: 60, spent: 40, reserved: 30, windowStart: day0 / 1000,
                                                     windowEnd: day0 / 1000 + 86_400, retryAfterMs: 0))
        XCTAssertEqual(store.counters(withPrefix: "budget:").map(\.spec.name), ["budget:x:daily"])
    }

    func testWindowRollStartsAtZeroAndLateSettleStaysInItsWindow() throws {
        let clock = TestClock(day0 + 86_000_000)
        let store = makeStore(clock)
        let a = try store.declare(CounterSpec(name: "a", limit: 100, window: .day, persist: false))
        _ = try store.add(a, amount: 90)
        guard case .reserved(let r) = try store.reserve([(a, 10)]) else { return XCTFail() }
        clock.now = day0 + 86_400_000  // midnight
        XCTAssertEqual(store.state(a)?.spent, 0)
        XCTAssertEqual(store.state(a)?.reserved, 10, "a reservation spans the edge")
        _ = try store.settle(r, actual: [10])
        XCTAssertEqual(store.state(a)?.spent, 0, "settled into yesterday")
        XCTAssertEqual(store.state(a)?.reserved, 0)
    }

    /// Many threads reserving, settling (more, less, or exactly) and
    /// releasing on shared counters: no reservation ever pushes spent +
    /// reserved past a limit, and at the end reserved is 0 and spent is the
    /// sum of what was settled.
    func testConcurrentReservationsNeverOvershoot() throws {
        let store = CounterStore()
        let shared = try store.declare(CounterSpec(name: "org", limit: 50_000, window: .day, persist: false))
        let teams = try (0..<3).map { try store.declare(CounterSpec(name: "team\($0)", limit: 20_000, window: .day, persist: false)) }
        let settled = NSLock()
        var totalSettled: Int64 = 0
        var perTeam = [Int64](repeating: 0, count: 3)
        var refusals = 0
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            var rng = SystemRandomNumberGenerator()
            for i in 0..<2_000 {
                let team = (worker + i) % 3
                let amount = Int64.random(in: 1...100, using: &rng)
                guard case .reserved(let r) = try! store.reserve([(shared, amount), (teams[team], amount)]) else {
                    settled.withLock { refusals += 1 }
                    continue
                }
                if i % 5 == 0 {
                    store.release(r)
                    continue
                }
                // Never more than reserved: the store's guarantee is then exact.
                let actual = Int64.random(in: 0...amount, using: &rng)
                _ = try! store.settle(r, actual: [actual, actual])
                settled.withLock {
                    totalSettled += actual
                    perTeam[team] += actual
                }
            }
        }
        XCTAssertEqual(store.openReservations, 0)
        XCTAssertEqual(store.state(shared)?.reserved, 0)
        XCTAssertEqual(store.state(shared)?.spent, totalSettled)
        XCTAssertLessThanOrEqual(totalSettled, 50_000)
        for t in 0..<3 {
            XCTAssertEqual(store.state(teams[t])?.spent, perTeam[t])
            XCTAssertLessThanOrEqual(perTeam[t], 20_000)
        }
        XCTAssertGreaterThan(refusals, 0, "the limits must have been reached for the test to mean anything")
    }
}
