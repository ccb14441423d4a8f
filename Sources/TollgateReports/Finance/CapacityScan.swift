import TollgateConfig
import TollgateUnits

/// One time slice of the capacity report's pass: the ledger's rows in
/// `ts_us` order, summed per UTC minute for every team, org, the whole
/// gateway and every capacity pool. A minute is closed when the first row
/// of a later one arrives, so memory holds one minute of sums plus, for
/// the aggregates only (orgs, gateway, pools), one number per minute with
/// traffic (their p95 needs them); teams keep only their peak.
struct CapacityScan {
    /// Per-minute tokens of one team, org, pool or the gateway.
    struct Series {
        var keepsValues: Bool
        /// Tokens of each minute with traffic, in time order (aggregates only).
        var values: [Int64] = []
        var peak: Int64 = 0
        /// Unix minute of the peak (the earliest, on a tie).
        var peakMinute: Int64 = 0
        var minutes: Int64 = 0
        var tokens: Int64 = 0

        init(keepsValues: Bool) { self.keepsValues = keepsValues }

        mutating func close(minute: Int64, tokens amount: Int64) {
            if minutes == 0 || amount > peak {
                peak = amount
                peakMinute = minute
            }
            minutes += 1
            tokens = Saturating.add(tokens, amount)
            if keepsValues { values.append(amount) }
        }

        /// Appends a later slice.
        mutating func merge(_ later: Series) {
            guard later.minutes > 0 else { return }
            if minutes == 0 || later.peak > peak {
                peak = later.peak
                peakMinute = later.peakMinute
            }
            minutes += later.minutes
            tokens = Saturating.add(tokens, later.tokens)
            values += later.values
        }
    }

    /// (org, team, provider, model) of the rows seen, resolved once each.
    private struct Stream {
        var team: Int
        var org: Int
        var pools: [Int]
    }

    let pools: [CapacityPool]
    private var streamIndex: [[UInt8]: Int] = [:]
    private var streams: [Stream] = []
    private var key: [UInt8] = []
    private(set) var teamNames: [[String?]] = []
    private var teamIndex: [[String?]: Int] = [:]
    private(set) var orgNames: [String?] = []
    private var orgIndex: [String?: Int] = [:]

    private(set) var teams: [Series] = []
    private(set) var orgs: [Series] = []
    private(set) var all = Series(keepsValues: true)
    private(set) var poolSeries: [Series]

    private var minute: Int64?
    private var teamNow: [Int64] = []
    private var orgNow: [Int64] = []
    private var allNow: Int64 = 0
    private var poolNow: [Int64]
    private var touchedTeams: [Int] = []
    private var touchedOrgs: [Int] = []
    private var touchedPools: [Int] = []

    init(pools: [CapacityPool]) {
        self.pools = pools
        poolSeries = pools.map { _ in Series(keepsValues: true) }
        poolNow = pools.map { _ in 0 }
        key.reserveCapacity(128)
    }

    /// The query: minute, org, team, provider, model, tokens; in time order.
    static let sql = """
        SELECT ts_us / 60000000, org, team, provider, COALESCE(model_served, model_requested),
          tokens_in + tokens_cached + tokens_out
        FROM ledger WHERE ts_us >= ?1 AND ts_us < ?2 AND tokens_in + tokens_cached + tokens_out > 0
        ORDER BY ts_us
        """

    mutating func add(_ row: LedgerScan.Row) {
        let rowMinute = row.int64(0)
        if rowMinute != minute {
            closeMinute()
            minute = rowMinute
        }
        key.removeAll(keepingCapacity: true)
        for column: Int32 in 1...4 { row.appendKey(column, to: &key) }
        let stream: Stream
        if let known = streamIndex[key] {
            stream = streams[known]
        } else {
            stream = newStream(org: row.text(1), team: row.text(2), provider: row.text(3), model: row.text(4))
            streamIndex[key] = streams.count
            streams.append(stream)
        }
        let tokens = row.int64(5)
        if teamNow[stream.team] == 0 { touchedTeams.append(stream.team) }
        teamNow[stream.team] = Saturating.add(teamNow[stream.team], tokens)
        if orgNow[stream.org] == 0 { touchedOrgs.append(stream.org) }
        orgNow[stream.org] = Saturating.add(orgNow[stream.org], tokens)
        allNow = Saturating.add(allNow, tokens)
        for pool in stream.pools {
            if poolNow[pool] == 0 { touchedPools.append(pool) }
            poolNow[pool] = Saturating.add(poolNow[pool], tokens)
        }
    }

    /// Closes the last minute: call once after the last row.
    mutating func finish() {
        closeMinute()
        minute = nil
    }

    private mutating func closeMinute() {
        guard let minute else { return }
        for team in touchedTeams {
            teams[team].close(minute: minute, tokens: teamNow[team])
            teamNow[team] = 0
        }
        for org in touchedOrgs {
            orgs[org].close(minute: minute, tokens: orgNow[org])
            orgNow[org] = 0
        }
        for pool in touchedPools {
            poolSeries[pool].close(minute: minute, tokens: poolNow[pool])
            poolNow[pool] = 0
        }
        if allNow > 0 { all.close(minute: minute, tokens: allNow) }
        allNow = 0
        touchedTeams.removeAll(keepingCapacity: true)
        touchedOrgs.removeAll(keepingCapacity: true)
        touchedPools.removeAll(keepingCapacity: true)
    }

    private mutating func newStream(org: String?, team: String?, provider: String?, model: String?) -> Stream {
        let orgID: Int
        if let known = orgIndex[org] {
            orgID = known
        } else {
            orgID = orgNames.count
            orgIndex[org] = orgID
            orgNames.append(org)
            orgs.append(Series(keepsValues: true))
            orgNow.append(0)
        }
        let teamID: Int
        if let known = teamIndex[[org, team]] {
            teamID = known
        } else {
            teamID = teamNames.count
            teamIndex[[org, team]] = teamID
            teamNames.append([org, team])
            teams.append(Series(keepsValues: false))
            teamNow.append(0)
        }
        let matching = pools.indices.filter { i in
            pools[i].provider == provider && (pools[i].model == nil || pools[i].model == model)
        }
        return Stream(team: teamID, org: orgID, pools: matching)
    }
}
