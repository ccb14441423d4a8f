import Foundation
import NIOConcurrencyHelpers
import TollgateHost
import TollgatePostgres
import XCTest

/// The counter store shared by several gateways through PostgreSQL: the
/// limit holds across all of them at once, a replayed settle counts once,
/// a silent gateway's holds come back after the reclaim timeout, and a
/// settle the database could not take waits in the outbox, then counts once.
final class SharedCounterTests: DatabaseTestCase {
    private func replica(_ backend: ((PostgresCounters) -> SharedCounterBackend)? = nil) throws -> (CounterStore, PostgresCounters) {
        let counters = PostgresCounters(storage: try database.storage(poolSize: 8))
        let store = CounterStore(shared: backend?(counters) ?? counters, outbox: MemoryCloseOutbox())
        try store.refreshShared(reclaimAfterMs: 60_000)
        return (store, counters)
    }

    private static let budget = CounterSpec(name: "budget:grant:recs:monthly", limit: 1_000, window: .month, persist: true)

    /// Three gateways, 1,000 reservations of 4 at once against a limit that
    /// fits a quarter of them: exactly 250 get through, nothing is left
    /// reserved, spent is what was settled.
    func testThreeReplicasNeverReserveMoreThanTheLimitTogether() throws {
        let replicas = try (0..<3).map { _ in try replica().0 }
        let ids = try replicas.map { try $0.declare(Self.budget) }
        let admitted = ManagedCounter()
        let work: [() throws -> Void] = (0..<1_000).map { n in
            let store = replicas[n % 3]
            let id = ids[n % 3]
            return {
                if case .reserved(let reservation) = try store.reserve([(id, 4)]) {
                    admitted.add(1)
                    _ = try store.settle(reservation, actual: [4])
                }
            }
        }
        for result in Replicas.race(work) { try result.get() }
        XCTAssertEqual(admitted.value, 250, "a quarter fits, and no more across three gateways")
        try replicas[0].refreshShared(reclaimAfterMs: 60_000)
        let state = try XCTUnwrap(replicas[0].state(ids[0]))
        XCTAssertEqual(state.reserved, 0, "every hold was settled")
        XCTAssertEqual(state.spent, 1_000, "spent is exactly what was settled")
        for store in replicas { XCTAssertEqual(store.openReservations, 0) }
    }

    func testASettleReplayedTwiceCountsOnce() throws {
        let (store, backend) = try replica()
        let id = try store.declare(Self.budget)
        guard case .reserved = try store.reserve([(id, 100)]) else { return XCTFail("refused") }
        let hold = SharedHold(name: Self.budget.name, minute: false, anchor: try XCTUnwrap(store.state(id)).windowStart, amount: 100)
        // The gateway's first settle committed but its answer was lost: it
        // sends the same settle again, and again.
        let reservationID = "\(backend.replicaID)-r1"
        XCTAssertNotEqual(try backend.close(id: reservationID, holds: [hold], actual: [60], nowSecond: 0), .alreadyClosed)
        XCTAssertEqual(try backend.close(id: reservationID, holds: [hold], actual: [60], nowSecond: 0), .alreadyClosed)
        XCTAssertEqual(try backend.close(id: reservationID, holds: [hold], actual: nil, nowSecond: 0), .alreadyClosed)
        try store.refreshShared(reclaimAfterMs: 60_000)
        XCTAssertEqual(store.state(id)?.spent, 60, "counted once")
        XCTAssertEqual(store.state(id)?.reserved, 0)
    }

    /// A gateway dies holding the whole room: after the reclaim timeout the
    /// others have it back; should the "dead" one only have been cut off and
    /// settle later, its spent counts once and nothing is given back twice.
    func testASilentReplicasHoldsAreReclaimedAndALateSettleStillCountsOnce() throws {
        let (a, _) = try replica()
        let (b, _) = try replica()
        let idA = try a.declare(Self.budget)
        let idB = try b.declare(Self.budget)
        guard case .reserved(let held) = try a.reserve([(idA, 1_000)]) else { return XCTFail("A could not reserve") }
        guard case .refused = try b.reserve([(idB, 1)]) else { return XCTFail("B reserved room A holds") }

        // A falls silent (no heartbeat); B's upkeep reclaims after 1.5 s.
        Thread.sleep(forTimeInterval: 1.6)
        XCTAssertEqual(try b.refreshShared(reclaimAfterMs: 1_500).reclaimed, 1)
        XCTAssertEqual(b.state(idB)?.reserved, 0)
        guard case .reserved(let second) = try b.reserve([(idB, 600)]) else { return XCTFail("B still refused after the reclaim") }
        _ = try b.settle(second, actual: [600])

        // A was only cut off: its settle arrives now. Spent counts, the
        // reclaimed hold is not taken back a second time.
        _ = try a.settle(held, actual: [300])
        try b.refreshShared(reclaimAfterMs: 1_500)
        XCTAssertEqual(b.state(idB)?.spent, 900)
        XCTAssertEqual(b.state(idB)?.reserved, 0)
    }

    /// The database fails the settle: it waits in the outbox, the reply to
    /// the plugin is still OK, and the next upkeep applies it once.
    func testASettleTheDatabaseCouldNotTakeIsAppliedOnceLater() throws {
        let flaky = NIOLockedValueBox<FlakyBackend?>(nil)
        let (store, _) = try replica { real in
            let backend = FlakyBackend(real)
            flaky.withLockedValue { $0 = backend }
            return backend
        }
        let id = try store.declare(Self.budget)
        guard case .reserved(let reservation) = try store.reserve([(id, 100)]) else { return XCTFail("refused") }
        flaky.withLockedValue { $0?.failCloses = 2 }
        XCTAssertNoThrow(try store.settle(reservation, actual: [70]))
        XCTAssertEqual(store.pendingSharedCloses, 1)
        XCTAssertThrowsError(try store.refreshShared(reclaimAfterMs: 60_000), "still down")
        XCTAssertEqual(store.pendingSharedCloses, 1)
        try store.refreshShared(reclaimAfterMs: 60_000)
        XCTAssertEqual(store.pendingSharedCloses, 0)
        XCTAssertEqual(store.state(id)?.spent, 70)
        XCTAssertEqual(store.state(id)?.reserved, 0)
        try store.refreshShared(reclaimAfterMs: 60_000)
        XCTAssertEqual(store.state(id)?.spent, 70, "applied once")
    }

    /// A per-minute limit is one limit across gateways, not one each.
    func testAMinuteLimitIsSharedWithARetryTime() throws {
        let (a, _) = try replica()
        let (b, _) = try replica()
        let spec = CounterSpec(name: "rate:key:k1:rpm", limit: 5, window: .minute, persist: false)
        let ids = (try a.declare(spec), try b.declare(spec))
        for n in 0..<5 {
            let (store, id) = n % 2 == 0 ? (a, ids.0) : (b, ids.1)
            guard case .reserved(let r) = try store.reserve([(id, 1)]) else { return XCTFail("request \(n) refused") }
            _ = try store.settle(r, actual: [1])
        }
        guard case .refused(_, let state) = try b.reserve([(ids.1, 1)]) else { return XCTFail("a sixth request in the minute got through") }
        XCTAssertEqual(state.spent, 5)
        XCTAssertGreaterThan(state.retryAfterMs, 0)
        XCTAssertLessThanOrEqual(state.retryAfterMs, 60_000)
    }

    func testADatabaseThatDoesNotAnswerRefusesTheReservation() throws {
        let (store, _) = try replica { FlakyBackend($0, failReserves: true) }
        let id = try store.declare(Self.budget)
        XCTAssertThrowsError(try store.reserve([(id, 1)])) { error in
            guard case CounterStoreError.unavailable = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(store.pendingSharedCloses, 1, "a release for the id, in case the reserve did land")
        XCTAssertEqual(store.openReservations, 0)
    }
}

final class ManagedCounter: @unchecked Sendable {
    private let box = NIOLockedValueBox(0)
    func add(_ n: Int) { box.withLockedValue { $0 += n } }
    var value: Int { box.withLockedValue { $0 } }
}

/// The real backend, failing on demand.
final class FlakyBackend: SharedCounterBackend, @unchecked Sendable {
    let real: SharedCounterBackend
    let failReserves: Bool
    var failCloses = 0
    private let lock = NSLock()

    init(_ real: SharedCounterBackend, failReserves: Bool = false) {
        self.real = real
        self.failReserves = failReserves
    }

    var replicaID: String { real.replicaID }

    func reserve(id: String, holds: [SharedHold], limits: [Int64], force: Bool, nowSecond: Int64) throws -> SharedReserveAnswer {
        if failReserves { throw CounterStoreError.unavailable("injected: the database did not answer") }
        return try real.reserve(id: id, holds: holds, limits: limits, force: force, nowSecond: nowSecond)
    }

    func close(id: String, holds: [SharedHold], actual: [Int64]?, nowSecond: Int64) throws -> SharedCloseAnswer {
        let fail: Bool = lock.withLock {
            guard failCloses > 0 else { return false }
            failCloses -= 1
            return true
        }
        if fail { throw CounterStoreError.unavailable("injected: the database did not answer") }
        return try real.close(id: id, holds: holds, actual: actual, nowSecond: nowSecond)
    }

    func numbers(_ holds: [SharedHold], nowSecond: Int64) throws -> [SharedNumbers] { try real.numbers(holds, nowSecond: nowSecond) }
    func heartbeat(reclaimAfterMs: Int64) throws -> Int { try real.heartbeat(reclaimAfterMs: reclaimAfterMs) }
    func leave() { real.leave() }
}
