import TollgatePluginKit

/// The anomaly plugin's `config:` block, validated strictly: every mistake
/// names the key, what was wrong and what to write instead.
///
/// ```yaml
/// config:
///   factor: 3                  # alert when today reaches 3x the baseline
///   min_daily_spend: "5"       # USD; below this nobody is paged
///   min_history_days: 3        # cold start: fewer complete days, no alerts
///   dimensions: [team, key, feature]
///   projection_hours: 3        # 0 turns the projection alert off
///   database: anomaly.sqlite   # relative to storage.dir; false = memory only
///   baseline_route: /admin/anomaly/baseline   # GET, reader role (ABI 1.5); off disables
///   history:                   # optional seed, e.g. from a billing export
///     - {subject: team/acme/payments, date: "2026-11-15", spend: "120.50"}
///     - {subject: team/acme/search, days_ago: 2, spend: "3"}   # relative: demos, fixtures
/// ```
struct AnomalyConfig: Equatable {
    /// The alert threshold in thousandths (3 -> 3000), so money compares in
    /// integers.
    var factorMilli: Int64 = 3_000
    var minDailySpendNanos: Int64 = 5 * Money.nanosPerDollar
    var minHistoryDays = 3
    var dimensions: [Dimension] = [.team]
    var projectionHours = 3
    var database: DatabaseChoice = .defaultFile
    var seeds: [Seed] = []
    /// Where the plugin serves a subject's baseline (reader role); nil with
    /// `baseline_route: off` (a second anomaly instance must pick another path).
    var baselineRoute: String? = "/admin/anomaly/baseline"

    enum DatabaseChoice: Equatable {
        case defaultFile
        case file(String)
        case memoryOnly
    }

    struct Seed: Equatable {
        var subject: String
        var when: When
        var nanos: Int64

        /// `date:` is a fixed UTC day; `days_ago:` counts back from the
        /// day of the first call the plugin instance sees (the plugin reads
        /// no clock: calls carry the time), so a config that must not go
        /// stale (a demo, a fixture) keeps its history "the last few days".
        enum When: Equatable {
            case day(Int64)
            case daysAgo(Int64)
        }
    }

    /// The furthest back a relative seed may be: older days are outside
    /// every baseline.
    static let maxDaysAgo = SpikeDetector.baselineDays

    init() {}

    init(json: JSONValue) throws {
        var config = try ConfigReader(json, plugin: "anomaly")
        if let field = config["factor"].ifPresent {
            guard let text = field.value.flatMap(Self.numberText), let milli = Self.thousandths(text),
                  milli > 1_000, milli <= 1_000_000 else {
                throw field.mismatch("a number above 1 and at most 1000 with up to 3 decimals, e.g. 3 or 2.5")
            }
            factorMilli = milli
        }
        minDailySpendNanos = try config["min_daily_spend"].ifPresent?.money() ?? minDailySpendNanos
        minHistoryDays = try config["min_history_days"].ifPresent?.int(in: 1...SpikeDetector.baselineDays) ?? minHistoryDays
        projectionHours = try config["projection_hours"].ifPresent?.int(in: 0...24, expected: "an integer from 0 (off) to 24")
            ?? projectionHours
        dimensions = try config["dimensions"].ifPresent.map(Self.dimensions) ?? dimensions
        if let field = config["database"].ifPresent {
            switch field.value {
            case .bool(false)?: database = .memoryOnly
            case .string(let path)? where !path.isEmpty: database = .file(path)
            default: throw field.mismatch("a file path (relative to storage.dir) or false for memory only")
            }
        }
        seeds = try config["history"].ifPresent?.objects(expected: "a list of {subject, date or days_ago, spend}",
                                                         each: "{subject, date or days_ago, spend}") { seed in
            let subject = try seed["subject"].parse(expected: "a subject such as team/ORG/TEAM, key/KEY_ID or feature/ORG/FEATURE") {
                Dimension.isSubject($0) ? $0 : nil
            }
            let date = seed["date"].ifPresent, daysAgo = seed["days_ago"].ifPresent
            let when: Seed.When
            switch (date, daysAgo) {
            case (let date?, nil):
                when = .day(try date.parse(expected: #"a UTC day such as "2026-11-15""#, Self.day))
            case (nil, let daysAgo?):
                when = .daysAgo(Int64(try daysAgo.int(in: 1...Self.maxDaysAgo,
                                                      expected: "an integer from 1 (yesterday) to \(Self.maxDaysAgo)")))
            case (_?, _?):
                throw seed.error("give date or days_ago, not both")
            case (nil, nil):
                throw seed.error(#"needs date (a UTC day such as "2026-11-15") or days_ago (1 for yesterday, up to \#(Self.maxDaysAgo))"#)
            }
            return Seed(subject: subject, when: when, nanos: try seed["spend"].money())
        } ?? []
        if let field = config["baseline_route"].ifPresent {
            baselineRoute = try field.parse(expected: "a path under /admin/ such as /admin/anomaly/baseline-eu, or off") { text -> String?? in
                text == "off" ? .some(nil) : RouteRules.isValidPath(text) ? .some(text) : nil
            }
        }
        try config.finish()
    }

    /// The database file: an absolute `database` as is, a relative one (or
    /// the default INSTANCE.sqlite) under the storage directory; nil for
    /// memory only.
    func databasePath(storageDirectory: String?, instanceName: String) throws -> String? {
        let name: String
        switch database {
        case .memoryOnly: return nil
        case .file(let path): name = path
        case .defaultFile: name = instanceName + ".sqlite"
        }
        if name.hasPrefix("/") { return name }
        guard let storageDirectory, !storageDirectory.isEmpty else {
            throw PluginError("anomaly config: the host gives no storage directory, so database \"\(name)\" has no place; set storage.dir, give an absolute database path, or database: false")
        }
        return storageDirectory + "/" + name
    }

    private static func dimensions(_ field: ConfigField) throws -> [Dimension] {
        let allowed = Dimension.allCases.map(\.rawValue).joined(separator: ", ")
        var result: [Dimension] = []
        for item in try field.list(expected: "a non-empty list drawn from \(allowed)", allowEmpty: false) {
            let dimension = try item.oneOf(Dimension.self)
            guard !result.contains(dimension) else { throw item.error("dimension \"\(dimension.rawValue)\" is listed twice") }
            result.append(dimension)
        }
        return result
    }

    /// A number or a string holding one, as text.
    static func numberText(_ value: JSONValue) -> String? {
        switch value {
        case .number(let text), .string(let text): return text
        default: return nil
        }
    }

    /// "2.5" -> 2500; nil beyond 3 decimals or for anything but digits.
    static func thousandths(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 7,
              whole.allSatisfy(\.isASCIIDigit), let wholeValue = Int64(whole) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(\.isASCIIDigit) else { return nil }
            fraction = Int64(digits + String(repeating: "0", count: 3 - digits.count))!
        }
        return wholeValue * 1_000 + fraction
    }

    /// "2026-11-15" -> days since 1970-01-01; nil for a malformed or
    /// impossible date.
    static func day(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        let days = UTCCalendar.days(year: year, month: month, day: day)
        // 2026-02-30 rolls over into March: refuse it.
        guard UTCCalendar.day(days * 86_400) == text else { return nil }
        return days
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
