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

/// Spent survives a restart exactly; reservations of a dead store are void.
final class CounterPersistenceTests: XCTestCase {
    let day0: Int64 = UTCCalendar.days(year: 2026, month: 11, day: 22) * 86_400 * 1000

    func tempPath() -> String {
        let dir = NSTemporaryDirectory() + "tollgate-counters-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/counters.db"
    }

    func testSpentCarriesOverARestartPerWindow() throws {
        let path = tempPath()
        let clock = TestClock(day0 + 1000)
        do {
            let store = CounterStore(clock: clock.clock, persistence: try SpentJournal(path: path))
            let daily = try store.declare(CounterSpec(name: "budget:team/a/b:daily", limit: 1_000, window: .day, persist: true))
            let total = try store.declare(CounterSpec(name: "budget:key/k:total", limit: 1_000, window: .none, persist: true))
            let memory = try store.declare(CounterSpec(name: "scratch", limit: 1_000, window: .day, persist: false))
            for amount: Int64 in [10, 20, 30] {
                guard case .reserved(let r) = try store.reserve([(daily, 50), (total, 50), (memory, 50)]) else { return XCTFail() }
                let update = try store.settle(r, actual: [amount, amount, amount])
                XCTAssertNotNil(update.durable)
            }
            guard case .reserved = try store.reserve([(daily, 100)]) else { return XCTFail() }  // dies open
            _ = try store.add(total, amount: 5)
            store.close()
        }
        let journal = try SpentJournal(path: path)
        let store = CounterStore(clock: clock.clock, persistence: journal)
        let daily = try store.declare(CounterSpec(name: "budget:team/a/b:daily", limit: 1_000, window: .day, persist: true))
        let total = try store.declare(CounterSpec(name: "budget:key/k:total", limit: 1_000, window: .none, persist: true))
        let memory = try store.declare(CounterSpec(name: "scratch", limit: 1_000, window: .day, persist: false))
        XCTAssertEqual(store.state(daily)?.spent, 60)
        XCTAssertEqual(store.state(daily)?.reserved, 0, "reservations of a dead process are void")
        XCTAssertEqual(store.state(total)?.spent, 65)
        XCTAssertEqual(store.state(memory)?.spent, 0, "not persisted")
        // Tomorrow the daily counter starts over; the total does not.
        clock.now = day0 + 86_400_000 + 1000
        let nextDay = CounterStore(clock: clock.clock, persistence: journal)
        XCTAssertEqual(nextDay.state(try nextDay.declare(CounterSpec(name: "budget:team/a/b:daily", limit: 1_000, window: .day,
                                                                     persist: true)))?.spent, 0)
        XCTAssertEqual(nextDay.state(try nextDay.declare(CounterSpec(name: "budget:key/k:total", limit: 1_000, window: .none,
                                                                     persist: true)))?.spent, 65)
        store.close()
    }

    func testALateSettleIsPersistedInTheWindowItWasReservedIn() throws {
        let path = tempPath()
        let clock = TestClock(day0 + 86_000_000)
        let journal = try SpentJournal(path: path)
        let store = CounterStore(clock: clock.clock, persistence: journal)
        let a = try store.declare(CounterSpec(name: "a", limit: 1_000, window: .day, persist: true))
        guard case .reserved(let r) = try store.reserve([(a, 100)]) else { return XCTFail() }
        clock.now = day0 + 86_400_000 + 5
        let update = try store.settle(r, actual: [42])
        update.durable!.writer.waitUntilCommitted(update.durable!.ticket)
        XCTAssertEqual(try journal.allRows(), [SpentEntry(name: "a", windowStart: day0 / 1000, amount: 42)])
        store.close()
    }

    func testAfterCloseSettlesAreRefusedAsUnavailable() throws {
        let store = CounterStore(persistence: try SpentJournal(path: tempPath()))
        let a = try store.declare(CounterSpec(name: "a", limit: 1_000, window: .none, persist: true))
        guard case .reserved(let r) = try store.reserve([(a, 10)]) else { return XCTFail() }
        store.close()
        XCTAssertThrowsError(try store.settle(r, actual: [10])) {
            guard case CounterStoreError.unavailable = $0 else { return XCTFail("\($0)") }
        }
    }
}
