import TollgateSQLite
import TollgateUnits

/// `tollgate report baseline`: per team and feature, what a day of spend
/// looked like over a window of whole UTC days — typically the weeks a new
/// budget ran in `mode: observe` — and the grant to give it: the median
/// day times `finance.baseline_suggest_percent` (130–150% is the practice).
///
/// The rows read are the admitted ones: every ledger row but `rejected`
/// (those are counted apart, as `refused`: demand the baseline cannot see).
/// A subject's series runs from its first day with an admitted request to
/// the end of the window; days without traffic after that count as zero.
/// Money is exact: integer nano-dollars, rounded up where divided.
package struct BaselineReport: Equatable, Sendable {
    package enum Level: String, Sendable { case team, feature }

    package struct Line: Equatable, Sendable {
        package var level: Level
        package var org: String?
        package var team: String?
        /// nil on a team line (all its features), or an untagged feature.
        package var feature: String?
        /// Days in the series: from the first admitted request to the window's end.
        package var days: Int
        /// Days with at least one admitted request.
        package var activeDays: Int
        package var requests: Int64
        /// Rows refused (`outcome = rejected`) in the window.
        package var refused: Int64
        package var spendNanos: Int64
        /// nil when the subject had no admitted request (only refusals).
        package var stats: Stats?
    }

    package struct Stats: Equatable, Sendable {
        package var meanNanos: Int64
        /// The baseline: the median day.
        package var medianNanos: Int64
        /// The 90th-percentile day (nearest rank).
        package var p90Nanos: Int64
        package var suggestedDailyNanos: Int64
        /// The suggested daily grant times 30.
        package var suggestedMonthlyNanos: Int64
    }

    /// The days of a month in the suggested monthly grant.
    package static let daysPerMonth: Int64 = 30

    /// Whole UTC days, [from, to).
    package var window: LedgerTimeRange
    package var percent: Int
    /// Team lines first within each team, then its features by spend.
    package var lines: [Line]

    package var days: Int { Int((window.to - window.from) / Self.day) }
    static let day: Int64 = 86_400_000_000

    /// The window of `days` whole UTC days ending at the midnight at or
    /// before `endMicros` (exclusive).
    package static func window(days: Int, endingAt endMicros: Int64) -> LedgerTimeRange {
        let end = UTCCalendar.floorDiv(endMicros, day) * day
        return LedgerTimeRange(from: end - Int64(days) * day, to: end)
    }

    /// Grouped by subject and day; the refusals are counted in the place
    /// of the estimated rows (so `requests - estimatedRequests` is the
    /// admitted requests), and their cost, if any, is left out.
    static let query = LedgerQuery(select: ["org", "team", "feature", "ts_us / 86400000000", "tokens_in", "tokens_out",
                                            "tokens_cached", "CASE WHEN outcome = 'rejected' THEN 0 ELSE cost_nanos END",
                                            "outcome = 'rejected'"])

    /// The same from the daily rollup (whose rows are admitted or
    /// `rejected` as a whole).
    static let dailyQuery = LedgerQuery(select: ["org", "team", "feature", "day", "requests", "tokens_in", "tokens_out",
                                                 "tokens_cached", "CASE WHEN rejected THEN 0 ELSE cost_nanos END",
                                                 "CASE WHEN rejected THEN requests ELSE 0 END"], source: .daily)

    /// From the daily rollup when the ledger has it (`rollup: false` reads
    /// the rows regardless): the window is whole days.
    package static func run(ledgerAt path: String, window: LedgerTimeRange, percent: Int, slices: Int? = nil,
                            prefer: LedgerScan.Plan.Kind? = nil, rollup: Bool = true) throws -> BaselineReport {
        let scanned = try LedgerScan(path: path).aggregate(rows: query, daily: dailyQuery, range: window, dimensions: 4,
                                                           slices: slices, prefer: prefer, rollup: rollup)
        let firstDay = window.from / day
        let count = Int((window.to - window.from) / day)
        var daily: [[String?]: Series] = [:]
        var order: [[String?]] = []
        for group in scanned.groups {
            let subject = group.keys[0..<3].map { value -> String? in
                if case .text(let t) = value { return t }
                if case .integer(let n) = value { return String(n) }
                return nil
            }
            guard case .integer(let dayIndex) = group.keys[3] else { continue }
            if daily[subject] == nil {
                daily[subject] = Series(days: count)
                order.append(subject)
            }
            let index = Int(dayIndex - firstDay)
            guard index >= 0, index < count else { continue }
            let refused = group.totals.estimatedRequests
            daily[subject]!.refused += refused
            daily[subject]!.add(day: index, spend: group.totals.costNanos, requests: group.totals.requests - refused)
        }
        return BaselineReport(window: window, percent: percent, features: order.map { ($0, daily[$0]!) })
    }

    /// One subject's days over the window.
    package struct Series: Equatable, Sendable {
        package var spend: [Int64]
        package var requests: [Int64]
        package var refused: Int64 = 0

        package init(days: Int) {
            spend = Array(repeating: 0, count: days)
            requests = Array(repeating: 0, count: days)
        }

        package mutating func add(day: Int, spend amount: Int64, requests count: Int64) {
            spend[day] = Saturating.add(spend[day], amount)
            requests[day] += count
        }

        mutating func add(_ other: Series) {
            for i in spend.indices { add(day: i, spend: other.spend[i], requests: other.requests[i]) }
            refused += other.refused
        }
    }

    /// Builds the lines from each (org, team, feature)'s series, adding a
    /// team line per team (its features' days summed, then its own median:
    /// a team's grant is sized on the team's days, not on the sum of its
    /// features' medians).
    package init(window: LedgerTimeRange, percent: Int, features: [([String?], Series)]) {
        self.window = window
        self.percent = percent
        var teams: [[String?]: Series] = [:]
        var teamOrder: [[String?]] = []
        for (subject, series) in features {
            let team = Array(subject.prefix(2))
            if teams[team] == nil {
                teams[team] = Series(days: series.spend.count)
                teamOrder.append(team)
            }
            teams[team]!.add(series)
        }
        // A missing name (NULL) first, then by name: a total order, so the
        // lines come out the same however the groups were read.
        func byName(_ a: String?, _ b: String?) -> Bool {
            guard let b else { return false }
            guard let a else { return true }
            return a < b
        }
        teamOrder.sort { byName($0[0], $1[0]) || ($0[0] == $1[0] && byName($0[1], $1[1])) }
        var lines: [Line] = []
        for team in teamOrder {
            lines.append(Self.line(.team, org: team[0], team: team[1], feature: nil, teams[team]!, percent: percent))
            let own = features.filter { Array($0.0.prefix(2)) == team }
                .map { Self.line(.feature, org: team[0], team: team[1], feature: $0.0[2], $0.1, percent: percent) }
                .sorted { $0.spendNanos != $1.spendNanos ? $0.spendNanos > $1.spendNanos : byName($0.feature, $1.feature) }
            lines += own
        }
        self.lines = lines
    }

    static func line(_ level: Level, org: String?, team: String?, feature: String?, _ series: Series, percent: Int) -> Line {
        let start = series.requests.firstIndex { $0 > 0 }
        let days = start.map { Array(series.spend[$0...]) } ?? []
        var spend: Int64 = 0
        for amount in series.spend { spend = Saturating.add(spend, amount) }
        return Line(level: level, org: org, team: team, feature: feature, days: days.count,
                    activeDays: series.requests.filter { $0 > 0 }.count, requests: series.requests.reduce(0, +),
                    refused: series.refused, spendNanos: spend, stats: stats(days, percent: Int64(percent)))
    }

    /// Mean, median, p90 and the suggestion over a series of days (nil
    /// when empty). Rounded up to the nano-dollar where a division is not
    /// exact: a suggestion errs on the side of room.
    package static func stats(_ days: [Int64], percent: Int64) -> Stats? {
        guard !days.isEmpty else { return nil }
        let sorted = days.sorted()
        let n = sorted.count
        var total: Int64 = 0
        for amount in sorted { total = Saturating.add(total, amount) }
        let median = n % 2 == 1 ? sorted[n / 2] : sorted[n / 2 - 1] + (sorted[n / 2] - sorted[n / 2 - 1] + 1) / 2
        let p90 = sorted[(9 * n + 9) / 10 - 1]
        let daily = ceilMultiplyDivide(median, percent, 100)
        return Stats(meanNanos: ceilMultiplyDivide(total, 1, Int64(n)), medianNanos: median, p90Nanos: p90,
                     suggestedDailyNanos: daily, suggestedMonthlyNanos: Saturating.multiply(daily, daysPerMonth))
    }

    /// ⌈a × b / c⌉ in 128 bits, for a, b >= 0 and c > 0, saturating.
    static func ceilMultiplyDivide(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64 {
        let floor = Saturating.multiplyDivide(a, b, c)
        guard floor < Int64.max else { return floor }
        let product = UInt64(max(0, a)).multipliedFullWidth(by: UInt64(max(0, b)))
        let back = UInt64(floor).multipliedFullWidth(by: UInt64(c))
        return back.high == product.high && back.low == product.low ? floor : floor + 1
    }
}
