import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// One counter's state, with no locks and no I/O: the window it is in, what
/// was settled there, what open reservations hold. Time comes in as Unix
/// milliseconds from the caller's clock.
///
/// An amount is "anchored" where it lands when settled: the window start for
/// calendar and `none` windows, the reservation's second for `minute`.
package struct CounterCell: Equatable {
    private(set) var spec: CounterSpec
    private(set) var windowStart: Int64
    private(set) var windowEnd: Int64
    /// Settled in the current calendar window (unused for `minute`).
    private(set) var spent: Int64 = 0
    private(set) var reserved: Int64 = 0
    private var minute = MinuteBuckets()

    /// A fresh counter in the window holding `nowMs`, with `spent` already
    /// settled there (loaded from storage after a restart).
    init(spec: CounterSpec, nowMs: Int64, spent: Int64 = 0) {
        self.spec = spec
        let bounds = spec.window.bounds(containing: UTCCalendar.floorDiv(nowMs, 1000))
        windowStart = bounds.start
        windowEnd = bounds.end
        self.spent = spec.window == .minute ? 0 : spent
    }

    /// Takes a new limit or flags. A new window kind starts over with
    /// `spentInNewWindow` (the caller loads it); reservations are kept.
    mutating func update(spec newSpec: CounterSpec, nowMs: Int64, spentInNewWindow: Int64) {
        let windowChanged = newSpec.window != spec.window
        spec = newSpec
        if windowChanged {
            let reservedKept = reserved
            self = CounterCell(spec: newSpec, nowMs: nowMs, spent: spentInNewWindow)
            reserved = reservedKept
        }
    }

    /// Moves to the window holding `nowMs`; spent of a past window is gone
    /// from memory (it stays persisted under its own window start).
    mutating func roll(nowMs: Int64) {
        guard spec.window.isCalendar else { return }
        let second = UTCCalendar.floorDiv(nowMs, 1000)
        guard second >= windowEnd || second < windowStart else { return }
        let bounds = spec.window.bounds(containing: second)
        windowStart = bounds.start
        windowEnd = bounds.end
        spent = 0
    }

    /// Where an amount reserved now will be settled.
    func anchor(nowMs: Int64) -> Int64 {
        spec.window == .minute ? UTCCalendar.floorDiv(nowMs, 1000) : windowStart
    }

    func spentNow(nowMs: Int64) -> Int64 {
        spec.window == .minute ? minute.total(now: UTCCalendar.floorDiv(nowMs, 1000)) : spent
    }

    /// spent + reserved + amount <= limit (call after `roll`); `ceiling`,
    /// when given, stands in for the limit (a reservation with ceilings).
    func fits(_ amount: Int64, nowMs: Int64, ceiling: Int64? = nil) -> Bool {
        let limit = ceiling ?? spec.limit
        if limit == Int64.max { return true }
        let used = Saturating.add(spentNow(nowMs: nowMs), reserved)
        let (total, overflow) = used.addingReportingOverflow(amount)
        return !overflow && total <= limit
    }

    mutating func hold(_ amount: Int64) { reserved = Saturating.add(reserved, amount) }

    mutating func unhold(_ amount: Int64) { reserved = max(0, reserved - amount) }

    /// Adds a settled amount where it is anchored (call after `roll`);
    /// an amount anchored in a past window does not change memory.
    mutating func spend(_ amount: Int64, anchor: Int64, nowMs: Int64) {
        switch spec.window {
        case .minute:
            minute.add(amount, at: anchor, now: UTCCalendar.floorDiv(nowMs, 1000))
        default:
            if anchor == windowStart { spent = Saturating.add(spent, amount) }
        }
    }

    /// Takes the shared store's numbers for the window of `anchor` (a
    /// shared counter's cell is a cache of them). A `minute` counter's
    /// spent becomes `buckets` when given, else one bucket at `anchor`.
    mutating func mirror(_ numbers: SharedNumbers, anchor: Int64, nowMs: Int64, buckets: [SharedBucket]? = nil) {
        reserved = numbers.reserved
        switch spec.window {
        case .minute:
            minute = MinuteBuckets()
            let now = UTCCalendar.floorDiv(nowMs, 1000)
            for bucket in buckets ?? [SharedBucket(second: anchor, amount: numbers.spent)] {
                minute.add(bucket.amount, at: bucket.second, now: now)
            }
        default:
            if anchor == windowStart { spent = numbers.spent }
        }
    }

    func state(nowMs: Int64, refusedAmount: Int64? = nil) -> CounterState {
        let spentNow = spentNow(nowMs: nowMs)
        var state = CounterState(limit: spec.limit, spent: spentNow, reserved: reserved, windowStart: windowStart,
                                 windowEnd: windowEnd, retryAfterMs: 0)
        if spec.window == .minute {
            let second = UTCCalendar.floorDiv(nowMs, 1000)
            state.windowStart = second - 59
            state.windowEnd = second + 1
        }
        if let amount = refusedAmount { state.retryAfterMs = retryAfterMs(for: amount, spent: spentNow, nowMs: nowMs) }
        return state
    }

    /// Until when `amount` could fit if nothing else changed: the window's
    /// end for calendar windows, the expiry of enough buckets for `minute`,
    /// 0 if never (more than the limit, or a `none` window).
    private func retryAfterMs(for amount: Int64, spent: Int64, nowMs: Int64) -> Int64 {
        guard amount <= spec.limit else { return 0 }
        switch spec.window {
        case .none:
            return 0
        case .minute:
            let excess = Saturating.add(Saturating.add(spent, reserved), amount) - spec.limit
            guard Saturating.add(reserved, amount) <= spec.limit else { return 0 }
            return minute.millisecondsUntilFreed(excess, nowMs: nowMs)
        case .day, .week, .month, .quarter:
            return max(1, windowEnd * 1000 - nowMs)
        }
    }
}
