import TollgatePluginKit

/// Spend per subject in hourly buckets (and the daily totals they add up
/// to), plus the history seeded from config. A value with no I/O and no
/// clock: callers pass Unix seconds taken from the calls themselves.
struct SpendHistory {
    static let secondsPerHour: Int64 = 3_600
    static let secondsPerDay: Int64 = 86_400

    struct Subject {
        /// Start (Unix seconds) of the hour of the subject's first spend.
        var firstSeen: Int64
        /// Hour start -> nano-dollars.
        var hourly: [Int64: Int64] = [:]
        /// Day number (days since 1970-01-01) -> nano-dollars.
        var daily: [Int64: Int64] = [:]
    }

    private(set) var subjects: [String: Subject] = [:]
    /// Subject -> day -> nano-dollars, from `history:` in the config. Added
    /// to what was recorded, never persisted (the config brings it back).
    private var seeded: [String: [Int64: Int64]] = [:]
    /// New subjects beyond this are not tracked (a `feature` attribute with
    /// unbounded values must not grow memory without end).
    let maxSubjects: Int

    static let defaultMaxSubjects = 10_000

    init(maxSubjects: Int = SpendHistory.defaultMaxSubjects) {
        self.maxSubjects = maxSubjects
    }

    static func hour(of second: Int64) -> Int64 { UTCCalendar.floorDiv(second, secondsPerHour) * secondsPerHour }
    static func day(of second: Int64) -> Int64 { UTCCalendar.floorDiv(second, secondsPerDay) }

    /// Adds spend at `second`; false when the subject is new and the table
    /// is full.
    @discardableResult
    mutating func add(_ nanos: Int64, subject: String, at second: Int64) -> Bool {
        let hour = Self.hour(of: second)
        if subjects[subject] == nil {
            guard subjects.count < maxSubjects else { return false }
            subjects[subject] = Subject(firstSeen: hour)
        }
        subjects[subject]!.firstSeen = min(subjects[subject]!.firstSeen, hour)
        subjects[subject]!.hourly[hour, default: 0] &+= nanos
        subjects[subject]!.daily[Self.day(of: second), default: 0] &+= nanos
        return true
    }

    /// Restores a bucket read back from disk.
    mutating func restore(subject: String, hour: Int64, nanos: Int64) {
        add(nanos, subject: subject, at: hour)
    }

    /// Restores a subject's first-seen hour (older than any bucket kept).
    mutating func restore(subject: String, firstSeen: Int64) {
        if subjects[subject] == nil {
            guard subjects.count < maxSubjects else { return }
            subjects[subject] = Subject(firstSeen: firstSeen)
        }
        subjects[subject]!.firstSeen = min(subjects[subject]!.firstSeen, firstSeen)
    }

    mutating func seed(subject: String, day: Int64, nanos: Int64) {
        seeded[subject, default: [:]][day, default: 0] &+= nanos
    }

    /// The first day the subject has history for (recorded or seeded).
    func firstDay(of subject: String) -> Int64? {
        let recorded = subjects[subject].map { Self.day(of: $0.firstSeen) }
        let seededFirst = seeded[subject]?.keys.min()
        switch (recorded, seededFirst) {
        case let (a?, b?): return min(a, b)
        case let (a?, nil): return a
        case let (nil, b?): return b
        case (nil, nil): return nil
        }
    }

    /// Spend of one UTC day, recorded plus seeded.
    func spend(of subject: String, day: Int64) -> Int64 {
        (subjects[subject]?.daily[day] ?? 0) &+ (seeded[subject]?[day] ?? 0)
    }

    /// Spend in the hourly buckets from `fromHour` through `throughHour`
    /// (hour starts). A seeded day has no hours: its spend counts as spread
    /// evenly over them.
    func spend(of subject: String, fromHour: Int64, throughHour: Int64) -> Int64 {
        let hourly = subjects[subject]?.hourly
        let seededDays = seeded[subject]
        guard hourly != nil || seededDays != nil else { return 0 }
        var total: Int64 = 0
        var hour = fromHour
        while hour <= throughHour {
            total &+= hourly?[hour] ?? 0
            if let seed = seededDays?[Self.day(of: hour)] { total &+= seed / 24 }
            hour += Self.secondsPerHour
        }
        return total
    }

    /// Forgets buckets of days before `day` (first-seen stays).
    mutating func forget(before day: Int64) {
        let hourCutoff = day * Self.secondsPerDay
        for name in subjects.keys {
            subjects[name]!.hourly = subjects[name]!.hourly.filter { $0.key >= hourCutoff }
            subjects[name]!.daily = subjects[name]!.daily.filter { $0.key >= day }
        }
    }
}
