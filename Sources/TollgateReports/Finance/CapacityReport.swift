import TollgateConfig
import TollgateUnits

/// `tollgate report capacity`: how much throughput the traffic needed.
/// Tokens per minute (TPM) are the tokens of the ledger's rows per UTC
/// minute of `ts_us` — input (cached included) plus output, as the
/// ratelimit plugin and the providers count them. Per team: its peak
/// minute. Per org and for the whole gateway: the peak and the 95th
/// percentile of the **aggregate** TPM against the sum of the teams'
/// peaks — peaks rarely coincide, so throughput sized to the sum of peaks
/// is mostly idle; size it to the aggregate. Per configured capacity pool:
/// the aggregate of the traffic it serves (its provider, and model if it
/// names one) against its `tpm`.
///
/// Percentiles are nearest-rank over the minutes **with traffic** (of that
/// org, pool or the gateway): quiet minutes would pull the p95 toward
/// zero and say nothing about the load to provision for.
package struct CapacityReport: Equatable, Sendable {
    package struct Usage: Equatable, Sendable {
        package var peakTPM: Int64 = 0
        /// Start of the peak minute, Unix microseconds (the earliest on a tie).
        package var peakAtMicros: Int64 = 0
        /// Nil for a team (only aggregates keep their minutes).
        package var p95TPM: Int64?
        package var activeMinutes: Int64 = 0
        package var tokens: Int64 = 0
    }

    package struct Team: Equatable, Sendable {
        package var org: String?
        package var team: String?
        package var usage: Usage
    }

    /// An org's traffic, or (org nil, `isGateway`) everyone's.
    package struct Aggregate: Equatable, Sendable {
        package var org: String?
        package var isGateway: Bool
        package var usage: Usage
        /// The peaks of its teams, added up: what provisioning every team
        /// for its own peak would buy.
        package var sumOfTeamPeaks: Int64
    }

    package struct Pool: Equatable, Sendable {
        package var provider: String
        package var model: String?
        package var tpm: Int64?
        package var usage: Usage
    }

    package var range: LedgerTimeRange
    /// By org, then by peak, highest first.
    package var teams: [Team]
    /// One per org (by name), then the gateway.
    package var aggregates: [Aggregate]
    package var pools: [Pool]

    /// Reads the ledger's rows over `range` — through the capacity index
    /// when the ledger has it (schema 4), which holds every column read —
    /// and derives the report. `indexed: false` reads the table's rows
    /// even then (the same answer; for tests and the benchmark).
    package static func run(ledgerAt path: String, range: LedgerTimeRange, pools: [CapacityPool],
                            slices: Int? = nil, prefer: LedgerScan.Plan.Kind? = nil,
                            indexed: Bool = true) throws -> CapacityReport {
        let scan = LedgerScan(path: path)
        let query = indexed ? try CapacityScan.query(forLedgerAt: path) : CapacityScan.query
        func read(_ prefer: LedgerScan.Plan.Kind?) throws -> [CapacityScan] {
            try scan.scanSlices(query, range: range, slices: slices, prefer: prefer,
                                makeState: { CapacityScan(pools: pools) },
                                row: { state, row in state.add(row) })
                .map { part in
                    var part = part
                    part.finish()
                    return part
                }
        }
        // Rows later than the ring's window: read again in time order.
        if let report = CapacityReport(range: range, pools: pools, slices: try read(prefer)) { return report }
        return CapacityReport(range: range, pools: pools, slices: try read(.time))!
    }

    /// Merges the slices by name, closes the minutes they left open, and
    /// derives the figures; nil when a row came later than the ring's
    /// window (in a slice, or across two: a minute one slice closed that
    /// another also saw).
    init?(range: LedgerTimeRange, pools: [CapacityPool], slices: [CapacityScan]) {
        if slices.contains(where: \.disordered) { return nil }
        for (j, slice) in slices.enumerated() {
            for minute in slice.edges.keys {
                for (k, other) in slices.enumerated() where k != j {
                    if let closed = other.closed, closed.from <= minute, minute <= closed.to { return nil }
                }
            }
        }
        self.range = range
        var names: [CapacityScan.Name] = []
        var index: [CapacityScan.Name: Int] = [:]
        var merged: [CapacityScan.Series] = []
        var open: [Int64: [Int64]] = [:]
        for slice in slices {
            var global: [Int] = []
            for (i, name) in slice.names.enumerated() {
                if let known = index[name] {
                    global.append(known)
                } else {
                    index[name] = names.count
                    global.append(names.count)
                    names.append(name)
                    merged.append(CapacityScan.Series(keepsValues: slice.series[i].keepsValues))
                }
            }
            for (i, series) in slice.series.enumerated() { merged[global[i]].merge(series) }
            for (minute, sums) in slice.edges {
                for (i, value) in sums.enumerated() where value != 0 {
                    open[minute, default: []].withUnsafeMutableBufferPointerGrowing(to: global[i] + 1) {
                        $0[global[i]] = Saturating.add($0[global[i]], value)
                    }
                }
            }
        }
        for minute in open.keys.sorted() {
            for (s, value) in open[minute]!.enumerated() where value != 0 { merged[s].close(minute: minute, tokens: value) }
        }
        var teamSeries: [[String?]: CapacityScan.Series] = [:]
        var orgSeries: [String?: CapacityScan.Series] = [:]
        var all = CapacityScan.Series(keepsValues: true)
        var poolSeries = pools.map { _ in CapacityScan.Series(keepsValues: true) }
        for (name, series) in zip(names, merged) {
            switch name {
            case let .team(org, team): teamSeries[[org, team]] = series
            case let .org(org): orgSeries[org] = series
            case .gateway: all = series
            case let .pool(i): poolSeries[i] = series
            }
        }
        // By name, no name (NULL) first, then '' (a total order: treating
        // NULL as '' left the two in the order of a dictionary's keys).
        func name(_ a: String?, _ b: String?) -> Bool {
            guard let b else { return false }
            guard let a else { return true }
            return a < b
        }
        let teams = teamSeries.map { Team(org: $0.key[0], team: $0.key[1], usage: Self.usage($0.value)) }.sorted { a, b in
            if a.org != b.org { return name(a.org, b.org) }
            if a.usage.peakTPM != b.usage.peakTPM { return a.usage.peakTPM > b.usage.peakTPM }
            return name(a.team, b.team)
        }
        var aggregates = orgSeries.keys.sorted(by: name).map { org in
            Aggregate(org: org, isGateway: false, usage: Self.usage(orgSeries[org]!),
                      sumOfTeamPeaks: teams.filter { $0.org == org }.reduce(0) { Saturating.add($0, $1.usage.peakTPM) })
        }
        aggregates.append(Aggregate(org: nil, isGateway: true, usage: Self.usage(all),
                                    sumOfTeamPeaks: teams.reduce(0) { Saturating.add($0, $1.usage.peakTPM) }))
        self.teams = teams
        self.aggregates = aggregates
        self.pools = pools.indices.map { i in
            Pool(provider: pools[i].provider, model: pools[i].model, tpm: pools[i].tpm, usage: Self.usage(poolSeries[i]))
        }
    }

    static func usage(_ series: CapacityScan.Series) -> Usage {
        Usage(peakTPM: series.peak, peakAtMicros: series.peakMinute * 60_000_000,
              p95TPM: series.keepsValues ? percentile95(series.values) : nil,
              activeMinutes: series.minutes, tokens: series.tokens)
    }

    /// Nearest rank: the smallest value at least 95% of the values are at
    /// or below. 0 for no values. The value at that rank of the sorted
    /// values, found without sorting them (a year's gateway has half a
    /// million minutes): quickselect, random pivots.
    package static func percentile95(_ values: [Int64]) -> Int64 {
        guard !values.isEmpty else { return 0 }
        var values = values
        return values.withUnsafeMutableBufferPointer { v in
            let rank = (95 * v.count + 99) / 100 - 1
            var low = 0, high = v.count - 1
            while low < high {
                // Three-way partition of [low, high] around a pivot:
                // [low, lt) below, [lt, gt] equal, (gt, high] above.
                let pivot = v[Int.random(in: low...high)]
                var lt = low, i = low, gt = high
                while i <= gt {
                    if v[i] < pivot {
                        v.swapAt(lt, i)
                        lt += 1
                        i += 1
                    } else if v[i] > pivot {
                        v.swapAt(i, gt)
                        gt -= 1
                    } else {
                        i += 1
                    }
                }
                if rank < lt {
                    high = lt - 1
                } else if rank > gt {
                    low = gt + 1
                } else {
                    return pivot
                }
            }
            return v[rank]
        }
    }
}
