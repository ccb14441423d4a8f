import TollgateLedger
import TollgateSQLite
import TollgateSupport
import TollgateJSON
import TollgateUnits

/// One `--by` grouping of a spend report: a ledger column, a derived
/// value (the model that was paid for, a time bucket), any tag
/// (`tag.NAME`, read from the `tags` JSON column), or each grant on the
/// request's path (`grant`, which counts a row once under every grant it
/// was charged to, so the groups nest).
package struct ReportDimension: Equatable, Sendable {
    /// The name as the report prints it (column header, JSON key).
    package let name: String
    /// The SQL expression grouped on.
    let sql: String
    /// How a grouped value is printed (time buckets are grouped as
    /// integers, which is faster than formatting every row in SQL).
    let bucket: Bucket
    /// A table-valued function joined to `ledger` for this dimension: a row
    /// is then scanned once per value it yields (LEFT JOIN: once, with
    /// NULL, when it yields none). Nil for a plain expression.
    var join: String? = nil
    /// Ledger columns it reads that a ledger of an older schema lacks.
    var columnsSinceVersion1: [String] = []
    /// The same value from the daily rollup (`ledger_daily`), for a
    /// dimension `rollupColumns` does not know (a report's own bucket).
    var rollup: String? = nil

    /// The dimensions the daily rollup can group by: the SQL over a ledger
    /// row -> the same over a rollup row.
    static let rollupColumns: [String: String] = [
        "org": "org", "team": "team", "feature": "feature", "owner": "owner", "key_class": "key_class",
        "provider": "provider", LedgerGrouping.model: "model", "grant_owner": "grant_owner",
        LedgerGrouping.grant: LedgerGrouping.grant,
        "ts_us / 86400000000": "day",
        "strftime('%Y-%m', ts_us / 1000000, 'unixepoch')": "strftime('%Y-%m', day * 86400, 'unixepoch')",
    ]

    /// The expression over a `ledger_daily` row; nil when the rollup does
    /// not have the value (the report then reads the ledger's rows).
    var rollupSQL: String? {
        guard join == nil || rollupJoin != nil else { return nil }
        return rollup ?? Self.rollupColumns[sql]
    }

    /// `join` over the rollup (`grant`: its `grant_ids` column).
    var rollupJoin: String? {
        join == LedgerGrouping.grantJoin ? "LEFT JOIN json_each(ledger_daily.grant_ids) AS grant_path" : nil
    }

    /// `grant`: each grant on the request's path (`grant_ids`, a JSON array).
    static let grant = ReportDimension(name: "grant", sql: LedgerGrouping.grant, bucket: .none,
                                       join: LedgerGrouping.grantJoin,
                                       columnsSinceVersion1: ["grant_ids"])

    /// `exception`: each exception or burst draw that admitted the request
    /// (`exception_ids`); rows admitted by none group under NULL.
    static let exception = ReportDimension(name: "exception", sql: "exception_path.value", bucket: .none,
                                           join: "LEFT JOIN json_each(ledger.exception_ids) AS exception_path",
                                           columnsSinceVersion1: ["exception_ids"])

    /// The dimension scans a row several times (see `join`): its groups
    /// nest and add up to more than the ledger holds.
    var explodesRows: Bool { join != nil }

    enum Bucket: Equatable, Sendable { case none, hour, day, month }

    package struct UnknownDimension: Error, Equatable, CustomStringConvertible {
        package var text: String
        package var description: String {
            "unknown --by dimension \"\(text)\"; use one of: \(ReportDimension.names.joined(separator: ", ")), "
                + "or tag.NAME for any other tag"
        }
    }

    /// Every named dimension: (name, SQL expression).
    static let columns: [(String, String)] = [
        ("org", "org"), ("team", "team"), ("key", "key_id"), ("owner", "owner"), ("class", "key_class"),
        ("end_user", "end_user"), ("feature", "feature"), ("environment", "environment"),
        ("experiment", "experiment"), ("use_case", "use_case"), ("provider", "provider"),
        ("deployment", "deployment"),
        // What was paid for: the model that served, else (no upstream) the one asked for.
        ("model", LedgerGrouping.model),
        ("model_requested", "model_requested"), ("model_served", "model_served"), ("api", "api"),
        ("outcome", "outcome"), ("status", "status"), ("decided_by", "decided_by"), ("stream", "stream"),
        ("estimated", "usage_estimated"), ("request_id", "request_id"),
        // The owner of the deepest grant the request was charged to.
        ("grant_owner", "grant_owner"),
    ]
    static let aliases: [String: String] = ["key_id": "key", "key_class": "class", "usage_estimated": "estimated",
                                            "user": "end_user", "grant_id": "grant", "grant_ids": "grant",
                                            "exception_ids": "exception"]
    static let buckets: [(String, Bucket)] = [("hour", .hour), ("day", .day), ("month", .month)]
    package static var names: [String] { columns.map(\.0) + [grant.name, exception.name] + buckets.map(\.0) }

    package static func parse(_ raw: String) throws -> ReportDimension {
        let text = raw.trimmingWhitespace()
        let name = aliases[text] ?? text
        if let column = columns.first(where: { $0.0 == name }) {
            return ReportDimension(name: name, sql: column.1, bucket: .none,
                                   columnsSinceVersion1: name == "grant_owner" ? ["grant_owner"] : [])
        }
        switch name {
        case "grant": return grant
        case "exception": return exception
        case "hour": return ReportDimension(name: name, sql: "ts_us / 3600000000", bucket: .hour)
        case "day": return ReportDimension(name: name, sql: "ts_us / 86400000000", bucket: .day)
        case "month":
            return ReportDimension(name: name, sql: "strftime('%Y-%m', ts_us / 1000000, 'unixepoch')", bucket: .month)
        default: break
        }
        if name.hasPrefix("tag."), name.count > 4 {
            let tag = String(name.dropFirst(4))
            // Inlined in a JSON path: only plain names, so no quoting games.
            let plain = tag.utf8.allSatisfy { b in
                (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
            }
            if plain {
                let wellKnown = ["feature", "environment", "experiment", "use_case", "end_user"]
                if wellKnown.contains(tag) { return ReportDimension(name: tag, sql: tag, bucket: .none) }
                return ReportDimension(name: name, sql: "json_extract(tags, '$.\"\(tag)\"')", bucket: .none)
            }
        }
        throw UnknownDimension(text: raw)
    }

    /// `--by team,feature,model`.
    package static func parseList(_ text: String) throws -> [ReportDimension] {
        let parts = text.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        var out: [ReportDimension] = []
        for part in parts {
            let dimension = try parse(part)
            if !out.contains(dimension) { out.append(dimension) }
        }
        return out
    }

    /// A grouped value as text (nil for SQL NULL).
    func render(_ value: SQLiteValue) -> String? {
        switch (bucket, value) {
        case (_, .null): return nil
        case (.hour, .integer(let hours)):
            return String(UTCCalendar.iso8601(hours * 3600).prefix(13)) + ":00Z"
        case (.day, .integer(let days)):
            return String(UTCCalendar.iso8601(days * 86_400).prefix(10))
        case (_, .integer(let v)): return String(v)
        case (_, .real(let v)): return String(v)
        case (_, .text(let v)): return v
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
