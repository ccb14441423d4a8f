import TollgateJSON
import TollgateUnits

/// `GET /admin/allocation` (served by the budget plugin), read tolerantly:
/// a field that is missing or of another type is nil, never an error.
package struct Allocation: Equatable, Sendable {
    package struct Bucket: Equatable, Sendable {
        package var name: String
        package var classes: [String] = []
        package var amount: String?
        package var amountNanos: Int64?
        package var spent: String?
        package var spentNanos: Int64?
        package var inFlight: String?
        package var reservedNanos: Int64?
        package var remaining: String?
        package var remainingNanos: Int64?
        package var usedPercent: String?
        package var tier: String?
        package var windowStart: String?
        package var resetsAt: String?
    }

    package struct Rationale: Equatable, Sendable {
        package var text: String?
        package var trailingUsage: String?
        package var forecast: String?
        package var priority: String?
    }

    package struct Grant: Equatable, Sendable {
        package var id: String
        package var parent: String?
        package var depth: Int
        package var scope: String?
        package var level: String?
        package var owner: String?
        package var grantClass: String?
        package var period: String?
        package var tpm: String?
        package var rpm: String?
        package var renews: String?
        package var review: String?
        package var rationale = Rationale()
        package var status: String?
        package var source: String?
        package var buckets: [Bucket] = []

        package var isActive: Bool { status == nil || status == "active" }
    }

    package struct Pool: Equatable, Sendable {
        package var provider: String?
        package var model: String?
        package var tpm: String?
        package var committed: String?
        package var period: String?
    }

    package struct Capacity: Equatable, Sendable {
        package var pools: [Pool] = []
        package var allocatedTPM: String?
        package var purchasedTPM: String?
        package var tpmPercent: String?
        package var allocatedMonthly: String?
        package var purchasedMonthly: String?
        package var moneyPercent: String?
        package var moneyPercentValue: Double?
        package var tpmPercentValue: Double?
        package var warnAbovePercent: Int64?
    }

    package var asOf: String?
    package var version: String?
    /// In tree order (each grant before its children), depth from the root.
    package var grants: [Grant]
    package var capacity: Capacity?

    package struct NotAnAllocation: Error, CustomStringConvertible {
        package var description: String
    }

    /// Reads the document; throws only when it is not an object with a
    /// `grants` list.
    package init(json: JSONValue) throws {
        guard case .object = json, case .array(let items)? = json["grants"] else {
            throw NotAnAllocation(description: "the answer is not an allocation document (no \"grants\" list)")
        }
        asOf = Display.instant(json["as_of"])
        version = json["version"].text
        let read: [(grant: Grant, depth: Int?)] = items.compactMap { item in
            guard let id = item["id"].text else { return nil }
            var grant = Grant(id: id, parent: item["parent"].text, depth: 0)
            grant.scope = item["scope"].text
            grant.level = item["level"].text
            grant.owner = item["owner"].text
            grant.grantClass = item["class"].text
            grant.period = item["period"].text
            grant.tpm = item["tpm"].text
            grant.rpm = item["rpm"].text
            grant.renews = Display.day(item["renews"], firstSecondAfter: item["renews_at"])
            grant.review = Display.day(item["review"], firstSecondAfter: item["review_at"])
            switch item["rationale"] {
            case .string(let text)?:
                grant.rationale.text = text
            case .object?:
                let r = item["rationale"]
                grant.rationale = Rationale(text: r?["text"].text, trailingUsage: r?["trailing_usage"].text,
                                            forecast: r?["forecast"].text, priority: r?["priority"].text)
            default:
                break
            }
            grant.status = item["status"].text
            grant.source = item["source"].text
            grant.buckets = (item["buckets"]?.arrayValue ?? []).map { b in
                Bucket(name: b["name"].text ?? "all",
                       classes: (b["classes"]?.arrayValue ?? []).compactMap(\.text),
                       amount: Display.money(b["amount"], nanos: b["amount_nanos"]), amountNanos: b["amount_nanos"].integer,
                       spent: Display.money(b["spent"], nanos: b["spent_nanos"]), spentNanos: b["spent_nanos"].integer,
                       inFlight: Display.money(b["in_flight"], nanos: b["reserved_nanos"]), reservedNanos: b["reserved_nanos"].integer,
                       remaining: Display.money(b["remaining"], nanos: b["remaining_nanos"]),
                       remainingNanos: b["remaining_nanos"].integer,
                       usedPercent: Display.percent(b["used_percent"]), tier: b["tier"].text,
                       windowStart: Display.instant(b["window_start"]), resetsAt: Display.instant(b["resets_at"]))
            }
            return (grant, item["depth"].integer.map { Int(max(0, min($0, 64))) })
        }
        grants = TreeOrder.arrange(read.map(\.grant), id: \.id, parent: \.parent).map { entry in
            var grant = entry.element
            grant.depth = read.first { $0.grant.id == grant.id }?.depth ?? entry.depth
            return grant
        }
        if case .object? = json["capacity"] {
            let c = json["capacity"]
            capacity = Capacity(
                pools: (c?["pools"]?.arrayValue ?? []).map { p in
                    Pool(provider: p["provider"].text, model: p["model"].text, tpm: p["tpm"].text,
                         committed: Display.money(p["committed"], nanos: p["committed_nanos"]), period: p["period"].text)
                },
                allocatedTPM: c?["allocated_tpm"].text, purchasedTPM: c?["purchased_tpm"].text,
                tpmPercent: Display.percent(c?["tpm_percent"]),
                allocatedMonthly: Display.money(c?["allocated_monthly"], nanos: c?["allocated_monthly_nanos"]),
                purchasedMonthly: Display.money(c?["purchased_monthly"], nanos: c?["purchased_monthly_nanos"]),
                moneyPercent: Display.percent(c?["money_percent"]),
                moneyPercentValue: c?["money_percent"]?.doubleValue,
                tpmPercentValue: c?["tpm_percent"]?.doubleValue,
                warnAbovePercent: c?["warn_above_percent"].integer)
        }
    }
}

/// Orders a forest so each node comes right after its parent (siblings in
/// the order given); a node whose parent is absent is a root. Depth counts
/// from the root shown.
package enum TreeOrder {
    package static func arrange<T>(_ items: [T], id: (T) -> String, parent: (T) -> String?) -> [(element: T, depth: Int)] {
        let ids = Set(items.map(id))
        var children: [String: [Int]] = [:]
        var roots: [Int] = []
        for (index, item) in items.enumerated() {
            if let p = parent(item), p != id(item), ids.contains(p) {
                children[p, default: []].append(index)
            } else {
                roots.append(index)
            }
        }
        var out: [(T, Int)] = []
        var placed = Set<Int>()
        func visit(_ index: Int, _ depth: Int) {
            guard placed.insert(index).inserted else { return }
            out.append((items[index], depth))
            for child in children[id(items[index])] ?? [] { visit(child, depth + 1) }
        }
        for root in roots { visit(root, 0) }
        // A cycle has no root: show what is left flat rather than drop it.
        for index in items.indices where !placed.contains(index) { visit(index, 0) }
        return out
    }
}

/// How `tollgate allocation` prints the allocation. I/O-free.
package enum AllocationFormat: String, CaseIterable, Sendable {
    case table, csv, json, markdown

    /// `raw` is the server's JSON (for `json`), `allocation` what was read from it.
    package func render(_ allocation: Allocation, raw: JSONValue) -> String {
        switch self {
        case .table: return Self.table(allocation)
        case .csv: return Self.csv(allocation)
        case .json: return TextLayout.prettyJSON(raw)
        case .markdown: return Self.markdown(allocation)
        }
    }

    /// "production", or "both/production" when a bucket of a two-class
    /// grant is named after one class.
    static func classBucket(_ grant: Allocation.Grant, _ bucket: Allocation.Bucket) -> String {
        guard let grantClass = grant.grantClass else { return bucket.name }
        return grantClass == bucket.name ? grantClass : "\(grantClass)/\(bucket.name)"
    }

    static func amountPeriod(_ grant: Allocation.Grant, _ bucket: Allocation.Bucket) -> String {
        let amount = bucket.amount ?? Display.none
        return grant.period.map { "\(amount)/\($0)" } ?? amount
    }

    static func grantLabel(_ grant: Allocation.Grant) -> String {
        grant.isActive ? grant.id : "\(grant.id) (\(grant.status ?? "inactive"))"
    }

    /// One row per bucket (a grant without buckets still gets one): the
    /// grant, and the bucket or nil.
    static func rows(_ allocation: Allocation) -> [(grant: Allocation.Grant, bucket: Allocation.Bucket?, first: Bool)] {
        allocation.grants.flatMap { grant -> [(Allocation.Grant, Allocation.Bucket?, Bool)] in
            grant.buckets.isEmpty ? [(grant, nil, true)] : grant.buckets.enumerated().map { (grant, $1, $0 == 0) }
        }
    }

    static let columns = ["grant", "scope", "owner", "class/bucket", "amount/period", "tpm quota", "spent", "in flight",
                          "remaining", "used", "tier", "renews", "review"]

    /// The cells of one row for the table and Markdown (grant-level cells
    /// only on a grant's first row).
    static func cells(_ grant: Allocation.Grant, _ bucket: Allocation.Bucket?, first: Bool, indent: String) -> [String] {
        let d = Display.none
        let grantCells = first ? [indent + grantLabel(grant), grant.scope ?? d, grant.owner ?? d] : ["", "", ""]
        let bucketCells: [String]
        if let bucket {
            bucketCells = [classBucket(grant, bucket), amountPeriod(grant, bucket), first ? grant.tpm ?? d : "",
                           bucket.spent ?? d, bucket.inFlight ?? d, bucket.remaining ?? d, bucket.usedPercent ?? d,
                           bucket.tier ?? d]
        } else {
            bucketCells = [grant.grantClass ?? d, d, grant.tpm ?? d, d, d, d, d, d]
        }
        let dates = first ? [grant.renews ?? d, grant.review ?? d] : ["", ""]
        return grantCells + bucketCells + dates
    }

    // MARK: table

    static func table(_ allocation: Allocation) -> String {
        var out = heading(allocation) + "\n\n"
        let rows = rows(allocation).map { row in
            cells(row.grant, row.bucket, first: row.first, indent: String(repeating: "  ", count: row.grant.depth))
        }
        if rows.isEmpty {
            out += "No grants.\n"
        } else {
            out += TextLayout.table(header: columns, rows: rows, rightAligned: [5, 6, 7, 8, 9])
        }
        if let capacity = allocation.capacity {
            out += "\n" + capacityText(capacity)
        }
        return out
    }

    static func heading(_ allocation: Allocation) -> String {
        var text = "Allocation"
        if let asOf = allocation.asOf { text += " as of \(asOf)" }
        if let version = allocation.version { text += " (grant table version \(version))" }
        return text
    }

    /// The capacity section of the table: allocated against purchased.
    static func capacityText(_ c: Allocation.Capacity) -> String {
        var out = "Capacity\n"
        out += "  tokens per minute  " + tpmSentence(c) + "\n"
        out += "  monthly spend      " + moneySentence(c) + "\n"
        if let warning = warning(c) { out += "  WARNING: " + warning + "\n" }
        if !c.pools.isEmpty {
            out += "  pools\n"
            let rows = c.pools.map { p in
                [p.provider ?? Display.none, p.model ?? "(all models)",
                 p.tpm.map { "\($0) tpm" } ?? Display.none,
                 p.committed.map { "\($0) \(p.period ?? "")".trimmingTrailingSpace() } ?? Display.none]
            }
            out += TextLayout.aligned(rows, indent: "    ", rightAligned: [2])
        }
        return out
    }

    static func tpmSentence(_ c: Allocation.Capacity) -> String {
        let allocated = c.allocatedTPM ?? "0"
        guard let purchased = c.purchasedTPM, purchased != "0" else { return "allocated \(allocated); none purchased" }
        return "allocated \(allocated) of \(purchased) purchased" + (c.tpmPercent.map { " (\($0))" } ?? "")
    }

    static func moneySentence(_ c: Allocation.Capacity) -> String {
        let allocated = c.allocatedMonthly ?? "$0.00"
        guard let purchased = c.purchasedMonthly, purchased != "$0.00" else { return "allocated \(allocated); none committed" }
        return "allocated \(allocated) of \(purchased) committed" + (c.moneyPercent.map { " (\($0))" } ?? "")
    }

    /// Said when an allocated share is above the configured warning line.
    static func warning(_ c: Allocation.Capacity) -> String? {
        guard let line = c.warnAbovePercent else { return nil }
        var over: [String] = []
        if let p = c.tpmPercentValue, p > Double(line) { over.append("tokens per minute \(c.tpmPercent ?? "")") }
        if let p = c.moneyPercentValue, p > Double(line) { over.append("monthly spend \(c.moneyPercent ?? "")") }
        guard !over.isEmpty else { return nil }
        return "allocated above \(line)% of purchased capacity: " + over.joined(separator: ", ")
    }

    // MARK: csv (RFC 4180: every row complete, so a spreadsheet can filter)

    static let csvColumns = ["grant", "parent", "depth", "scope", "level", "owner", "class", "bucket", "bucket_classes",
                             "amount", "amount_nanos", "period", "tpm", "rpm", "spent", "spent_nanos", "in_flight",
                             "reserved_nanos", "remaining", "remaining_nanos", "used_percent", "tier", "window_start",
                             "resets_at", "renews", "review", "status", "source", "rationale", "trailing_usage",
                             "forecast", "priority"]

    static func csv(_ allocation: Allocation) -> String {
        var out = TextLayout.csvRecord(csvColumns)
        for row in rows(allocation) {
            let g = row.grant, b = row.bucket
            func n(_ v: Int64?) -> String { v.map(String.init) ?? "" }
            func dollars(_ s: String?) -> String {
                guard let s else { return "" }
                return s.hasPrefix("$") ? String(s.dropFirst()) : s.hasPrefix("-$") ? "-" + s.dropFirst(2) : s
            }
            let percent = b?.usedPercent.map { $0.hasSuffix("%") ? String($0.dropLast()) : $0 } ?? ""
            out += TextLayout.csvRecord([
                g.id, g.parent ?? "", String(g.depth), g.scope ?? "", g.level ?? "", g.owner ?? "", g.grantClass ?? "",
                b?.name ?? "", b?.classes.joined(separator: " ") ?? "",
                dollars(b?.amount), n(b?.amountNanos), g.period ?? "", g.tpm ?? "", g.rpm ?? "",
                dollars(b?.spent), n(b?.spentNanos), dollars(b?.inFlight), n(b?.reservedNanos),
                dollars(b?.remaining), n(b?.remainingNanos), percent, b?.tier ?? "", b?.windowStart ?? "",
                b?.resetsAt ?? "", g.renews ?? "", g.review ?? "", g.status ?? "", g.source ?? "",
                g.rationale.text ?? "", g.rationale.trailingUsage ?? "", g.rationale.forecast ?? "", g.rationale.priority ?? "",
            ])
        }
        return out
    }

    // MARK: markdown (what goes into the committee's notes)

    static func markdown(_ allocation: Allocation) -> String {
        var out = "## Allocation as of \(allocation.asOf ?? "(unknown)")\n\n"
        if allocation.grants.isEmpty {
            out += "No grants.\n"
        } else {
            let header = ["Grant", "Scope", "Owner", "Class/bucket", "Amount/period", "TPM quota", "Spent", "In flight",
                          "Remaining", "Used", "Tier", "Renews", "Review", "Rationale"]
            out += TextLayout.markdownRow(header)
            out += TextLayout.markdownRow(header.indices.map { [5, 6, 7, 8, 9].contains($0) ? "---:" : "---" })
            for row in rows(allocation) {
                let indent = row.grant.depth == 0 ? "" : String(repeating: "&nbsp;&nbsp;", count: row.grant.depth) + "↳ "
                var cells = cells(row.grant, row.bucket, first: row.first, indent: "")
                cells.append(row.first ? rationaleText(row.grant.rationale) : "")
                var escaped = cells.map(TextLayout.markdownCell)
                if row.first { escaped[0] = indent + escaped[0] }
                out += TextLayout.markdownRow(escaped)
            }
        }
        if let c = allocation.capacity {
            out += "\n**Capacity:** tokens per minute \(tpmSentence(c)); monthly spend \(moneySentence(c))."
            if let warning = warning(c) { out += " **Warning:** \(warning)." }
            out += "\n"
            if !c.pools.isEmpty {
                let pools = c.pools.map { p in
                    [p.provider, p.model, p.tpm.map { "\($0) tpm" }, p.committed.map { "\($0) \(p.period ?? "")".trimmingTrailingSpace() }]
                        .compactMap { $0 }.joined(separator: " ")
                }
                out += "Pools: " + TextLayout.markdownCell(pools.joined(separator: "; ")) + ".\n"
            }
        }
        return out
    }

    /// The rationale as one cell: the text, then what backs it.
    static func rationaleText(_ r: Allocation.Rationale) -> String {
        var parts: [String] = []
        if let text = r.text, !text.isEmpty { parts.append(text) }
        if let usage = r.trailingUsage, !usage.isEmpty { parts.append("trailing usage: \(usage)") }
        if let forecast = r.forecast, !forecast.isEmpty { parts.append("forecast: \(forecast)") }
        if let priority = r.priority, !priority.isEmpty { parts.append("priority \(priority)") }
        return parts.joined(separator: "; ")
    }
}

extension String {
    fileprivate func trimmingTrailingSpace() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
