import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension LedgerScan {
    /// Cores to read with.
    static var cores: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Cuts `range` into at most `count` contiguous slices that start on
    /// whole UTC minutes, so no minute straddles two slices (the capacity
    /// report closes a minute inside one slice).
    static func slices(of range: LedgerTimeRange, count: Int) -> [LedgerTimeRange] {
        guard range.to > range.from else { return [] }
        let minute: Int64 = 60_000_000
        let length = range.to - range.from
        let count = Int64(max(1, count))
        var cuts: [Int64] = [range.from]
        for i in 1..<count {
            // A 128-bit product, so a range of any length cannot overflow.
            let (high, low) = length.multipliedFullWidth(by: i)
            let offset = count.dividingFullWidth((high, low)).quotient
            var cut = range.from + offset
            cut -= ((cut % minute) + minute) % minute
            if cut > cuts[cuts.count - 1], cut < range.to { cuts.append(cut) }
        }
        cuts.append(range.to)
        return (0..<cuts.count - 1).map { LedgerTimeRange(from: cuts[$0], to: cuts[$0 + 1]) }
    }

    /// How many slices a range is read in by default: one per core (two
    /// per core, so a slice that is denser than the others does not leave
    /// a core idle) for a day or more, else one.
    static func defaultSlices(for range: LedgerTimeRange) -> Int {
        range.to - range.from >= 86_400_000_000 ? min(16, cores * 2) : 1
    }

    /// Runs `sql` over each time slice of `range` on its own read-only
    /// connection, in parallel: `?1` and `?2` are bound to the slice's
    /// bounds, `bindings` to `?3, ?4, ...`. Each slice folds its rows into
    /// its own state (from `makeState`); the states come back in time order
    /// (at least one, even for an empty range).
    func scanSlices<State>(sql: String, range: LedgerTimeRange, bindings: [Int64] = [], slices: Int? = nil,
                           makeState: () -> State, row: (inout State, Row) throws -> Void) throws -> [State] {
        let parts = Self.slices(of: range, count: slices ?? Self.defaultSlices(for: range))
        guard parts.count > 1 else {
            var state = makeState()
            if let only = parts.first {
                try scan(sql: sql, bindings: [only.from, only.to] + bindings) { try row(&state, $0) }
            }
            return [state]
        }
        // Each slice writes only its own slot; concurrentPerform returns
        // once every slice is done.
        let states = UnsafeMutableBufferPointer<State?>.allocate(capacity: parts.count)
        states.initialize(repeating: nil)
        let errors = UnsafeMutableBufferPointer<Error?>.allocate(capacity: parts.count)
        errors.initialize(repeating: nil)
        defer {
            states.deinitialize()
            states.deallocate()
            errors.deinitialize()
            errors.deallocate()
        }
        DispatchQueue.concurrentPerform(iterations: parts.count) { i in
            var state = makeState()
            do {
                try scan(sql: sql, bindings: [parts[i].from, parts[i].to] + bindings) { try row(&state, $0) }
                states[i] = state
            } catch {
                errors[i] = error
            }
        }
        if let error = errors.lazy.compactMap({ $0 }).first { throw error }
        return states.map { $0! }
    }

    /// The ledger's first and last `ts_us` as a range (nil when it has no
    /// row): two index look-ups, for a report without bounds.
    func bounds() throws -> LedgerTimeRange? {
        var first: Int64?
        var last: Int64?
        try scan(sql: "SELECT min(ts_us) FROM ledger", bindings: []) { if !$0.isNull(0) { first = $0.int64(0) } }
        try scan(sql: "SELECT max(ts_us) FROM ledger", bindings: []) { if !$0.isNull(0) { last = $0.int64(0) } }
        guard let first, let last else { return nil }
        return LedgerTimeRange(from: first, to: last + 1)
    }
}
