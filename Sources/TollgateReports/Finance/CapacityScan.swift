import TollgateConfig
import TollgateLedger
import TollgateUnits

/// One slice of the capacity report's pass: tokens summed per UTC minute
/// for every team, org, capacity pool and the whole gateway (a "series"),
/// in one pass and bounded memory.
///
/// Sums live in a ring of the last `window` minutes seen. A minute is
/// closed — its sum added to its series' peak and, for aggregates, to the
/// per-minute values their p95 needs — once a row `window` minutes later
/// arrives. Rows come in time order in a time slice, and in the order they
/// were written in a row slice: a request is written when it ends, stamped
/// with when it arrived, so a row can be a few minutes late, never a day.
/// The minutes a neighbouring slice may share (the first and last
/// `window` minutes of the slice) are not closed here but handed back
/// (`edges`) and closed when the slices merge. A row later than `window`
/// sets `disordered`, and the report reads the range again in time order.
struct CapacityScan {
    /// Per-minute tokens of one team, org, pool or the gateway.
    struct Series {
        var keepsValues: Bool
        /// Tokens of each closed minute with traffic (aggregates only).
        var values: [Int64] = []
        var peak: Int64 = 0
        /// Unix minute of the peak (the earliest, on a tie).
        var peakMinute: Int64 = 0
        var minutes: Int64 = 0
        var tokens: Int64 = 0

        init(keepsValues: Bool) { self.keepsValues = keepsValues }

        mutating func close(minute: Int64, tokens amount: Int64) {
            if minutes == 0 || amount > peak || (amount == peak && minute < peakMinute) {
                peak = amount
                peakMinute = minute
            }
            minutes += 1
            tokens = Saturating.add(tokens, amount)
            if keepsValues { values.append(amount) }
        }

        mutating func merge(_ other: Series) {
            guard other.minutes > 0 else { return }
            if minutes == 0 || other.peak > peak || (other.peak == peak && other.peakMinute < peakMinute) {
                peak = other.peak
                peakMinute = other.peakMinute
            }
            minutes += other.minutes
            tokens = Saturating.add(tokens, other.tokens)
            values += other.values
        }
    }

    enum Name: Hashable {
        case team(String?, String?)
        case org(String?)
        case gateway
        /// Index in the configured pools.
        case pool(Int)
    }

    /// Minutes a row may arrive after a later minute's row.
    static let window: Int64 = 1_440

    /// The query: minute, org, team, provider, model, tokens. A row
    /// without tokens (a refusal) is skipped by `add`, not by a WHERE,
    /// which would have SQLite read and add the three counts twice a row.
    static let query = LedgerQuery(
        select: ["ts_us / 60000000", "org", "team", "provider", "COALESCE(model_served, model_requested)",
                 "tokens_in + tokens_cached + tokens_out"],
        ordered: true)

    /// The same through the capacity index (ledger schema 4), which holds
    /// every column it reads: the index's entries in time order, not the
    /// table's rows (a fifth of the bytes).
    static let indexedQuery: LedgerQuery = {
        var query = Self.query
        query.covering = LedgerSchema.capacityIndex
        return query
    }()

    /// `indexedQuery` when the ledger at `path` has the capacity index (a
    /// ledger the tagging plugin has not migrated to schema 4 yet has
    /// not), else `query`.
    static func query(forLedgerAt path: String) throws -> LedgerQuery {
        var objects: [String] = []
        try LedgerScan(path: path).scan(sql: LedgerSchema.objectsQuery, bindings: []) { objects.append($0.text(0) ?? "") }
        return LedgerSchema.hasCapacityIndex(existingObjects: objects) ? indexedQuery : query
    }

    let pools: [CapacityPool]
    private(set) var names: [Name] = []
    private var nameIndex: [Name: Int] = [:]
    private(set) var series: [Series] = []
    /// (org, team, provider, model) of the rows seen -> the series a row
    /// adds to: stream i's are `streamSeries[streamStarts[i]..<streamStarts[i + 1]]`
    /// (flat, so a row reads no array of its own).
    private var streamIndex = ByteKeyTable()
    private var streamSeries: [Int] = []
    private var streamStarts: [Int] = [0]
    private let key = KeyBuffer()

    /// Series-major: the sum of series s in minute m is at s * window + m mod window.
    private var ring: [Int64] = []
    private var head: Int64?
    private var first: Int64 = 0
    /// Minutes left open for the merge: minute -> sum per series.
    private(set) var edges: [Int64: [Int64]] = [:]
    /// The first and last minutes closed here.
    private(set) var closed: (from: Int64, to: Int64)?
    private(set) var disordered = false

    init(pools: [CapacityPool]) {
        self.pools = pools
        _ = id(.gateway)
        for i in pools.indices { _ = id(.pool(i)) }
    }

    mutating func add(_ row: LedgerScan.Row) {
        // As `WHERE tokens_in + tokens_cached + tokens_out > 0` would (a
        // sum past 64 bits, a float to SQLite, reads as Int64.max or .min).
        let tokens = row.int64(5)
        guard tokens > 0 else { return }
        let minute = row.int64(0)
        if head == nil {
            head = minute
            first = minute
        }
        if minute > head! { advance(to: minute) }
        key.reset()
        for column: Int32 in 1...4 { row.appendKeyInPlace(column, to: key) }
        let (stream, inserted) = streamIndex.index(of: key.bytes)
        if inserted {
            streamSeries += newStream(org: row.text(1), team: row.text(2), provider: row.text(3), model: row.text(4))
            streamStarts.append(streamSeries.count)
        }
        let w = Self.window
        let series = streamStarts[stream]..<streamStarts[stream + 1]
        if minute > head! - w {
            let slot = Int(UTCCalendar.floorMod(minute, w))
            streamSeries.withUnsafeBufferPointer { ids in
                ring.withUnsafeMutableBufferPointer { ring in
                    for k in series {
                        let i = ids[k] * Int(w) + slot
                        ring[i] = Saturating.add(ring[i], tokens)
                    }
                }
            }
        } else if minute < first + w {
            for k in series { addEdge(minute, streamSeries[k], tokens) }
        } else {
            disordered = true
        }
    }

    /// Hands the minutes still in the ring to the merge: call once, after the last row.
    mutating func finish() {
        guard let head else { return }
        for minute in (head - Self.window + 1)...head { close(minute, asEdge: true) }
        self.head = nil
    }

    private mutating func advance(to minute: Int64) {
        let h = head!
        var leaving = h - Self.window + 1
        while leaving <= min(h, minute - Self.window) {
            close(leaving, asEdge: leaving < first + Self.window)
            leaving += 1
        }
        head = minute
    }

    private mutating func close(_ minute: Int64, asEdge: Bool) {
        let w = Int(Self.window)
        let slot = Int(UTCCalendar.floorMod(minute, Self.window))
        var any = false
        for s in series.indices {
            let value = ring[s * w + slot]
            guard value != 0 else { continue }
            ring[s * w + slot] = 0
            if asEdge {
                addEdge(minute, s, value)
            } else {
                series[s].close(minute: minute, tokens: value)
                any = true
            }
        }
        if any { closed = (closed.map { min($0.from, minute) } ?? minute, closed.map { max($0.to, minute) } ?? minute) }
    }

    private mutating func addEdge(_ minute: Int64, _ s: Int, _ tokens: Int64) {
        edges[minute, default: []].withUnsafeMutableBufferPointerGrowing(to: s + 1) { $0[s] = Saturating.add($0[s], tokens) }
    }

    private mutating func id(_ name: Name) -> Int {
        if let known = nameIndex[name] { return known }
        nameIndex[name] = names.count
        names.append(name)
        if case .team = name { series.append(Series(keepsValues: false)) } else { series.append(Series(keepsValues: true)) }
        ring.append(contentsOf: repeatElement(0, count: Int(Self.window)))
        return names.count - 1
    }

    private mutating func newStream(org: String?, team: String?, provider: String?, model: String?) -> [Int] {
        var ids = [id(.team(org, team)), id(.org(org)), id(.gateway)]
        for (i, pool) in pools.enumerated() where pool.provider == provider && (pool.model == nil || pool.model == model) {
            ids.append(id(.pool(i)))
        }
        return ids
    }
}

extension Array where Element == Int64 {
    /// Pads with zeros to at least `count`, then lets `body` write.
    mutating func withUnsafeMutableBufferPointerGrowing(to count: Int, _ body: (inout UnsafeMutableBufferPointer<Int64>) -> Void) {
        if self.count < count { append(contentsOf: repeatElement(0, count: count - self.count)) }
        withUnsafeMutableBufferPointer(body)
    }
}
