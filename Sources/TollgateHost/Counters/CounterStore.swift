import Atomics
import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

package enum CounterStoreError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    case notFound(String)
    case unavailable(String)
    case full

    package var description: String {
        switch self {
        case .invalid(let why): return "invalid counter request: \(why)"
        case .notFound(let why): return why
        case .unavailable(let why): return "counter store unavailable: \(why)"
        case .full: return "too many counters (at most \(SlotTable.capacity))"
        }
    }
}

/// The host's counter store: named counters with a limit and a window, and
/// atomic reservations over several of them. Thread-safe without a global
/// lock on the request path: each counter has its own lock, a reservation
/// takes the locks of its counters in id order (so two reservations never
/// wait on each other in a cycle), and open reservations live in sharded
/// tables. Counter lookups by id are lock-free.
///
/// Time comes from `clock` (Unix milliseconds), so tests can move it.
/// Spent is handed to `persistence` (if any) on every settle and add;
/// reservations stay in memory only.
package final class CounterStore: @unchecked Sendable {
    package typealias Clock = @Sendable () -> Int64

    package static let systemClock: Clock = { MonotonicClock.wallMicros() / 1000 }

    let clock: Clock
    package let persistence: SpentPersistence?
    /// Set when several gateways share the counters (PostgreSQL): every
    /// reserve and close is decided there, and the cells are a cache of its
    /// numbers (CounterStore+Shared.swift).
    package let shared: SharedCounterBackend?
    let outbox: SharedCloseOutbox?
    private let slots = SlotTable()
    private let registryLock = NIOLock()
    private var idsByName: [String: UInt32] = [:]
    private let nextReservation = ManagedAtomic<UInt64>(1)
    private let shards: [ReservationShard] = (0..<ReservationShard.count).map { _ in ReservationShard() }
    private let closed = ManagedAtomic<Bool>(false)

    package init(clock: @escaping Clock = CounterStore.systemClock, persistence: SpentPersistence? = nil) {
        self.clock = clock
        self.persistence = persistence
        shared = nil
        outbox = nil
    }

    /// A store whose counters live in `shared`; closes the shared store
    /// cannot take wait in `outbox` (retried by `refreshShared`).
    package init(clock: @escaping Clock = CounterStore.systemClock, shared: SharedCounterBackend, outbox: SharedCloseOutbox) {
        self.clock = clock
        persistence = nil
        self.shared = shared
        self.outbox = outbox
    }

    // MARK: declare and read

    /// Declares a counter or finds the one of that name (ids are stable for
    /// the life of the process). Declaring again updates the limit, window
    /// and flags and keeps spent and reservations. A persisted counter new
    /// to this process starts with the spent stored for its current window.
    package func declare(_ spec: CounterSpec) throws -> UInt32 {
        guard !spec.name.isEmpty else { throw CounterStoreError.invalid("empty counter name") }
        guard spec.limit >= 0 else { throw CounterStoreError.invalid("negative limit \(spec.limit) for \(spec.name)") }
        return try registryLock.withLock {
            let now = clock()
            if let id = idsByName[spec.name], let slot = slots.slot(id) {
                let current = slot.lock.withLock { slot.cell.spec }
                var loaded: Int64 = 0
                if spec.window != current.window, spec.persisted {
                    let start = spec.window.bounds(containing: UTCCalendar.floorDiv(now, 1000)).start
                    loaded = try persistence?.loadSpent(name: spec.name, windowStart: start) ?? 0
                }
                slot.lock.withLock { slot.cell.update(spec: spec, nowMs: now, spentInNewWindow: loaded) }
                return id
            }
            var loaded: Int64 = 0
            if spec.persisted, let persistence {
                let start = spec.window.bounds(containing: UTCCalendar.floorDiv(now, 1000)).start
                loaded = try persistence.loadSpent(name: spec.name, windowStart: start)
            }
            guard let id = slots.append(CounterSlot(cell: CounterCell(spec: spec, nowMs: now, spent: loaded))) else {
                throw CounterStoreError.full
            }
            idsByName[spec.name] = id
            return id
        }
    }

    package func id(named name: String) -> UInt32? { registryLock.withLock { idsByName[name] } }

    package func spec(_ id: UInt32) -> CounterSpec? {
        guard let slot = slots.slot(id) else { return nil }
        return slot.lock.withLock { slot.cell.spec }
    }

    /// A counter's numbers now; nil for an unknown id. Shared counters:
    /// as of the last round trip that touched the counter, or the last
    /// refresh (at most `refreshShared`'s interval old).
    package func state(_ id: UInt32) -> CounterState? {
        guard let slot = slots.slot(id) else { return nil }
        let now = clock()
        return slot.lock.withLock {
            slot.withCell { cell in
                cell.roll(nowMs: now)
                return cell.state(nowMs: now)
            }
        }
    }

    /// Every declared counter's id, spec and cell, one at a time under its
    /// lock.
    func forEachSlot(_ body: (UInt32, CounterSlot) -> Void) {
        let ids = registryLock.withLock { Array(idsByName.values) }
        for id in ids.sorted() { if let slot = slots.slot(id) { body(id, slot) } }
    }

    /// Every counter whose name starts with `prefix`, by name.
    package func counters(withPrefix prefix: String) -> [(id: UInt32, spec: CounterSpec, state: CounterState)] {
        let ids = registryLock.withLock { idsByName.filter { $0.key.hasPrefix(prefix) }.map(\.value) }
        return ids.compactMap { id in
            guard let slot = slots.slot(id) else { return nil }
            let now = clock()
            return slot.lock.withLock {
                slot.cell.roll(nowMs: now)
                return (id, slot.cell.spec, slot.cell.state(nowMs: now))
            }
        }.sorted { $0.spec.name < $1.spec.name }
    }

    /// Reservations not yet settled or released.
    package var openReservations: Int { shards.reduce(0) { $0 + $1.count } }

    /// Stops persistence (committing what is queued). Settles after this
    /// still update memory but throw `.unavailable`.
    package func close() {
        if closed.exchange(true, ordering: .acquiringAndReleasing) { return }
        persistence?.close()
        shared?.leave()
    }

    // MARK: internals shared by the operations

    /// The slots of `ids`, deduplicated and in id order (the lock order);
    /// nil if an id is unknown.
    func slot(_ id: UInt32) -> CounterSlot? { slots.slot(id) }

    func orderedSlots(_ ids: [UInt32]) -> [(id: UInt32, slot: CounterSlot)]? {
        var unique = ids
        unique.sort()
        var result: [(id: UInt32, slot: CounterSlot)] = []
        result.reserveCapacity(unique.count)
        for id in unique where result.last?.id != id {
            guard let slot = slots.slot(id) else { return nil }
            result.append((id, slot))
        }
        return result
    }

    func shard(_ reservation: UInt64) -> ReservationShard { shards[Int(reservation % UInt64(ReservationShard.count))] }

    func newReservationID() -> UInt64 { nextReservation.loadThenWrappingIncrement(ordering: .relaxed) }

    var isClosed: Bool { closed.load(ordering: .relaxed) }
}

/// One counter and its lock.
package final class CounterSlot: @unchecked Sendable {
    let lock = NIOLock()
    var cell: CounterCell

    init(cell: CounterCell) { self.cell = cell }

    /// The cell in place: reading `cell` to call a method on it copies the
    /// struct (its spec and minute buckets), which the request path did
    /// several times per reservation.
    func withCell<R>(_ body: (inout CounterCell) -> R) -> R { body(&cell) }
}

/// Counter slots by id (1-based), appended under the registry lock and read
/// without a lock: pages are allocated once and never move, and `count` is
/// published with release ordering after the slot is in place.
package final class SlotTable: @unchecked Sendable {
    static let pageSize = 1024
    static let pageCount = 256
    static let capacity = pageSize * pageCount

    private let pages: UnsafeMutablePointer<UnsafeMutablePointer<Unmanaged<CounterSlot>>?>
    private let count = ManagedAtomic<Int>(0)

    init() {
        pages = .allocate(capacity: Self.pageCount)
        pages.initialize(repeating: nil, count: Self.pageCount)
    }

    deinit {
        let n = count.load(ordering: .acquiring)
        for i in 0..<n { pages[i / Self.pageSize]![i % Self.pageSize].release() }
        for p in 0..<Self.pageCount { pages[p]?.deallocate() }
        pages.deallocate()
    }

    func slot(_ id: UInt32) -> CounterSlot? {
        let i = Int(id) - 1
        guard i >= 0, i < count.load(ordering: .acquiring) else { return nil }
        return pages[i / Self.pageSize]![i % Self.pageSize].takeUnretainedValue()
    }

    /// Call under the registry lock (one appender at a time).
    func append(_ slot: CounterSlot) -> UInt32? {
        let i = count.load(ordering: .relaxed)
        guard i < Self.capacity else { return nil }
        if pages[i / Self.pageSize] == nil {
            pages[i / Self.pageSize] = .allocate(capacity: Self.pageSize)
        }
        (pages[i / Self.pageSize]! + i % Self.pageSize).initialize(to: Unmanaged.passRetained(slot))
        count.store(i + 1, ordering: .releasing)
        return UInt32(i + 1)
    }
}
