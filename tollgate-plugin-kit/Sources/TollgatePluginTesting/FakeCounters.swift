import TollgateABI
import TollgatePluginKit

/// The fake host's counter store: the semantics of the header's "Counter
/// store" section, in memory, behind one lock, with a clock the test sets
/// (`now`, Unix seconds). Small on purpose: calendar windows (UTC), `none`,
/// and `minute` as the 60 whole seconds ending now; settle lands in the
/// window the reservation was made in.
public final class FakeCounters: @unchecked Sendable {
    public struct Counter: Equatable, Sendable {
        public var name: String
        public var limit: Int64
        public var window: CounterWindow
        public var persist: Bool
        /// Settled amounts by window start (by second for `minute`).
        public var spentByWindow: [Int64: Int64] = [:]
        public var reserved: Int64 = 0
    }

    struct Hold { var counter: Int; var amount: Int64; var anchor: Int64 }

    struct Book {
        var now: Int64 = 1_767_225_600  // 2026-01-01T00:00:00Z, the FakeCall default
        var counters: [Counter] = []
        var open: [UInt64: [Hold]] = [:]
        var nextReservation: UInt64 = 1
        var settled: [UInt64] = []
        var released: [UInt64] = []
    }

    let book = Locked(Book())

    /// The clock, in Unix seconds. Move it to cross a window edge.
    public var now: Int64 {
        get { book.withLock { $0.now } }
        set { book.withLock { $0.now = newValue } }
    }

    public var counters: [Counter] { book.withLock { $0.counters } }
    public func counter(named name: String) -> Counter? { counters.first { $0.name == name } }
    /// Reservations not yet settled or released.
    public var openReservations: Int { book.withLock { $0.open.count } }
    public var settledReservations: [UInt64] { book.withLock { $0.settled } }
    public var releasedReservations: [UInt64] { book.withLock { $0.released } }

    /// The counter's numbers now, as counter_get answers.
    public func state(named name: String) -> CounterState? {
        book.withLock { b in b.counters.firstIndex { $0.name == name }.map { Self.state(b, $0) } }
    }

    static func bounds(_ window: CounterWindow, _ now: Int64) -> (start: Int64, end: Int64) {
        switch window {
        case .none: return (0, 0)
        case .minute: return (now - 59, now + 1)
        case .day: return UTCCalendar.bounds(of: .day, containing: now)
        case .week: return UTCCalendar.bounds(of: .week, containing: now)
        case .month: return UTCCalendar.bounds(of: .month, containing: now)
        case .quarter: return UTCCalendar.bounds(of: .quarter, containing: now)
        }
    }

    static func spent(_ c: Counter, _ now: Int64) -> Int64 {
        if c.window == .minute { return c.spentByWindow.filter { $0.key > now - 60 && $0.key <= now }.values.reduce(0, +) }
        return c.spentByWindow[bounds(c.window, now).start] ?? 0
    }

    static func state(_ b: Book, _ i: Int, refused amount: Int64? = nil) -> CounterState {
        let c = b.counters[i]
        let w = bounds(c.window, b.now)
        var retry: Int64 = 0
        if let amount, amount <= c.limit, c.window != .none, c.window != .minute { retry = (w.end - b.now) * 1000 }
        return CounterState(limit: c.limit, spent: spent(c, b.now), reserved: c.reserved, windowStart: w.start,
                            windowEnd: w.end, retryAfterMs: retry)
    }

    // MARK: The host functions

    func declare(_ spec: tollgate_type_counter_spec) -> (HostStatus, UInt32) {
        guard Int(spec.struct_size) >= MemoryLayout<tollgate_type_counter_spec>.size,
              let name = FakeHostTable.string(spec.name), !name.isEmpty, spec.limit >= 0,
              let window = CounterWindow(rawValue: spec.window) else { return (.invalidArgument, 0) }
        let persist = spec.flags & TOLLGATE_COUNTER_PERSIST != 0
        return book.withLock { b in
            if let i = b.counters.firstIndex(where: { $0.name == name }) {
                b.counters[i].limit = spec.limit
                b.counters[i].window = window
                b.counters[i].persist = persist
                return (.ok, UInt32(i + 1))
            }
            b.counters.append(Counter(name: name, limit: spec.limit, window: window, persist: persist))
            return (.ok, UInt32(b.counters.count))
        }
    }

    enum Reserved { case ok(UInt64, refusedIndex: Int), refused(Int, CounterState), invalid }

    /// `ceilings[i]` (ABI 1.5) takes the place of item i's counter limit.
    func reserve(_ items: [(Int, Int64)], ceilings: [Int64]? = nil, force: Bool) -> Reserved {
        book.withLock { b in
            guard !items.isEmpty, items.allSatisfy({ $0.0 >= 0 && $0.0 < b.counters.count && $0.1 >= 0 }) else { return .invalid }
            var over: Int?
            for (index, item) in items.enumerated() {
                let c = b.counters[item.0]
                let limit = ceilings?[index] ?? c.limit
                let asked = items.filter { $0.0 == item.0 }.reduce(Int64(0)) { $0 + $1.1 }
                if limit != Int64.max, Self.spent(c, b.now) + c.reserved + asked > limit {
                    over = index
                    break
                }
            }
            if let over, !force {
                let asked = items.filter { $0.0 == items[over].0 }.reduce(Int64(0)) { $0 + $1.1 }
                return .refused(over, Self.state(b, items[over].0, refused: asked))
            }
            var holds: [Hold] = []
            for item in items {
                b.counters[item.0].reserved += item.1
                let w = b.counters[item.0].window
                holds.append(Hold(counter: item.0, amount: item.1, anchor: w == .minute ? b.now : Self.bounds(w, b.now).start))
            }
            let id = b.nextReservation
            b.nextReservation += 1
            b.open[id] = holds
            return .ok(id, refusedIndex: over ?? items.count)
        }
    }

    func settle(_ id: UInt64, _ amounts: [Int64]?) -> HostStatus {
        book.withLock { b in
            guard let holds = b.open[id] else { return .notFound }
            if let amounts, amounts.count != holds.count || amounts.contains(where: { $0 < 0 }) { return .invalidArgument }
            b.open[id] = nil
            for (i, hold) in holds.enumerated() {
                b.counters[hold.counter].reserved -= hold.amount
                if let amounts { b.counters[hold.counter].spentByWindow[hold.anchor, default: 0] += amounts[i] }
            }
            if amounts == nil { b.released.append(id) } else { b.settled.append(id) }
            return .ok
        }
    }

    func add(_ counter: Int, _ amount: Int64) -> HostStatus {
        book.withLock { b in
            guard counter >= 0, counter < b.counters.count, amount >= 0 else { return .invalidArgument }
            let w = b.counters[counter].window
            b.counters[counter].spentByWindow[w == .minute ? b.now : Self.bounds(w, b.now).start, default: 0] += amount
            return .ok
        }
    }

    func get(_ counter: Int) -> CounterState? {
        book.withLock { b in counter >= 0 && counter < b.counters.count ? Self.state(b, counter) : nil }
    }
}

extension FakeHostTable {
    /// The counter functions of the fake table (ABI 1.1).
    static func installCounters(_ api: inout tollgate_type_host_api) {
        api.counter_declare = { host, spec, idOut in
            guard let host = FakeHostTable.host(host), let spec else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            if let refusal = HostFunction.counterDeclare.refusal(in: host.phase, present: idOut != nil) { return refusal }
            guard let idOut else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            let (status, id) = host.counters.declare(spec.pointee)
            if status.isOK { idOut.pointee = id }
            return status.rawValue
        }
        api.counter_reserve = { host, ids, amounts, count, flags, reservationOut, refusedIndexOut, stateOut in
            FakeHostTable.reserveCall(.counterReserve, host, ids, amounts, nil, count, flags, reservationOut, refusedIndexOut, stateOut)
        }
        api.counter_reserve_capped = { host, ids, amounts, ceilings, count, flags, reservationOut, refusedIndexOut, stateOut in
            guard ceilings != nil else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            return FakeHostTable.reserveCall(.counterReserveCapped, host, ids, amounts, ceilings, count, flags, reservationOut, refusedIndexOut,
                           stateOut)
        }
        api.counter_settle = { host, reservation, amounts, count in
            guard let host = FakeHostTable.host(host), count == 0 || amounts != nil else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            return host.counters.settle(reservation, (0..<count).map { amounts![$0] }).rawValue
        }
        api.counter_release = { host, reservation in
            guard let host = FakeHostTable.host(host) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            return host.counters.settle(reservation, nil).rawValue
        }
        api.counter_add = { host, counter, amount in
            guard let host = FakeHostTable.host(host) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            return host.counters.add(Int(counter) - 1, amount).rawValue
        }
        api.counter_get = { host, counter, out in
            guard let host = FakeHostTable.host(host) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            if let refusal = HostFunction.counterGet.refusal(in: host.phase, present: out != nil) { return refusal }
            guard let out, Int(out.pointee.struct_size) >= MemoryLayout<tollgate_type_counter_state>.size,
                  let state = host.counters.get(Int(counter) - 1) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            out.pointee.limit = state.limit
            out.pointee.spent = state.spent
            out.pointee.reserved = state.reserved
            out.pointee.window_start = state.windowStart
            out.pointee.window_end = state.windowEnd
            out.pointee.retry_after_ms = 0
            return TOLLGATE_STATUS_OK
        }
    }

    /// counter_reserve and, with ceilings, counter_reserve_capped.
    static func reserveCall(_ function: HostFunction, _ host: OpaquePointer?, _ ids: UnsafePointer<UInt32>?,
                                _ amounts: UnsafePointer<Int64>?, _ ceilings: UnsafePointer<Int64>?, _ count: Int,
                                _ flags: UInt32, _ reservationOut: UnsafeMutablePointer<UInt64>?,
                                _ refusedIndexOut: UnsafeMutablePointer<Int>?,
                                _ stateOut: UnsafeMutablePointer<tollgate_type_counter_state>?) -> tollgate_type_status {
            guard let host = FakeHostTable.host(host), count > 0, let ids, let amounts else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            if let refusal = function.refusal(in: host.phase, present: reservationOut != nil, refusedIndexOut != nil) {
                return refusal
            }
            guard let reservationOut, let refusedIndexOut else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            let items = (0..<count).map { (Int(ids[$0]) - 1, amounts[$0]) }
            let caps = ceilings.map { c in (0..<count).map { c[$0] } }
            switch host.counters.reserve(items, ceilings: caps, force: flags & TOLLGATE_RESERVE_FORCE != 0) {
            case .invalid: return TOLLGATE_STATUS_INVALID_ARGUMENT
            case .ok(let id, let refused):
                reservationOut.pointee = id
                refusedIndexOut.pointee = refused
                return TOLLGATE_STATUS_OK
            case .refused(let index, let state):
                refusedIndexOut.pointee = index
                if let stateOut, Int(stateOut.pointee.struct_size) >= MemoryLayout<tollgate_type_counter_state>.size {
                    stateOut.pointee.limit = state.limit
                    stateOut.pointee.spent = state.spent
                    stateOut.pointee.reserved = state.reserved
                    stateOut.pointee.window_start = state.windowStart
                    stateOut.pointee.window_end = state.windowEnd
                    stateOut.pointee.retry_after_ms = state.retryAfterMs
                }
                return TOLLGATE_STATUS_REFUSED
            }
        }
}
