#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgateLedger
import TollgatePluginKit
import TollgateSQLite

/// GET /admin/spend (reader role): the ledger's cost over time, one series
/// per team, grant, model or feature, in day or hour buckets — what the
/// dashboard's "Spend over time" view draws.
///
/// The query is written here rather than taken from TollgateReports: a
/// plugin links only the kit, TollgateSQLite and TollgateLedger (the
/// reports module pulls in TollgateSupport and the gateway's own modules,
/// which a plugin's .so must not carry). The grouping expressions are
/// TollgateLedger's `LedgerGrouping`, which ReportDimension uses too, so
/// the totals agree with `tollgate report spend --by` (a test checks it).
///
/// Read with a read-only connection opened per request, never the
/// writer's; the range on `ts_us` goes through the `ledger_ts` index
/// (INDEXED BY: the query fails rather than scan the whole ledger).
struct SpendSeries {
    enum Dimension: String, CaseIterable {
        case team, grant, model, feature

        /// The grouped expression (as ReportDimension's, with the team
        /// qualified by its org: "demo/recs").
        var sql: String {
            switch self {
            case .team: return "CASE WHEN team IS NULL THEN NULL ELSE COALESCE(org, '') || '/' || team END"
            case .grant: return LedgerGrouping.grant
            case .model: return LedgerGrouping.model
            case .feature: return "feature"
            }
        }

        var join: String? {
            self == .grant ? LedgerGrouping.grantJoin : nil
        }
    }

    enum Bucket: String {
        case day, hour
        var micros: Int64 { self == .day ? 86_400_000_000 : 3_600_000_000 }

        func label(_ index: Int64) -> String {
            switch self {
            case .day: return String(UTCCalendar.iso8601(index * 86_400).prefix(10))
            case .hour: return String(UTCCalendar.iso8601(index * 3600).prefix(13)) + ":00Z"
            }
        }
    }

    /// The caller's scope as the host passes it ("" everything, "org/X",
    /// "team/X/Y"; anything else sees nothing).
    enum Scope: Equatable {
        case everything, org(String), team(String, String), nothing

        init(_ text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            if text.isEmpty {
                self = .everything
            } else if parts.count == 2, parts[0] == "org", !parts[1].isEmpty {
                self = .org(parts[1])
            } else if parts.count == 3, parts[0] == "team", !parts[1].isEmpty, !parts[2].isEmpty {
                self = .team(parts[1], parts[2])
            } else {
                self = .nothing
            }
        }
    }

    struct BadRequest: Error { var message: String }

    static let defaultDays = 14
    static let maxDays = 366
    static let hourBuckets: Int64 = 48

    var dimension: Dimension = .team
    var bucket: Bucket = .day
    var days = defaultDays
    /// Unix seconds the view ends at (the last bucket holds it).
    var until: Int64
    var scope: Scope

    /// `by`, `bucket`, `days` and `until` (Unix seconds, default now) from
    /// the query string.
    init(query: (String) -> String?, callerScope: String, now: Int64) throws {
        scope = Scope(callerScope)
        until = now
        if let by = query("by") {
            guard let value = Dimension(rawValue: by) else {
                throw BadRequest(message: "by must be one of team, grant, model, feature (not \"\(by)\")")
            }
            dimension = value
        }
        if let text = query("bucket") {
            guard let value = Bucket(rawValue: text) else {
                throw BadRequest(message: "bucket must be day or hour (not \"\(text)\")")
            }
            bucket = value
        }
        if let text = query("days") {
            guard let value = Int(text), (1...Self.maxDays).contains(value) else {
                throw BadRequest(message: "days must be a whole number from 1 to \(Self.maxDays) (not \"\(text)\")")
            }
            days = value
        }
        if let text = query("until") {
            guard let value = Int64(text), value >= 0 else {
                throw BadRequest(message: "until must be Unix seconds (not \"\(text)\")")
            }
            until = value
        }
    }

    /// The buckets shown, as bucket indexes (ts_us / bucket length).
    var bucketRange: ClosedRange<Int64> {
        let last = until * 1_000_000 / bucket.micros
        let count = bucket == .day ? Int64(days) : Self.hourBuckets
        return (last - count + 1)...last
    }

    /// The statement and its bindings.
    var sql: (text: String, bindings: [SQLiteValue]) {
        let range = bucketRange
        var text = "SELECT \(dimension.sql) AS k, ts_us / \(bucket.micros) AS b, SUM(cost_nanos) "
            + "FROM ledger INDEXED BY ledger_ts"
        if let join = dimension.join { text += " " + join }
        var bindings: [SQLiteValue] = [.integer(range.lowerBound * bucket.micros),
                                       .integer((range.upperBound + 1) * bucket.micros)]
        text += " WHERE ts_us >= ?1 AND ts_us < ?2"
        switch scope {
        case .everything, .nothing: break
        case .org(let org):
            bindings.append(.text(org))
            text += " AND org = ?3"
        case .team(let org, let team):
            bindings += [.text(org), .text(team)]
            text += " AND org = ?3 AND team = ?4"
        }
        text += " GROUP BY k, b"
        return (text, bindings)
    }

    /// The view as JSON: every bucket of the range in each series (zero
    /// where nothing was spent), series ordered by total cost, largest first.
    func json(ledgerPath: String) throws -> JSONValue {
        let range = bucketRange
        var totals: [String?: [Int64: Int64]] = [:]
        if scope != .nothing {
            let db = try SQLiteDatabase(path: ledgerPath, readOnly: true)
            let (text, bindings) = sql
            for row in try db.query(text, bindings) where row.count == 3 {
                let key = row[0].string ?? row[0].int64.map(String.init)
                guard let index = row[1].int64 else { continue }
                totals[key, default: [:]][index, default: 0] += row[2].int64 ?? 0
            }
        }
        struct Entry {
            var key: String?
            var sum: Int64
            var points: [Int64: Int64]
        }
        var ordered: [Entry] = []
        for (key, points) in totals {
            var sum: Int64 = 0
            for value in points.values { sum += value }
            ordered.append(Entry(key: key, sum: sum, points: points))
        }
        ordered.sort { a, b in
            if a.sum != b.sum { return a.sum > b.sum }
            return (a.key ?? "") < (b.key ?? "")
        }
        var series: [JSONValue] = []
        for entry in ordered {
            var points: [JSONValue] = []
            for index in range {
                let cost: Int64 = entry.points[index] ?? 0
                points.append(.object(JSONObject([("t", JSONValue.string(bucket.label(index))), ("cost_nanos", JSONValue.int(cost))])))
            }
            let key: JSONValue = entry.key.map { JSONValue.string($0) } ?? .null
            series.append(.object(JSONObject([("key", key), ("total_nanos", JSONValue.int(entry.sum)), ("points", JSONValue.array(points))])))
        }
        return .object(JSONObject([
            ("as_of", .string(UTCCalendar.iso8601(until))), ("by", .string(dimension.rawValue)),
            ("bucket", .string(bucket.rawValue)),
            ("from", .string(UTCCalendar.iso8601(range.lowerBound * bucket.micros / 1_000_000))),
            ("to", .string(UTCCalendar.iso8601((range.upperBound + 1) * bucket.micros / 1_000_000))),
            ("series", .array(series)),
        ]))
    }

    static func wallClock() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }

    static func error(_ message: String, status: UInt16 = 400) -> RouteResponse {
        .json(.object(JSONObject([("error", .object(JSONObject([
            ("type", .string("invalid_request_error")), ("message", .string(message)),
        ])))])), status: status)
    }
}
