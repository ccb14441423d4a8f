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
///   history:                   # optional seed, e.g. from a billing export
///     - {subject: team/acme/payments, date: "2026-11-15", spend: "120.50"}
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

    enum DatabaseChoice: Equatable {
        case defaultFile
        case file(String)
        case memoryOnly
    }

    struct Seed: Equatable {
        var subject: String
        var day: Int64
        var nanos: Int64
    }

    static let keys = ["factor", "min_daily_spend", "min_history_days", "dimensions", "projection_hours", "database", "history"]

    init() {}

    init(json: JSONValue) throws {
        if json.isNull { return }
        guard let object = json.objectValue else {
            throw PluginError("anomaly config must be a mapping of options, got \(json.jsonString)")
        }
        for key in object.keys where !Self.keys.contains(key) {
            throw PluginError("anomaly config: unknown key \"\(key)\" (expected one of: \(Self.keys.joined(separator: ", ")))")
        }
        if let value = object["factor"] {
            guard let text = Self.numberText(value), let milli = Self.thousandths(text), milli > 1_000, milli <= 1_000_000 else {
                throw PluginError("anomaly config: factor must be a number above 1 and at most 1000 with up to 3 decimals, e.g. 3 or 2.5; got \(value.jsonString)")
            }
            factorMilli = milli
        }
        if let value = object["min_daily_spend"] {
            guard let text = Self.numberText(value), let nanos = Money.parseUSD(text) else {
                throw PluginError("anomaly config: min_daily_spend must be a USD amount such as \"5\" or \"0.50\"; got \(value.jsonString)")
            }
            minDailySpendNanos = nanos
        }
        if let value = object["min_history_days"] {
            guard let days = value.int64Value, (1...Int64(SpikeDetector.baselineDays)).contains(days) else {
                throw PluginError("anomaly config: min_history_days must be a whole number from 1 to \(SpikeDetector.baselineDays); got \(value.jsonString)")
            }
            minHistoryDays = Int(days)
        }
        if let value = object["projection_hours"] {
            guard let hours = value.int64Value, (0...24).contains(hours) else {
                throw PluginError("anomaly config: projection_hours must be a whole number from 0 (off) to 24; got \(value.jsonString)")
            }
            projectionHours = Int(hours)
        }
        if let value = object["dimensions"] {
            dimensions = try Self.dimensions(value)
        }
        if let value = object["database"] {
            if value.boolValue == false {
                database = .memoryOnly
            } else if let path = value.stringValue, !path.isEmpty {
                database = .file(path)
            } else {
                throw PluginError("anomaly config: database must be a file path (relative to storage.dir) or false for memory only; got \(value.jsonString)")
            }
        }
        if let value = object["history"] {
            seeds = try Self.seeds(value)
        }
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

    private static func dimensions(_ value: JSONValue) throws -> [Dimension] {
        let allowed = Dimension.allCases.map(\.rawValue).joined(separator: ", ")
        guard let items = value.arrayValue, !items.isEmpty else {
            throw PluginError("anomaly config: dimensions must be a non-empty list drawn from \(allowed); got \(value.jsonString)")
        }
        var result: [Dimension] = []
        for item in items {
            guard let dimension = item.stringValue.flatMap(Dimension.init(rawValue:)) else {
                throw PluginError("anomaly config: unknown dimension \(item.jsonString) (expected \(allowed))")
            }
            guard !result.contains(dimension) else {
                throw PluginError("anomaly config: dimension \"\(dimension.rawValue)\" is listed twice")
            }
            result.append(dimension)
        }
        return result
    }

    private static func seeds(_ value: JSONValue) throws -> [Seed] {
        guard let items = value.arrayValue else {
            throw PluginError("anomaly config: history must be a list of {subject, date, spend}; got \(value.jsonString)")
        }
        var seeds: [Seed] = []
        for (index, item) in items.enumerated() {
            let context = "anomaly config: history[\(index)]"
            guard let object = item.objectValue else {
                throw PluginError("\(context) must be {subject, date, spend}; got \(item.jsonString)")
            }
            for key in object.keys where !["subject", "date", "spend"].contains(key) {
                throw PluginError("\(context): unknown key \"\(key)\" (expected subject, date, spend)")
            }
            guard let subject = object["subject"]?.stringValue, Dimension.isSubject(subject) else {
                throw PluginError("\(context): subject must look like team/ORG/TEAM, key/KEY_ID or feature/ORG/FEATURE; got \(object["subject"]?.jsonString ?? "nothing")")
            }
            guard let dateText = object["date"]?.stringValue, let day = Self.day(dateText) else {
                throw PluginError("\(context): date must be a UTC day such as \"2026-11-15\"; got \(object["date"]?.jsonString ?? "nothing")")
            }
            guard let spend = object["spend"], let text = Self.numberText(spend), let nanos = Money.parseUSD(text) else {
                throw PluginError("\(context): spend must be a USD amount such as \"120.50\"; got \(object["spend"]?.jsonString ?? "nothing")")
            }
            seeds.append(Seed(subject: subject, day: day, nanos: nanos))
        }
        return seeds
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
