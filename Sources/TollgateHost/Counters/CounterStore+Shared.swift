import Foundation
import TollgateConfig
import TollgateUnits

// Counters shared by several gateways (storage.backend: postgres). The
// shared store decides every reserve and close in one atomic round trip, so
// the bound across gateways is the single-process bound
// (docs/operations.md#the-bound-across-replicas). No local lock is held
// while waiting for it: a hot counter never parks the other event loops.
// The cells cache the store's numbers for `state` (the ratelimit headers,
// the budget metrics), refreshed by every answer that touches a counter
// and by `refreshShared`.
extension CounterStore {
    /// The id the shared store knows a local reservation by.
    func sharedID(_ reservation: UInt64) -> String { "\(shared?.replicaID ?? "local")-r\(reservation)" }

    /// The shared holds of `items`, with the limit each must fit under.
    private func sharedPlan(_ items: [(counter: UInt32, amount: Int64)], ceilings: [Int64]?, nowMs: Int64)
        -> (holds: [SharedHold], limits: [Int64], specs: [CounterSpec]) {
        var holds: [SharedHold] = []
        var limits: [Int64] = []
        var specs: [CounterSpec] = []
        for (index, item) in items.enumerated() {
            let slot = slot(item.counter)!
            let (spec, anchor) = slot.lock.withLock {
                slot.withCell { cell in
                    cell.roll(nowMs: nowMs)
                    return (cell.spec, cell.anchor(nowMs: nowMs))
                }
            }
            holds.append(SharedHold(name: spec.name, minute: spec.window == .minute, anchor: anchor, amount: item.amount))
            limits.append(ceilings?[index] ?? spec.limit)
            specs.append(spec)
        }
        return (holds, limits, specs)
    }

    func sharedReserve(_ items: [(counter: UInt32, amount: Int64)], ceilings: [Int64]?, force: Bool,
                       ordered: [(id: UInt32, slot: CounterSlot)], backend: SharedCounterBackend) throws -> ReserveResult {
        let now = clock()
        let plan = sharedPlan(items, ceilings: ceilings, nowMs: now)
        let local = newReservationID()
        let id = sharedID(local)
        let answer: SharedReserveAnswer
        do {
            answer = try backend.reserve(id: id, holds: plan.holds, limits: plan.limits, force: force,
                                         nowSecond: UTCCalendar.floorDiv(now, 1000))
        } catch {
            // The store may have taken it before the answer was lost: a
            // release for the same id gives it back (or, arriving first,
            // makes the late reserve fail on the taken id).
            try? outbox?.put(PendingClose(id: id, holds: plan.holds, actual: nil))
            throw Self.unavailable(error)
        }
        switch answer {
        case .refused(let index, let numbers, let buckets):
            let slot = slot(items[index].counter)!
            let total = items.reduce(Int64(0)) { $1.counter == items[index].counter ? Saturating.add($0, $1.amount) : $0 }
            let state = slot.lock.withLock {
                slot.withCell { cell -> CounterState in
                    cell.mirror(numbers, anchor: plan.holds[index].anchor, nowMs: now, buckets: plan.holds[index].minute ? buckets : nil)
                    return cell.state(nowMs: now, refusedAmount: total)
                }
            }
            return .refused(index: index, state: state)
        case .reserved(let over, let after):
            mirror(items.map(\.counter), plan.holds, after, nowMs: now)
            let holds = zip(items, plan.holds).map { Reservation.Hold(counter: $0.counter, amount: $0.amount, anchor: $1.anchor) }
            shard(local).insert(local, Reservation(holds: holds, shared: plan.holds))
            return over.map { .forced(local, overIndex: $0) } ?? .reserved(local)
        }
    }

    /// Settles (actual) or releases (nil) in the shared store; when it
    /// cannot be reached the close waits in the outbox and is retried (the
    /// id makes that exactly-once), so the spent is never lost.
    func sharedClose(id: String, holds: [SharedHold], actual: [Int64]?) throws -> SpentUpdate {
        guard let shared else { return SpentUpdate(durable: nil) }
        let now = clock()
        do {
            if case .applied(let after) = try shared.close(id: id, holds: holds, actual: actual,
                                                           nowSecond: UTCCalendar.floorDiv(now, 1000)) {
                mirror(holds.map { self.id(named: $0.name) }, holds, after, nowMs: now)
            }
        } catch {
            do {
                try outbox?.put(PendingClose(id: id, holds: holds, actual: actual))
            } catch let kept {
                throw CounterStoreError.unavailable("\(Self.unavailable(error)); and it could not be kept for later: \(kept)")
            }
        }
        return SpentUpdate(durable: nil)
    }

    func sharedAdd(_ slot: CounterSlot, amount: Int64) throws -> SpentUpdate {
        let now = clock()
        let hold = slot.lock.withLock {
            slot.withCell { cell -> SharedHold in
                cell.roll(nowMs: now)
                return SharedHold(name: cell.spec.name, minute: cell.spec.window == .minute, anchor: cell.anchor(nowMs: now), amount: 0)
            }
        }
        return try sharedClose(id: sharedID(newReservationID()) + "-add", holds: [hold], actual: [amount])
    }

    private func mirror(_ ids: [UInt32?], _ holds: [SharedHold], _ after: [SharedNumbers], nowMs: Int64) {
        for (index, id) in ids.enumerated() where index < after.count {
            guard let id, let slot = slot(id) else { continue }
            slot.lock.withLock {
                slot.withCell { cell in
                    cell.roll(nowMs: nowMs)
                    cell.mirror(after[index], anchor: holds[index].anchor, nowMs: nowMs)
                }
            }
        }
    }

    /// One tick of a shared store's upkeep: says this gateway is alive
    /// (and reclaims the holds of the silent ones), retries the closes
    /// waiting in the outbox, and refreshes every cached counter. Throws
    /// the first failure (the next tick tries again).
    @discardableResult
    package func refreshShared(reclaimAfterMs: Int64) throws -> SharedUpkeep {
        guard let shared else { return SharedUpkeep() }
        var upkeep = SharedUpkeep()
        upkeep.reclaimed = try shared.heartbeat(reclaimAfterMs: reclaimAfterMs)
        // A bounded batch per tick: the next heartbeat must not wait
        // behind a long outage's backlog.
        for pending in try (outbox?.all() ?? []).prefix(Self.outboxBatch) {
            let now = clock()
            _ = try shared.close(id: pending.id, holds: pending.holds, actual: pending.actual,
                                 nowSecond: UTCCalendar.floorDiv(now, 1000))
            try outbox?.remove(pending.id)
            upkeep.retried += 1
        }
        let now = clock()
        var ids: [UInt32] = []
        var holds: [SharedHold] = []
        forEachSlot { id, slot in
            slot.lock.withLock {
                slot.withCell { cell in
                    cell.roll(nowMs: now)
                    ids.append(id)
                    holds.append(SharedHold(name: cell.spec.name, minute: cell.spec.window == .minute,
                                            anchor: cell.anchor(nowMs: now), amount: 0))
                }
            }
        }
        guard !holds.isEmpty else { return upkeep }
        let numbers = try shared.numbers(holds, nowSecond: UTCCalendar.floorDiv(now, 1000))
        mirror(ids, holds, numbers, nowMs: now)
        upkeep.refreshed = numbers.count
        return upkeep
    }

    /// Closes retried per upkeep tick at most.
    static let outboxBatch = 500

    /// Closes waiting for the shared store (0 without one).
    package var pendingSharedCloses: Int { (try? outbox?.all().count) ?? 0 }

    private static func unavailable(_ error: Error) -> CounterStoreError {
        if let known = error as? CounterStoreError { return known }
        return .unavailable("\(error)")
    }
}

/// What one `refreshShared` did.
package struct SharedUpkeep: Equatable, Sendable {
    package var reclaimed = 0
    package var retried = 0
    package var refreshed = 0

    package init() {}
}

/// The outbox in memory only (tests, and a gateway without a directory).
package final class MemoryCloseOutbox: SharedCloseOutbox, @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [String: PendingClose] = [:]
    private var order: [String] = []

    package init() {}

    package func put(_ close: PendingClose) throws {
        lock.lock()
        defer { lock.unlock() }
        if pending.updateValue(close, forKey: close.id) == nil { order.append(close.id) }
    }

    package func remove(_ id: String) throws {
        lock.lock()
        defer { lock.unlock() }
        if pending.removeValue(forKey: id) != nil { order.removeAll { $0 == id } }
    }

    package func all() throws -> [PendingClose] {
        lock.lock()
        defer { lock.unlock() }
        return order.compactMap { pending[$0] }
    }
}
