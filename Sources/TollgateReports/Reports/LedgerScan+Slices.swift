import CSQLite
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// What a report reads from the ledger over a time range: its columns,
/// joins and filter. `LedgerScan` adds the range and the slice.
package struct LedgerQuery: Sendable {
    /// Where the rows come from: the ledger itself (time in `ts_us`, µs),
    /// or its daily rollup (`ledger_daily`, time in `day`, days since
    /// 1970-01-01; a row sums `requests` ledger rows).
    package enum Source: Sendable, Equatable {
        case ledger, daily

        var table: String { self == .ledger ? "ledger" : "ledger_daily" }
        var timeIndex: String { self == .ledger ? "ledger_ts" : "ledger_daily_key" }
        var time: String { self == .ledger ? "ts_us" : "day" }
        /// Time slices start on multiples of this (whole minutes of the
        /// ledger, so no minute straddles two slices; days of the rollup).
        var sliceUnit: Int64 { self == .ledger ? 60_000_000 : 1 }
    }

    package var select: [String]
    package var joins: [String] = []
    package var filter: String? = nil
    /// Within a time slice, rows in `ts_us` order (the index's own order,
    /// so SQLite does not sort).
    package var ordered = false
    package var source: Source = .ledger
    /// An index of the ledger whose first column is `ts_us` and which holds
    /// every column the query reads (`LedgerSchema.capacityIndex`): read
    /// through it, by time, whatever the range's size — a narrow b-tree in
    /// time order, where the table's rows are wide.
    package var covering: String? = nil

    package init(select: [String], joins: [String] = [], filter: String? = nil, ordered: Bool = false,
                 source: Source = .ledger, covering: String? = nil) {
        self.select = select
        self.joins = joins
        self.filter = filter
        self.ordered = ordered
        self.source = source
        self.covering = covering
    }

    /// One slice's SQL. By time: `?1`/`?2` bound the time, read through the
    /// time index in time order. By rows: `?1`/`?2` bound the rowid,
    /// `?3`/`?4` the time, read in table order.
    func sql(_ kind: LedgerScan.Plan.Kind) -> String {
        let table = source.table, time = source.time
        var text = "SELECT " + select.joined(separator: ", ") + " FROM " + table
        text += kind == .time ? " INDEXED BY " + (covering ?? source.timeIndex) : " NOT INDEXED"
        for join in joins { text += " " + join }
        text += kind == .time ? " WHERE \(time) >= ?1 AND \(time) < ?2"
            : " WHERE \(table).rowid >= ?1 AND \(table).rowid < ?2 AND \(time) >= ?3 AND \(time) < ?4"
        if let filter { text += " AND (" + filter + ")" }
        if kind == .time, ordered { text += " ORDER BY " + time }
        return text
    }
}

extension LedgerScan {
    /// How a range is read. SQLite reads a row through the `ts_us` index
    /// about half as fast as in table order (each index entry costs a
    /// look-up in the table), so a range that holds most of the ledger is
    /// read in table order, sliced by rowid, every row's time checked; a
    /// narrower one through the index, sliced by time. A query with a
    /// covering index is read through it, by time, whatever the range.
    package struct Plan {
        package enum Kind: Equatable, Sendable { case time, rows }
        var kind: Kind
        /// `?1`/`?2` of each slice: times (minute-aligned) or rowids.
        var slices: [(Int64, Int64)]
        var range: LedgerTimeRange
    }

    /// Cores to read with.
    static var cores: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Connections on several threads need an SQLite built thread-safe
    /// (every distribution's is); a single-threaded build reads in one slice.
    static let parallelReadsAllowed = sqlite3_threadsafe() != 0

    /// Four index look-ups: the first and last rows of the range (by time)
    /// and of the table (by rowid). The rows between the range's first and
    /// last rowids estimate its size (the ledger is written in about time
    /// order); the estimate only picks the plan, never what is counted.
    func plan(_ range: LedgerTimeRange, slices requested: Int?, prefer: Plan.Kind? = nil,
              source: LedgerQuery.Source = .ledger, covered: Bool = false) throws -> Plan {
        var first: (rowid: Int64, ts: Int64)?
        var last: (rowid: Int64, ts: Int64)?
        let table = source.table, time = source.time
        let edge = "SELECT rowid, \(time) FROM \(table) INDEXED BY \(source.timeIndex) WHERE \(time) >= ?1 AND \(time) < ?2 "
            + "ORDER BY \(time)"
        try scan(sql: edge + " LIMIT 1", bindings: [range.from, range.to]) { first = ($0.int64(0), $0.int64(1)) }
        try scan(sql: edge + " DESC LIMIT 1", bindings: [range.from, range.to]) { last = ($0.int64(0), $0.int64(1)) }
        guard let first, let last else { return Plan(kind: .time, slices: [], range: range) }
        var lowest: Int64 = 0
        var highest: Int64 = 0
        try scan(sql: "SELECT min(rowid) FROM \(table)", bindings: []) { lowest = $0.int64(0) }
        try scan(sql: "SELECT max(rowid) FROM \(table)", bindings: []) { highest = $0.int64(0) }
        let estimated = (last.rowid - first.rowid).magnitude + 1
        let total = UInt64(max(0, highest - lowest)) + 1
        // Two slices a core for the ledger (a slice waiting on the disk
        // leaves its core to the other); one a core for the rollup, whose
        // groups are nearly its rows, so each slice more is a larger merge.
        var count = requested ?? (estimated >= 200_000 ? min(16, Self.cores * (source == .ledger ? 2 : 1)) : 1)
        if !Self.parallelReadsAllowed { count = 1 }
        let kind = prefer ?? (!covered && estimated * 2 >= total ? .rows : .time)
        if kind == .rows {
            return Plan(kind: .rows, slices: Self.split(from: lowest, to: highest + 1, count: count), range: range)
        }
        let clamped = LedgerTimeRange(from: first.ts, to: last.ts + 1)
        if covered, source == .ledger, count > 1 {
            return Plan(kind: .time, slices: try rowBalancedSlices(of: clamped, rowids: (first.rowid, last.rowid), count: count),
                        range: range)
        }
        return Plan(kind: .time, slices: Self.slices(of: clamped, count: count, unit: source.sliceUnit).map { ($0.from, $0.to) },
                    range: range)
    }

    /// [from, to) cut into at most `count` contiguous non-empty parts.
    static func split(from: Int64, to: Int64, count: Int) -> [(Int64, Int64)] {
        guard to > from else { return [] }
        let length = UInt64(to - from)
        let parts = UInt64(min(max(1, count), Int(min(length, 1 << 20))))
        return (0..<parts).map { i in
            (from + Int64(length / parts * i + min(i, length % parts)),
             from + Int64(length / parts * (i + 1) + min(i + 1, length % parts)))
        }
    }

    /// Cuts `range` into at most `count` contiguous slices that start on
    /// multiples of `unit` (whole UTC minutes of `ts_us` by default), so no
    /// minute straddles two time slices.
    static func slices(of range: LedgerTimeRange, count: Int, unit minute: Int64 = 60_000_000) -> [LedgerTimeRange] {
        guard range.to > range.from else { return [] }
        let length = range.to.subtractingReportingOverflow(range.from)
        guard !length.overflow else { return [range] }
        let count = Int64(max(1, count))
        var cuts: [Int64] = [range.from]
        for i in 1..<count {
            // A 128-bit product, so a range of any length cannot overflow.
            let offset = count.dividingFullWidth(length.partialValue.multipliedFullWidth(by: i)).quotient
            var cut = range.from + offset
            cut -= ((cut % minute) + minute) % minute
            if cut > cuts[cuts.count - 1], cut < range.to { cuts.append(cut) }
        }
        cuts.append(range.to)
        return (0..<cuts.count - 1).map { LedgerTimeRange(from: cuts[$0], to: cuts[$0 + 1]) }
    }

    /// Time slices of `range` (whole minutes, as `slices(of:)`) holding
    /// about as many rows each, for a whole ledger read through a covering
    /// index: cut at the times of evenly spaced rowids between the range's
    /// first and last rows (the ledger is written in about time order, so
    /// rowids count rows). Equal spans of time are not equal work when the
    /// traffic grows over the range: the core given the last slice of a
    /// year finishes long after the other. The cuts only balance the work;
    /// the slices cover `range` exactly whatever the rowids say.
    func rowBalancedSlices(of range: LedgerTimeRange, rowids: (Int64, Int64), count: Int) throws -> [(Int64, Int64)] {
        let minute: Int64 = 60_000_000
        let low = min(rowids.0, rowids.1)
        let span = max(rowids.0, rowids.1).subtractingReportingOverflow(low)
        guard !span.overflow else { return Self.slices(of: range, count: count).map { ($0.from, $0.to) } }
        var cuts: Set<Int64> = []
        for i in 1..<Int64(max(1, count)) {
            // A 128-bit product, as in `slices(of:)`.
            let rowid = low + Int64(count).dividingFullWidth(span.partialValue.multipliedFullWidth(by: i)).quotient
            try scan(sql: "SELECT ts_us FROM ledger WHERE rowid >= ?1 ORDER BY rowid LIMIT 1", bindings: [rowid]) { row in
                let ts = row.int64(0)
                let cut = ts.subtractingReportingOverflow(((ts % minute) + minute) % minute)
                if !cut.overflow, cut.partialValue > range.from, cut.partialValue < range.to { cuts.insert(cut.partialValue) }
            }
        }
        let bounds = [range.from] + cuts.sorted() + [range.to]
        return zip(bounds, bounds.dropFirst()).map { ($0, $1) }
    }

    /// Reads `query` over `range`, each slice of the plan on its own
    /// read-only connection, in parallel. Each slice folds its rows into
    /// its own state (from `makeState`); the states come back in slice
    /// order (at least one, even for an empty range). Within a time slice
    /// rows come in time order; within a row slice, in the order they were
    /// written. A ledger the gateway is writing is read as of when each
    /// slice's connection starts: a row lands in exactly one slice, so
    /// nothing counts twice.
    func scanSlices<State>(_ query: LedgerQuery, range: LedgerTimeRange, slices: Int? = nil, prefer: Plan.Kind? = nil,
                           makeState: () -> State, row: (inout State, Row) throws -> Void) throws -> [State] {
        let plan = try self.plan(range, slices: slices, prefer: prefer, source: query.source, covered: query.covering != nil)
        let sql = query.sql(plan.kind)
        func bindings(_ slice: (Int64, Int64)) -> [Int64] {
            plan.kind == .time ? [slice.0, slice.1] : [slice.0, slice.1, range.from, range.to]
        }
        guard plan.slices.count > 1 else {
            var state = makeState()
            if let only = plan.slices.first { try scan(sql: sql, bindings: bindings(only)) { try row(&state, $0) } }
            return [state]
        }
        // Each slice writes only its own slot; concurrentPerform returns
        // once every slice is done.
        let states = UnsafeMutableBufferPointer<State?>.allocate(capacity: plan.slices.count)
        states.initialize(repeating: nil)
        let errors = UnsafeMutableBufferPointer<Error?>.allocate(capacity: plan.slices.count)
        errors.initialize(repeating: nil)
        defer {
            states.deinitialize()
            states.deallocate()
            errors.deinitialize()
            errors.deallocate()
        }
        DispatchQueue.concurrentPerform(iterations: plan.slices.count) { i in
            var state = makeState()
            do {
                try scan(sql: sql, bindings: bindings(plan.slices[i])) { try row(&state, $0) }
                states[i] = state
            } catch {
                errors[i] = error
            }
        }
        if let error = errors.lazy.compactMap({ $0 }).first { throw error }
        return states.map { $0! }
    }
}
