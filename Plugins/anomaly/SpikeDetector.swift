import TollgatePluginKit

/// Decides, for one subject at one moment, whether today's spend is a
/// spike. Pure arithmetic over a SpendHistory, in integers.
///
/// - Baseline: the average daily spend over the previous 7 complete days
///   (fewer when the subject's history is shorter, never fewer than
///   `minHistoryDays`: below that it is a cold start and nothing alerts).
/// - Spike: today so far >= factor x baseline, and >= minDailySpend.
/// - Projection (only while there is no spike): the last `projectionHours`
///   hourly buckets (the current one included) are compared with the same
///   clock hours of the baseline days; that ratio carries the baseline's
///   rest of the day, and today so far plus it must reach factor x baseline
///   (and minDailySpend). Comparing like hours keeps a team whose traffic
///   follows office hours from looking like a spike every morning. The
///   usual spend of the window is taken as at least the baseline's flat
///   share (baseline x hours / 24), so a quiet night hour does not make a
///   dollar look like a flood.
/// - Severity: critical at 2 x factor x baseline or more, else warning.
struct SpikeDetector {
    static let baselineDays = 7

    var factorMilli: Int64
    var minDailySpendNanos: Int64
    var minHistoryDays: Int
    var projectionHours: Int

    init(config: AnomalyConfig) {
        factorMilli = config.factorMilli
        minDailySpendNanos = config.minDailySpendNanos
        minHistoryDays = config.minHistoryDays
        projectionHours = config.projectionHours
    }

    enum Kind: String {
        case spike = "spend_spike"
        case projection = "spend_projection"
    }

    struct Finding: Equatable {
        var kind: Kind
        var subject: String
        var day: Int64
        var todayNanos: Int64
        /// Sum over `baselineDays` days; the baseline is the average.
        var baselineTotalNanos: Int64
        var baselineDays: Int
        /// The end-of-day projection (projection findings only).
        var projectedNanos: Int64?
        var critical: Bool

        var baselineNanos: Int64 { baselineTotalNanos / Int64(baselineDays) }
        var dedupeKey: String { SpikeDetector.dedupeKey(kind, subject: subject, day: day) }
    }

    /// "spend_spike:team/acme/payments:2026-11-22": this condition, this day.
    static func dedupeKey(_ kind: Kind, subject: String, day: Int64) -> String {
        "\(kind.rawValue):\(subject):\(UTCCalendar.day(day * SpendHistory.secondsPerDay))"
    }

    /// What an evaluation reads from the baseline days: kept per subject for
    /// the day and hour they were made for, instead of some 200 bucket
    /// lookups per call. Those days change only when a call lands in one of
    /// them (a late call from before midnight), and that call is evaluated
    /// for its own day, which replaces the kept sums.
    struct Baseline: Equatable {
        var today: Int64
        var hour: Int64
        /// Complete days of history used (fewer than minHistoryDays: cold start).
        var days: Int
        /// Spend summed over those days.
        var total: Int64
        /// Summed over those days: the projection window's clock hours, and
        /// the hours of the day after it.
        var usualWindow: Int64
        var usualRest: Int64
    }

    /// `baseline`: the subject's kept sums, reused when they are for this
    /// hour and replaced otherwise.
    func evaluate(_ subject: String, in history: SpendHistory, at second: Int64, baseline kept: inout Baseline?) -> Finding? {
        let today = SpendHistory.day(of: second)
        let hour = SpendHistory.hour(of: second)
        if kept?.today != today || kept?.hour != hour {
            kept = self.baseline(subject, in: history, today: today, hour: hour)
        }
        guard let baseline = kept, baseline.days >= minHistoryDays else { return nil }  // cold start
        let days = baseline.days, baselineTotal = baseline.total
        let spent = history.spend(of: subject, day: today)

        // amount/threshold compared as amount x days x 1000 vs factor x baseline total.
        func reaches(_ amount: Int64, times multiple: Int64) -> Bool {
            Saturating.atLeast(amount, Int64(days) * 1_000, baselineTotal, factorMilli * multiple)
        }
        var finding = Finding(kind: .spike, subject: subject, day: today, todayNanos: spent, baselineTotalNanos: baselineTotal,
                              baselineDays: days, projectedNanos: nil, critical: false)
        if spent >= minDailySpendNanos, reaches(spent, times: 1) {
            finding.critical = reaches(spent, times: 2)
            return finding
        }
        guard projectionHours > 0 else { return nil }
        let projected = projection(subject, in: history, at: second, spentToday: spent, baseline: baseline)
        guard projected >= minDailySpendNanos, reaches(projected, times: 1) else { return nil }
        finding.kind = .projection
        finding.projectedNanos = projected
        return finding
    }

    /// The sums over the baseline days for `today` at `hour`; nil when the
    /// subject has no history.
    func baseline(_ subject: String, in history: SpendHistory, today: Int64, hour: Int64) -> Baseline? {
        guard let first = history.firstDay(of: subject) else { return nil }
        let days = min(Self.baselineDays, Int(today - first))
        var baseline = Baseline(today: today, hour: hour, days: days, total: 0, usualWindow: 0, usualRest: 0)
        guard days >= minHistoryDays else { return baseline }
        for back in 1...days { baseline.total &+= history.spend(of: subject, day: today - Int64(back)) }
        guard projectionHours > 0 else { return baseline }
        let windowStart = hour - Int64(projectionHours - 1) * SpendHistory.secondsPerHour
        let dayEnd = (today + 1) * SpendHistory.secondsPerDay
        for back in 1...days {
            let shift = Int64(back) * SpendHistory.secondsPerDay
            baseline.usualWindow &+= history.spend(of: subject, fromHour: windowStart - shift, throughHour: hour - shift)
            baseline.usualRest &+= history.spend(of: subject, fromHour: hour + SpendHistory.secondsPerHour - shift,
                                                 throughHour: dayEnd - SpendHistory.secondsPerHour - shift)
        }
        return baseline
    }

    /// Today's spend plus the baseline's rest of the day, scaled by how the
    /// last hours compare with the same hours of the baseline days.
    func projection(_ subject: String, in history: SpendHistory, at second: Int64, spentToday: Int64,
                    baseline: Baseline) -> Int64 {
        let hour = SpendHistory.hour(of: second)
        let windowStart = hour - Int64(projectionHours - 1) * SpendHistory.secondsPerHour
        let recent = history.spend(of: subject, fromHour: windowStart, throughHour: hour)
        let usualWindow = max(baseline.usualWindow, Saturating.multiplyDivide(baseline.total, Int64(projectionHours), 24))
        guard usualWindow > 0 else { return spentToday }
        let rest = Saturating.multiplyDivide(baseline.usualRest, recent, usualWindow)
        return Saturating.add(spentToday, rest)
    }
}
