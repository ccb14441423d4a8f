import TollgateJSON
import TollgateUnits

/// One entry of the exception log (`GET /admin/exceptions`,
/// `GET /admin/exceptions/ID`, the answers of request, approve, deny and
/// draw), read tolerantly: a missing or oddly typed field is nil.
package struct ExceptionEntry: Equatable, Sendable {
    package var id: String
    package var kind: String?
    package var grant: String?
    package var bucket: String?
    package var amount: String?
    package var amountNanos: Int64?
    package var starts: String?
    package var ends: String?
    package var reason: String?
    package var useCase: String?
    package var pool: String?
    package var requestedBy: String?
    package var requestedAt: String?
    package var expires: String?
    package var decision: String?
    package var decidedBy: String?
    package var decidedAt: String?
    package var condition: String?
    package var denialReason: String?
    package var immediate: Bool
    package var status: String?
    package var spentUnder: String?
    package var spentUnderNanos: Int64?
    /// The burst draw's answer says what happened ("Granted: ...").
    package var note: String?

    package init(json e: JSONValue) {
        id = e["id"].text ?? "?"
        kind = e["kind"].text
        grant = e["grant"].text
        bucket = e["bucket"].text
        amount = Display.money(e["amount"], nanos: e["amount_nanos"])
        amountNanos = e["amount_nanos"].integer
        starts = Display.instant(e["starts"])
        ends = Display.instant(e["ends"])
        reason = e["reason"].text
        useCase = e["use_case"].text
        pool = e["pool"].text
        requestedBy = e["requested_by"].text
        requestedAt = Display.instant(e["requested_at"])
        expires = Display.instant(e["expires"])
        decision = e["decision"].text
        decidedBy = e["decided_by"].text
        decidedAt = Display.instant(e["decided_at"])
        condition = e["condition"].text
        denialReason = e["denial_reason"].text
        immediate = e["immediate"]?.boolValue ?? false
        status = e["status"].text
        spentUnder = Display.money(e["spent_under"], nanos: e["spent_under_nanos"])
        spentUnderNanos = e["spent_under_nanos"].integer
        note = e["note"].text
    }

    package var isBurst: Bool { kind == "burst" }
}

/// The exception log document: when, and the entries (oldest first).
package struct ExceptionLog: Equatable, Sendable {
    package var asOf: String?
    package var entries: [ExceptionEntry]

    package struct NotALog: Error, CustomStringConvertible {
        package var description: String
    }

    package init(json: JSONValue) throws {
        guard case .object = json, case .array(let items)? = json["exceptions"] else {
            throw NotALog(description: "the answer is not an exception log (no \"exceptions\" list)")
        }
        asOf = Display.instant(json["as_of"])
        entries = items.compactMap { item in
            guard case .object = item, item["id"].text != nil else { return nil }
            return ExceptionEntry(json: item)
        }
    }
}

/// How `tollgate exceptions` prints the log, and `tollgate exception` one
/// entry. I/O-free.
package enum ExceptionFormat: String, CaseIterable, Sendable {
    case table, csv, json, markdown

    /// `raw` is the server's JSON (for `json`), `log` what was read from it.
    package func render(_ log: ExceptionLog, raw: JSONValue) -> String {
        switch self {
        case .table: return Self.table(log)
        case .csv: return Self.csv(log)
        case .json: return TextLayout.prettyJSON(raw)
        case .markdown: return Self.markdown(log)
        }
    }

    // MARK: cells

    /// "recs", or "recs (production)" when the raise is on one class's bucket.
    static func grantCell(_ e: ExceptionEntry) -> String {
        let grant = e.grant ?? Display.none
        guard let bucket = e.bucket, bucket != "all", !bucket.isEmpty else { return grant }
        return "\(grant) (\(bucket))"
    }

    static func kindCell(_ e: ExceptionEntry) -> String {
        switch e.kind {
        case "burst"?: return "burst draw"
        case let kind?: return kind
        case nil: return Display.none
        }
    }

    /// "2026-12-03 13:30Z to 2026-12-31": as the options are written, a
    /// date alone is a whole day (from its start; through its end).
    package static func window(_ e: ExceptionEntry) -> String {
        let start = e.starts.map { Instant.startText($0) } ?? "?"
        let end = e.ends.map { Instant.endText($0) } ?? "?"
        return "\(start) to \(end)"
    }

    /// "credential:chair" -> "chair"; "master" stays.
    static func actor(_ name: String?) -> String? {
        guard let name else { return nil }
        return name.hasPrefix("credential:") ? String(name.dropFirst("credential:".count)) : name
    }

    static func approverCell(_ e: ExceptionEntry) -> String {
        if e.immediate { return "(within limit)" }
        return actor(e.decidedBy) ?? Display.none
    }

    static func conditionCell(_ e: ExceptionEntry) -> String {
        if let condition = e.condition, !condition.isEmpty { return condition }
        if let denial = e.denialReason, !denial.isEmpty { return "denied: \(denial)" }
        return Display.none
    }

    /// What the status means and what happens next.
    package static func statusLine(_ e: ExceptionEntry) -> String {
        let status = e.status ?? e.decision ?? "?"
        let grant = e.grant ?? "the grant"
        let amount = e.amount ?? "the raise"
        switch status {
        case "pending":
            let by = deadline(e).map { " before \($0), when an undecided request expires" } ?? ""
            return "pending: an approver decides (tollgate exception approve \(e.id))\(by)"
        case "approved":
            return "approved: grant \(grant) gets \(amount) more from \(e.starts.map(Instant.startText) ?? "its start")"
        case "active":
            let end = e.ends.map(Instant.endPhrase) ?? "to the window's end"
            return "active: grant \(grant) has \(amount) more \(end), then it lapses by itself"
        case "lapsed":
            return "lapsed: the window ended; grant \(grant) is back to its baseline"
        case "denied":
            return "denied" + (e.denialReason.map { ": \($0)" } ?? "")
        case "expired":
            return "expired: nobody decided" + (deadline(e).map { " before \($0)" } ?? "") + "; file a new request if it is still needed"
        default:
            return status
        }
    }

    /// When an undecided request expires: its expiry, or its window's end
    /// when that comes first (both RFC 3339 in UTC, so they sort as text).
    static func deadline(_ e: ExceptionEntry) -> String? {
        guard let expires = e.expires else { return e.ends }
        guard let ends = e.ends, Instant.parts(ends) != nil, Instant.parts(expires) != nil else { return expires }
        return min(expires, ends)
    }

    /// A cell of the table: on one line.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\r\n", "\n", "\r": out += " "  // "\r\n" is one Character
            default: out.append(c)
            }
        }
        return out
    }

    static let columns = ["id", "kind", "grant", "amount", "window", "status", "requester", "reason", "approver",
                          "condition", "spent under"]

    static func cells(_ e: ExceptionEntry) -> [String] {
        [e.id, kindCell(e), grantCell(e), e.amount ?? Display.none, window(e), e.status ?? Display.none,
         actor(e.requestedBy) ?? Display.none, e.reason ?? Display.none, approverCell(e), conditionCell(e),
         e.spentUnder ?? Display.none]
    }

    static func heading(_ log: ExceptionLog) -> String {
        "Exception log" + (log.asOf.map { " as of \($0)" } ?? "")
    }

    // MARK: table

    static func table(_ log: ExceptionLog) -> String {
        var out = heading(log) + "\n\n"
        guard !log.entries.isEmpty else { return out + "No exceptions.\n" }
        out += TextLayout.table(header: columns, rows: log.entries.map { cells($0).map(oneLine) }, rightAligned: [3, 10])
        return out
    }

    // MARK: csv (RFC 4180, every field, exact nano-dollars beside the decimals)

    static let csvColumns = ["id", "kind", "grant", "bucket", "amount", "amount_nanos", "starts", "ends", "status", "decision",
                             "requested_by", "requested_at", "expires", "reason", "use_case", "pool", "immediate",
                             "decided_by", "decided_at", "condition", "denial_reason", "spent_under", "spent_under_nanos"]

    static func csv(_ log: ExceptionLog) -> String {
        var out = TextLayout.csvRecord(csvColumns)
        func n(_ v: Int64?) -> String { v.map(String.init) ?? "" }
        func dollars(_ s: String?) -> String {
            guard let s else { return "" }
            return s.hasPrefix("$") ? String(s.dropFirst()) : s.hasPrefix("-$") ? "-" + s.dropFirst(2) : s
        }
        for e in log.entries {
            out += TextLayout.csvRecord([
                e.id, e.kind ?? "", e.grant ?? "", e.bucket ?? "", dollars(e.amount), n(e.amountNanos), e.starts ?? "",
                e.ends ?? "", e.status ?? "", e.decision ?? "", e.requestedBy ?? "", e.requestedAt ?? "", e.expires ?? "",
                e.reason ?? "", e.useCase ?? "", e.pool ?? "", e.immediate ? "true" : "false", e.decidedBy ?? "",
                e.decidedAt ?? "", e.condition ?? "", e.denialReason ?? "", dollars(e.spentUnder), n(e.spentUnderNanos),
            ])
        }
        return out
    }

    // MARK: markdown (what goes into the committee's notes)

    static func markdown(_ log: ExceptionLog) -> String {
        var out = "## Exception log as of \(log.asOf ?? "(unknown)")\n\n"
        guard !log.entries.isEmpty else { return out + "No exceptions.\n" }
        let header = ["Id", "Kind", "Grant", "Amount", "Window", "Status", "Requester", "Reason", "Approver", "Condition",
                      "Spent under"]
        out += TextLayout.markdownRow(header)
        out += TextLayout.markdownRow(header.indices.map { [3, 10].contains($0) ? "---:" : "---" })
        for e in log.entries {
            var row = cells(e)
            if let useCase = e.useCase, !useCase.isEmpty { row[7] += " (use case: \(useCase))" }
            out += TextLayout.markdownRow(row.map(TextLayout.markdownCell))
        }
        var counts: [(String, Int)] = []
        for status in ExceptionQuery.statuses {
            let n = log.entries.filter { $0.status == status }.count
            if n > 0 { counts.append((status, n)) }
        }
        let total = log.entries.count
        out += "\n\(total) \(total == 1 ? "entry" : "entries")"
        if !counts.isEmpty { out += ": " + counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ") }
        out += ".\n"
        return out
    }

    // MARK: one entry

    /// One entry, a field per line; the status says what happens next.
    package static func detail(_ e: ExceptionEntry) -> String {
        var lines: [(String, String)] = []
        func add(_ label: String, _ value: String?) { if let value, !value.isEmpty { lines.append((label, value)) } }
        add(e.isBurst ? "burst draw" : "exception", e.id)
        add("grant", grantCell(e))
        add("amount", e.amount)
        add("window", window(e))
        add("reason", e.reason)
        add("use case", e.useCase)
        add("pool", e.pool)
        add("requested", [e.requestedBy.map { "by \($0)" }, e.requestedAt.map { "at \($0)" }].compactMap { $0 }.joined(separator: " "))
        add("status", statusLine(e))
        if e.immediate {
            add("decided", "granted at once, within the borrowing limit and the pool's room")
        } else if e.decision == "approved" || e.decision == "denied" {
            add("decided", ([e.decision, e.decidedBy.map { "by \($0)" }, e.decidedAt.map { "at \($0)" }] as [String?])
                .compactMap { $0 }.joined(separator: " "))
        }
        add("condition", e.condition)
        add("denial reason", e.denialReason)
        add("spent under", e.spentUnder)
        let width = lines.map(\.0.count).max() ?? 0
        // A value's further lines (a reason written on several) under its first.
        let hanging = "\n" + String(repeating: " ", count: width + 2)
        return lines.map { label, value in
            let text = value.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
                .joined(separator: hanging)
            return label + String(repeating: " ", count: width - label.count) + "  " + text + "\n"
        }.joined()
    }

    /// The first line `exception request`, `approve`, `deny` and
    /// `burst draw` print, above the entry.
    package static func headline(_ e: ExceptionEntry, action: String) -> String {
        let what = e.isBurst ? "Burst draw \(e.id)" : "Exception \(e.id)"
        switch action {
        case "draw":
            if let note = e.note { return "\(what): \(note)" }
            return e.decision == "pending" ? "\(what) filed for approval." : "\(what) granted."
        case "request":
            return "\(what) filed."
        default:
            return "\(what) \(action)" + (e.decidedBy.map { " by \($0)" } ?? "") + "."
        }
    }
}

/// RFC 3339 instants as the server writes them ("2026-12-31T00:00:00Z"),
/// shown as people wrote the options.
enum Instant {
    /// (year, month, day, "HH:MM:SS") of "YYYY-MM-DDTHH:MM:SSZ", else nil.
    static func parts(_ text: String) -> (Int64, Int64, Int64, String)? {
        let u = Array(text.utf8)
        guard u.count == 20, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T"),
              u[19] == UInt8(ascii: "Z"),
              let y = Int64(String(decoding: u[0..<4], as: UTF8.self)),
              let m = Int64(String(decoding: u[5..<7], as: UTF8.self)),
              let d = Int64(String(decoding: u[8..<10], as: UTF8.self)) else { return nil }
        return (y, m, d, String(decoding: u[11..<19], as: UTF8.self))
    }

    /// A start: the day alone at midnight ("from the 24th"), else day and minute.
    static func startText(_ text: String) -> String {
        guard let (_, _, _, time) = parts(text) else { return text }
        return time == "00:00:00" ? String(text.prefix(10)) : minute(text)
    }

    /// An end: at midnight, the day before (the last day of the window, as
    /// `--ends 2026-12-31` is written), else day and minute.
    static func endText(_ text: String) -> String {
        guard let (y, m, d, time) = parts(text) else { return text }
        guard time == "00:00:00" else { return minute(text) }
        let previous = UTCCalendar.civil(fromDays: UTCCalendar.days(year: y, month: m, day: d) - 1)
        return String(format4(previous.year)) + "-" + two(previous.month) + "-" + two(previous.day)
    }

    /// "through 2026-12-31" or "until 2026-12-31 18:00Z".
    static func endPhrase(_ text: String) -> String {
        guard let (_, _, _, time) = parts(text) else { return "until \(text)" }
        return (time == "00:00:00" ? "through " : "until ") + endText(text)
    }

    private static func minute(_ text: String) -> String {
        guard let (_, _, _, time) = parts(text) else { return text }
        let seconds = time.suffix(2)
        return String(text.prefix(10)) + " " + String(time.prefix(5)) + (seconds == "00" ? "" : ":" + seconds) + "Z"
    }

    private static func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
    private static func format4(_ n: Int64) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}

/// `GET /admin/burst`: each org's pool, what is lent now, and each team's
/// borrowing limit.
package enum BurstFormat {
    package static func pools(_ document: JSONValue) -> String {
        let pools = document["pools"]?.arrayValue ?? []
        guard !pools.isEmpty else { return "No burst pools (burst_pools in the gateway's config).\n" }
        var out = ""
        for (i, pool) in pools.enumerated() {
            if i > 0 { out += "\n" }
            let d = Display.none
            out += "Burst pool of \(pool["org"].text ?? "?"): \(Display.money(pool["amount"], nanos: pool["amount_nanos"]) ?? d), "
                + "lent now \(Display.money(pool["lent"], nanos: pool["lent_nanos"]) ?? d), "
                + "room \(Display.money(pool["room"], nanos: pool["room_nanos"]) ?? d)\n"
            let teams = pool["teams"]?.arrayValue ?? []
            if teams.isEmpty {
                out += "  No team may draw at once (no borrow_limits): every draw goes to an approver.\n"
                continue
            }
            let rows = teams.map { t -> [String] in
                var room = d
                if let limit = t["borrow_limit_nanos"].integer, let lent = t["lent_nanos"].integer {
                    room = Money.format(nanos: max(0, limit - lent))
                }
                return [t["team"].text ?? "?", Display.money(t["borrow_limit"], nanos: t["borrow_limit_nanos"]) ?? d,
                        Display.money(t["lent"], nanos: t["lent_nanos"]) ?? d, room]
            }
            out += "\n" + TextLayout.table(header: ["team", "borrow limit", "lent now", "room"], rows: rows, rightAligned: [1, 2, 3])
        }
        return out
    }
}

/// What `tollgate exceptions verify` found in the log's hash chain.
package struct ChainReport: Equatable, Sendable {
    package var events: Int
    /// The first event whose hash or link does not match; nil when intact.
    package var firstBroken: Int64?
    package var problem: String?

    package init(events: Int, firstBroken: Int64?, problem: String?) {
        self.events = events
        self.firstBroken = firstBroken
        self.problem = problem
    }

    /// `GET /admin/exceptions/verify`'s answer.
    package init(json: JSONValue) throws {
        guard let events = json["events"].integer, let intact = json["intact"]?.boolValue else {
            throw ExceptionLog.NotALog(description: "the answer is not a chain verification (no \"events\" and \"intact\")")
        }
        self.events = Int(events)
        firstBroken = intact ? nil : (json["first_broken"].integer ?? 0)
        problem = json["problem"].text
    }

    package var intact: Bool { firstBroken == nil }

    /// 0 intact, 1 broken.
    package var exitCode: Int32 { intact ? 0 : 1 }

    package var text: String {
        guard let broken = firstBroken else { return "intact: \(events) \(events == 1 ? "event" : "events")\n" }
        return "BROKEN at event \(broken): \(problem ?? "the hash chain does not hold")\n"
    }
}
