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

    package static func run(ledgerAt path: String, range: LedgerTimeRange, pools: [CapacityPool],
                            slices: Int? = nil) throws -> CapacityReport {
        let parts = try LedgerScan(path: path).scanSlices(
            sql: CapacityScan.sql, range: range, slices: slices,
            makeState: { CapacityScan(pools: pools) },
            row: { scan, row in scan.add(row) })
        return CapacityReport(range: range, pools: pools, slices: parts.map { part in
            var part = part
            part.finish()
            return part
        })
    }

    /// Merges the slices (in time order) by name and derives the figures.
    init(range: LedgerTimeRange, pools: [CapacityPool], slices: [CapacityScan]) {
        self.range = range
        var teamSeries: [[String?]: CapacityScan.Series] = [:]
        var orgSeries: [String?: CapacityScan.Series] = [:]
        var all = CapacityScan.Series(keepsValues: true)
        var poolSeries = pools.map { _ in CapacityScan.Series(keepsValues: true) }
        for slice in slices {
            for (i, name) in slice.teamNames.enumerated() {
                teamSeries[name, default: CapacityScan.Series(keepsValues: false)].merge(slice.teams[i])
            }
            for (i, name) in slice.orgNames.enumerated() {
                orgSeries[name, default: CapacityScan.Series(keepsValues: true)].merge(slice.orgs[i])
            }
            all.merge(slice.all)
            for i in pools.indices { poolSeries[i].merge(slice.poolSeries[i]) }
        }
        func name(_ a: String?, _ b: String?) -> Bool { (a ?? "") < (b ?? "") }
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
    /// or below. 0 for no values.
    package static func percentile95(_ values: [Int64]) -> Int64 {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[(95 * sorted.count + 99) / 100 - 1]
    }
}
