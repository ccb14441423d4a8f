import TollgateJSON
import TollgateUnits

/// How `tollgate grant`, `key` and `whoami` print the admin API's answers.
/// I/O-free; tolerant of missing fields.
package enum GovernanceFormat {
    // MARK: grants (GET /admin/grants, GET /admin/grants/ID)

    /// "$500.00", or "production $400.00 + experimentation $100.00".
    package static func amounts(_ grant: JSONValue) -> String {
        let buckets = grant["buckets"]?.arrayValue ?? []
        if buckets.isEmpty { return Display.money(grant["amount"], nanos: grant["amount_nanos"]) ?? Display.none }
        if buckets.count == 1 { return Display.money(buckets[0]["amount"], nanos: buckets[0]["amount_nanos"]) ?? Display.none }
        return buckets.map { b in
            "\(b["name"].text ?? "?") \(Display.money(b["amount"], nanos: b["amount_nanos"]) ?? Display.none)"
        }.joined(separator: " + ")
    }

    /// The grant table: one line per grant, tree-indented.
    package static func grantTable(_ document: JSONValue) -> String {
        let grants = document["grants"]?.arrayValue ?? []
        guard !grants.isEmpty else { return "No grants.\n" }
        let ordered = TreeOrder.arrange(grants, id: { $0["id"].text ?? "" }, parent: { $0["parent"].text })
        let d = Display.none
        let rows = ordered.map { entry -> [String] in
            let g = entry.element
            let status = g["status"].text ?? "active"
            return [String(repeating: "  ", count: entry.depth) + (g["id"].text ?? "?"), g["scope"].text ?? d, g["owner"].text ?? d,
                    g["class"].text ?? d, amounts(g), g["period"].text ?? d, g["tpm"].text ?? d, g["rpm"].text ?? d,
                    Display.day(g["renews"], firstSecondAfter: g["renews_at"]) ?? d,
                    Display.day(g["review"], firstSecondAfter: g["review_at"]) ?? d, status, g["source"].text ?? d]
        }
        var out = ""
        if let version = document["version"].text { out += "Grant table version \(version)\n\n" }
        out += TextLayout.table(header: ["grant", "scope", "owner", "class", "amount", "period", "tpm", "rpm", "renews",
                                         "review", "status", "source"],
                                rows: rows, rightAligned: [6, 7])
        return out
    }

    /// One grant, a field per line.
    package static func grantDetail(_ g: JSONValue) -> String {
        var lines: [(String, String)] = []
        func add(_ label: String, _ value: String?) { if let value, !value.isEmpty { lines.append((label, value)) } }
        add("grant", g["id"].text)
        add("parent", g["parent"].text)
        add("scope", g["scope"].text)
        add("owner", g["owner"].text)
        add("class", g["class"].text)
        add("amount", amounts(g) + (g["period"].text.map { " " + $0 } ?? ""))
        add("tpm", g["tpm"].text)
        add("rpm", g["rpm"].text)
        add("renews", Display.day(g["renews"], firstSecondAfter: g["renews_at"]))
        add("review", Display.day(g["review"], firstSecondAfter: g["review_at"]))
        if let expiry = g["on_expiry"].text {
            add("on expiry", expiry == "grace" ? "grace" + (Display.instant(g["grace_until"]).map { " until \($0)" } ?? "") : expiry)
        }
        add("at cap", g["production_at_cap"].text ?? g["at_cap"].text)
        if let tiers = g["tiers"], case .object = tiers {
            add("tiers", ["warn", "amber", "hard"].compactMap { k in tiers[k].text.map { "\(k) \($0)%" } }.joined(separator: ", "))
        }
        if let days = g["expiry_alert_days"]?.arrayValue, !days.isEmpty {
            add("expiry alerts", days.compactMap(\.text).map { "\($0) days" }.joined(separator: ", ") + " before renewal")
        }
        add("oversubscription", g["oversubscription_percent"].text.map { "\($0)%" })
        let rationale = g["rationale"]
        if case .string(let text)? = rationale {
            add("rationale", text)
        } else {
            add("rationale", rationale?["text"].text)
            add("trailing usage", rationale?["trailing_usage"].text)
            add("forecast", rationale?["forecast"].text)
            add("priority", rationale?["priority"].text)
        }
        add("status", g["status"].text)
        add("source", g["source"].text)
        add("created", [g["created_by"].text.map { "by \($0)" }, Display.instant(g["created_at"]).map { "at \($0)" }]
            .compactMap { $0 }.joined(separator: " "))
        add("revoked", [g["revoked_by"].text.map { "by \($0)" }, Display.instant(g["revoked_at"]).map { "at \($0)" }]
            .compactMap { $0 }.joined(separator: " "))
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 + "\n" }.joined()
    }

    // MARK: keys (GET /admin/keys, POST /admin/keys, DELETE /admin/keys/ID)

    package static func keyTable(_ document: JSONValue) -> String {
        let keys = document["keys"]?.arrayValue ?? []
        guard !keys.isEmpty else { return "No keys minted at run time (keys in the config file are listed there).\n" }
        let d = Display.none
        let rows = keys.map { k -> [String] in
            let team = [k["org"].text, k["team"].text].compactMap { $0 }.joined(separator: "/")
            let models = k["models"]?.arrayValue.map { $0.compactMap(\.text).joined(separator: ",") } ?? "(all)"
            return [k["id"].text ?? "?", team.isEmpty ? d : team, k["class"].text ?? d, k["grant"].text ?? d,
                    k["owner"].text ?? d, models, Display.instant(k["expires"]) ?? d, k["minted_by"].text ?? d,
                    Display.instant(k["minted_at"]) ?? d, k["status"].text ?? d]
        }
        return TextLayout.table(header: ["key", "team", "class", "grant", "owner", "models", "expires", "minted by",
                                         "minted at", "status"], rows: rows)
    }

    /// What `key create` says on stderr after printing the secret.
    package static func keyCreatedNote(_ answer: JSONValue) -> String {
        let id = answer["id"].text ?? "?"
        let team = [answer["org"].text, answer["team"].text].compactMap { $0 }.joined(separator: "/")
        var facts = [answer["class"].text, team.isEmpty ? nil : team].compactMap { $0 }
        if let grant = answer["grant"].text { facts.append("grant \(grant)") }
        if let models = answer["models"]?.arrayValue { facts.append("models " + models.compactMap(\.text).joined(separator: ",")) }
        if let expires = Display.instant(answer["expires"]) { facts.append("expires \(expires)") }
        if let owner = answer["owner"].text { facts.append("owner \(owner)") }
        var out = "Key '\(id)' minted" + (facts.isEmpty ? "" : " (\(facts.joined(separator: ", ")))") + ".\n"
        out += "The secret above is shown once; the gateway keeps only its SHA-256. Store it now.\n"
        return out
    }

    // MARK: whoami

    package static func whoami(_ answer: JSONValue, url: String) -> String {
        let role = answer["role"].text ?? "?"
        var lines: [(String, String)] = [("role", role == "admin" ? "admin (the master key)" : role)]
        if let id = answer["id"].text { lines.append(("credential", id)) }
        if let owner = answer["owner"].text { lines.append(("owner", owner)) }
        if let scope = answer["scope"].text { lines.append(("scope", scope.isEmpty ? "everything" : scope)) }
        lines.append(("gateway", url))
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 + "\n" }.joined()
    }
}
