// The host's counter store (ABI 1.1): named counters with a limit and a
// window, shared by every instance and generation of every plugin, and an
// atomic reservation over several of them. See the "Counter store" section
// of tollgate_plugin.h for the model.

/// A counter's id, from `declareCounter` (stable for the process's life).
public struct CounterID: Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
}

/// An open reservation, to settle or release exactly once.
public struct ReservationID: Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
}

/// When spent goes back to zero (TOLLGATE_WINDOW_*). Calendar windows are UTC.
public enum CounterWindow: Int32, Sendable, CaseIterable {
    /// Never resets ("total").
    case none = 0
    case day = 1
    /// ISO week, from Monday 00:00.
    case week = 2
    case month = 3
    /// Sliding 60 s (rate limits).
    case minute = 4
    /// Calendar quarter (ABI 1.5).
    case quarter = 5
}

/// A counter's numbers (tollgate_type_counter_state).
public struct CounterState: Equatable, Sendable {
    public var limit: Int64
    public var spent: Int64
    public var reserved: Int64
    /// The current window as Unix seconds; `windowEnd` is 0 for `.none`.
    public var windowStart: Int64
    public var windowEnd: Int64
    /// After a refusal: ms until the refused amount could fit if nothing
    /// else changed; 0 when unknown or never.
    public var retryAfterMs: Int64

    public init(limit: Int64, spent: Int64, reserved: Int64, windowStart: Int64, windowEnd: Int64, retryAfterMs: Int64 = 0) {
        self.limit = limit
        self.spent = spent
        self.reserved = reserved
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.retryAfterMs = retryAfterMs
    }

    /// Spent and held together exceed the limit (what a forced reservation
    /// that did not fit leaves behind).
    public var isOverLimit: Bool {
        let (total, overflow) = spent.addingReportingOverflow(reserved)
        return overflow || total > limit
    }

    init(_ c: tollgate_type_counter_state) {
        self.init(limit: c.limit, spent: c.spent, reserved: c.reserved, windowStart: c.window_start,
                  windowEnd: c.window_end, retryAfterMs: c.retry_after_ms)
    }
}

/// What `reserve` decided.
public enum ReserveOutcome: Equatable, Sendable {
    /// Everything fit and is reserved.
    case reserved(ReservationID)
    /// Nothing is reserved: the item at `index` did not fit; `state` is its
    /// counter's numbers.
    case refused(index: Int, state: CounterState)
    /// Reserved with `force: true` although the item at `overIndex` (the
    /// first over its limit) did not fit.
    case forced(ReservationID, overIndex: Int)
    /// The host failed (unknown id, store unavailable, a 1.0 host).
    case failed(HostStatus)

    /// What counter_reserve / counter_reserve_capped answered.
    init(status: Int32, reservation: UInt64, refusedIndex: Int, count: Int, state: tollgate_type_counter_state) {
        switch status {
        case TOLLGATE_STATUS_OK:
            let id = ReservationID(rawValue: reservation)
            self = refusedIndex < count ? .forced(id, overIndex: refusedIndex) : .reserved(id)
        case TOLLGATE_STATUS_REFUSED:
            self = .refused(index: refusedIndex, state: CounterState(state))
        default:
            self = .failed(HostStatus(rawValue: status))
        }
    }

    /// The reservation, when one was made.
    public var reservation: ReservationID? {
        switch self {
        case .reserved(let id), .forced(let id, _): return id
        case .refused, .failed: return nil
        }
    }
}

extension PluginHost {
    /// True when the host has the counter functions (ABI 1.1 or later).
    /// Plugins that need them declare `requiredMinor: 1`, so a 1.0 host
    /// refuses them at load; this check guards direct use of the table.
    public var hasCounters: Bool {
        hostAPI.provides(\.counter_get) && hostAPI.pointee.counter_get != nil
    }

    /// Declares a counter, or finds the existing one of that name (shared
    /// by name across instances and generations: encode the scope in the
    /// name, e.g. "budget:team/acme/payments:daily"). Declaring again
    /// updates the limit, window and flags; spent and reservations stay.
    /// `limit`: Int64.max for none. `persist`: spent survives a restart.
    public func declareCounter(name: String, limit: Int64, window: CounterWindow, persist: Bool = true) throws -> CounterID {
        let operation = "declare counter \"\(name)\""
        guard hasCounters, let declare = hostAPI.pointee.counter_declare else {
            throw HostStatusError(.unavailable, operation: operation + " (the host has no counter store: ABI 1.1 needed)")
        }
        var id: UInt32 = 0
        let status = withTollgateStr(name) { str -> Int32 in
            var spec = tollgate_type_counter_spec()
            spec.struct_size = UInt32(MemoryLayout<tollgate_type_counter_spec>.size)
            spec.name = str
            spec.limit = limit
            spec.window = window.rawValue
            spec.flags = persist ? TOLLGATE_COUNTER_PERSIST : 0
            return declare(handle, &spec, &id)
        }
        guard status == TOLLGATE_STATUS_OK else { throw HostStatusError(HostStatus(rawValue: status), operation: operation) }
        return CounterID(rawValue: id)
    }

    /// Reserves every item's amount on its counter, all or nothing. With
    /// `force`, reserves even past a limit and says which counter is over.
    /// Every reservation must be settled or released (in postCall).
    public func reserve(_ items: [(CounterID, Int64)], force: Bool = false) -> ReserveOutcome {
        guard hasCounters, let reserve = hostAPI.pointee.counter_reserve else { return .failed(.unavailable) }
        let ids = items.map(\.0.rawValue)
        let amounts = items.map(\.1)
        var reservation: UInt64 = 0
        var refusedIndex = 0
        var state = tollgate_type_counter_state()
        state.struct_size = UInt32(MemoryLayout<tollgate_type_counter_state>.size)
        let status = ids.withUnsafeBufferPointer { idBuffer in
            amounts.withUnsafeBufferPointer { amountBuffer in
                reserve(handle, idBuffer.baseAddress, amountBuffer.baseAddress, items.count,
                        force ? TOLLGATE_RESERVE_FORCE : 0, &reservation, &refusedIndex, &state)
            }
        }
        return ReserveOutcome(status: status, reservation: reservation, refusedIndex: refusedIndex, count: items.count, state: state)
    }

    /// Settles a reservation: its amounts leave `reserved` and `amounts[i]`
    /// (the real figure, more or less than reserved) is added to the spent
    /// of its i-th counter. Inside a hook, the host holds the end of the
    /// response until the spend is committed.
    @discardableResult
    public func settle(_ reservation: ReservationID, amounts: [Int64]) -> HostStatus {
        guard hasCounters, let settle = hostAPI.pointee.counter_settle else { return .unavailable }
        return amounts.withUnsafeBufferPointer {
            HostStatus(rawValue: settle(handle, reservation.rawValue, $0.baseAddress, amounts.count))
        }
    }

    /// Releases a reservation: nothing is spent.
    @discardableResult
    public func release(_ reservation: ReservationID) -> HostStatus {
        guard hasCounters, let release = hostAPI.pointee.counter_release else { return .unavailable }
        return HostStatus(rawValue: release(handle, reservation.rawValue))
    }

    /// Adds to a counter's spent without a reservation or a limit check.
    @discardableResult
    public func add(_ counter: CounterID, amount: Int64) -> HostStatus {
        guard hasCounters, let add = hostAPI.pointee.counter_add else { return .unavailable }
        return HostStatus(rawValue: add(handle, counter.rawValue, amount))
    }

    /// A counter's numbers now; nil if the host answers anything but OK.
    public func counterState(_ counter: CounterID) -> CounterState? {
        guard hasCounters, let get = hostAPI.pointee.counter_get else { return nil }
        var state = tollgate_type_counter_state()
        state.struct_size = UInt32(MemoryLayout<tollgate_type_counter_state>.size)
        guard get(handle, counter.rawValue, &state) == TOLLGATE_STATUS_OK else { return nil }
        return CounterState(state)
    }
}
