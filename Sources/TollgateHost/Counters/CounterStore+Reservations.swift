import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// What `reserve` decided.
package enum ReserveResult: Equatable, Sendable {
    /// Everything was reserved.
    case reserved(UInt64)
    /// Reserved with `force` although the counter at `overIndex` (the first
    /// over its limit, in the caller's order) does not fit.
    case forced(UInt64, overIndex: Int)
    /// Nothing was reserved: the counter at `index` (the first in the
    /// caller's order) does not fit; its state carries `retryAfterMs`.
    case refused(index: Int, state: CounterState)
}

/// A settle or add that changed spent; wait on `durable` (if any) before
/// telling anyone the money is accounted for.
package struct SpentUpdate: Sendable {
    package var durable: DurableTicket?
}

/// An open reservation: what it holds on which counter, and where each
/// amount lands when settled.
package struct Reservation {
    struct Hold {
        var counter: UInt32
        var amount: Int64
        var anchor: Int64
    }
    var holds: [Hold]
    /// The same holds as the shared store knows them (shared counters).
    var shared: [SharedHold]?
}

/// Open reservations whose id falls in this shard.
package final class ReservationShard: @unchecked Sendable {
    static let count = 16
    private let lock = NIOLock()
    private var open: [UInt64: Reservation] = [:]

    func insert(_ id: UInt64, _ reservation: Reservation) { lock.withLock { open[id] = reservation } }

    /// Removes and returns the reservation: whoever takes it settles or
    /// releases it, exactly once.
    func take(_ id: UInt64) -> Reservation? { lock.withLock { open.removeValue(forKey: id) } }

    func peek(_ id: UInt64) -> Reservation? { lock.withLock { open[id] } }

    var count: Int { lock.withLock { open.count } }
}

extension CounterStore {
    /// Reserves `items[i].amount` on `items[i].counter` for every i, or
    /// nothing. With `force`, always reserves and reports the first counter
    /// over its limit. The same counter may appear more than once; its
    /// amounts add up. `ceilings[i]`, when given, stands in for item i's
    /// counter limit in this reservation (Int64.max for none).
    package func reserve(_ items: [(counter: UInt32, amount: Int64)], ceilings: [Int64]? = nil,
                         force: Bool = false) throws -> ReserveResult {
        guard !items.isEmpty else { throw CounterStoreError.invalid("a reservation needs at least one counter") }
        guard items.allSatisfy({ $0.amount >= 0 }) else { throw CounterStoreError.invalid("negative amount") }
        guard ceilings.map({ $0.count == items.count && $0.allSatisfy { $0 >= 0 } }) ?? true else {
            throw CounterStoreError.invalid("one ceiling >= 0 per item")
        }
        guard let ordered = orderedSlots(items.map(\.counter)) else { throw CounterStoreError.invalid("unknown counter id") }
        if let shared { return try sharedReserve(items, ceilings: ceilings, force: force, ordered: ordered, backend: shared) }
        let now = clock()
        for entry in ordered { entry.slot.lock.lock() }
        defer { for entry in ordered.reversed() { entry.slot.lock.unlock() } }

        func slot(_ id: UInt32) -> CounterSlot { ordered.first { $0.id == id }!.slot }
        for entry in ordered { entry.slot.cell.roll(nowMs: now) }
        // The first item (in the caller's order) whose counter cannot take
        // the sum of everything asked of it.
        var over: Int?
        for (index, item) in items.enumerated() {
            let total = items.reduce(Int64(0)) { $1.counter == item.counter ? Saturating.add($0, $1.amount) : $0 }
            if !slot(item.counter).withCell({ $0.fits(total, nowMs: now, ceiling: ceilings?[index]) }) {
                over = index
                break
            }
        }
        if let over, !force {
            let item = items[over]
            let total = items.reduce(Int64(0)) { $1.counter == item.counter ? Saturating.add($0, $1.amount) : $0 }
            return .refused(index: over, state: slot(item.counter).withCell { $0.state(nowMs: now, refusedAmount: total) })
        }
        var holds: [Reservation.Hold] = []
        holds.reserveCapacity(items.count)
        for item in items {
            let s = slot(item.counter)
            let anchor = s.withCell { cell in
                cell.hold(item.amount)
                return cell.anchor(nowMs: now)
            }
            holds.append(Reservation.Hold(counter: item.counter, amount: item.amount, anchor: anchor))
        }
        let id = newReservationID()
        shard(id).insert(id, Reservation(holds: holds))
        return over.map { .forced(id, overIndex: $0) } ?? .reserved(id)
    }

    /// Settles a reservation: its amounts leave `reserved`, `actual[i]` is
    /// added to the spent of its i-th counter in the window it was reserved
    /// in. Throws `.notFound` for an unknown or closed reservation and
    /// `.invalid` for a count mismatch (nothing changes; it stays open).
    package func settle(_ reservation: UInt64, actual: [Int64]) throws -> SpentUpdate {
        guard actual.allSatisfy({ $0 >= 0 }) else { throw CounterStoreError.invalid("negative amount") }
        let shard = shard(reservation)
        guard let open = shard.peek(reservation) else { throw CounterStoreError.notFound("no open reservation \(reservation)") }
        guard open.holds.count == actual.count else {
            throw CounterStoreError.invalid("reservation \(reservation) has \(open.holds.count) counters, got \(actual.count) amounts")
        }
        guard let taken = shard.take(reservation) else {
            throw CounterStoreError.notFound("no open reservation \(reservation)")
        }
        if let holds = taken.shared {
            return try sharedClose(id: sharedID(reservation), holds: holds, actual: actual)
        }
        var entries: [SpentEntry] = []
        close(taken) { index, hold, cell, now in
            cell.spend(actual[index], anchor: hold.anchor, nowMs: now)
            if cell.spec.persisted, actual[index] > 0 {
                entries.append(SpentEntry(name: cell.spec.name, windowStart: hold.anchor, amount: actual[index]))
            }
        }
        return try persist(entries)
    }

    /// Releases a reservation: its amounts leave `reserved`; false if it
    /// was unknown or already closed.
    @discardableResult
    package func release(_ reservation: UInt64) -> Bool {
        guard let taken = shard(reservation).take(reservation) else { return false }
        if let holds = taken.shared {
            _ = try? sharedClose(id: sharedID(reservation), holds: holds, actual: nil)
            return true
        }
        close(taken) { _, _, _, _ in }
        return true
    }

    /// Adds to a counter's spent in its current window, with no reservation
    /// and no limit check.
    package func add(_ counter: UInt32, amount: Int64) throws -> SpentUpdate {
        guard amount >= 0 else { throw CounterStoreError.invalid("negative amount") }
        guard let slot = orderedSlots([counter])?.first?.slot else { throw CounterStoreError.invalid("unknown counter id") }
        if shared != nil { return try sharedAdd(slot, amount: amount) }
        let now = clock()
        let entry: SpentEntry? = slot.lock.withLock {
            slot.cell.roll(nowMs: now)
            let anchor = slot.cell.anchor(nowMs: now)
            slot.cell.spend(amount, anchor: anchor, nowMs: now)
            guard slot.cell.spec.persisted, amount > 0 else { return nil }
            return SpentEntry(name: slot.cell.spec.name, windowStart: anchor, amount: amount)
        }
        return try persist(entry.map { [$0] } ?? [])
    }

    /// Unholds every amount of `reservation` under its counters' locks (in
    /// id order), letting `each` do more on the way.
    private func close(_ reservation: Reservation,
                       _ each: (Int, Reservation.Hold, inout CounterCell, Int64) -> Void) {
        guard let ordered = orderedSlots(reservation.holds.map(\.counter)) else { return }
        let now = clock()
        for entry in ordered { entry.slot.lock.lock() }
        defer { for entry in ordered.reversed() { entry.slot.lock.unlock() } }
        for entry in ordered { entry.slot.cell.roll(nowMs: now) }
        for (index, hold) in reservation.holds.enumerated() {
            let slot = ordered.first { $0.id == hold.counter }!.slot
            slot.cell.unhold(hold.amount)
            each(index, hold, &slot.cell, now)
        }
    }

    private func persist(_ entries: [SpentEntry]) throws -> SpentUpdate {
        guard !entries.isEmpty, let persistence else { return SpentUpdate(durable: nil) }
        guard !isClosed else { throw CounterStoreError.unavailable("the counter store is closed") }
        return SpentUpdate(durable: try persistence.record(entries))
    }
}
