import TollgateJSON
import TollgateUnits

/// A mistake in the command's options, found before anything is sent.
package struct BodyError: Error, Equatable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// The grant fields a command was given (nil: not given). The names are
/// the options'; the body uses the YAML keys (docs/config.md, "grants").
package struct GrantFields: Equatable, Sendable {
    package var id: String?
    package var scope: String?
    package var parent: String?
    package var owner: String?
    package var amount: String?
    package var production: String?
    package var experimentation: String?
    package var period: String?
    package var grantClass: String?
    package var tpm: Int64?
    package var rpm: Int64?
    package var renews: String?
    package var review: String?
    package var rationale: String?
    package var trailingUsage: String?
    package var forecast: String?
    package var priority: Int64?
    package var onExpiry: String?
    package var graceDays: Int64?
    package var atCap: String?
    /// Fields an update removes (sent as null), by their YAML key.
    package var clear: [String] = []

    package init() {}

    var givesRationale: Bool { rationale != nil || trailingUsage != nil || forecast != nil || priority != nil }
}

package enum GrantBody {
    /// What `grant update --clear` may remove: optional fields only.
    package static let clearable = ["tpm", "rpm", "renews", "review", "rationale", "on_expiry", "grace_days", "at_cap",
                                    "tiers", "expiry_alerts", "oversubscription"]

    /// The body of `POST /admin/grants`. The period defaults to monthly.
    package static func create(_ f: GrantFields) throws -> JSONValue {
        var missing: [String] = []
        if f.id == nil { missing.append("--id") }
        if f.scope == nil { missing.append("--scope") }
        if f.owner == nil { missing.append("--owner") }
        if f.amount == nil, f.production == nil, f.experimentation == nil {
            missing.append("--amount (or --production and --experimentation)")
        }
        if !missing.isEmpty { throw BodyError("grant create needs " + missing.joined(separator: ", ")) }
        if !f.clear.isEmpty { throw BodyError("--clear is for grant update") }
        var body = JSONObject()
        body["id"] = .string(f.id!)
        body["scope"] = .string(f.scope!)
        if let parent = f.parent { body["parent"] = .string(parent) }
        try fill(&body, f, current: nil, creating: true)
        return .object(body)
    }

    /// The body of `PATCH /admin/grants/ID`: only the fields given. A
    /// rationale is sent whole (the server replaces it), so the parts not
    /// given are taken from `current` (the grant as the server has it).
    package static func update(_ f: GrantFields, current: JSONValue? = nil) throws -> JSONValue {
        if f.id != nil || f.scope != nil || f.parent != nil {
            throw BodyError("a grant's id, scope and parent cannot change; revoke it and create another")
        }
        var body = JSONObject()
        try fill(&body, f, current: current, creating: false)
        for key in f.clear {
            guard clearable.contains(key) else {
                throw BodyError("--clear \(key): only optional fields can be cleared (\(clearable.joined(separator: ", ")))")
            }
            if let given = body[key], !given.isNull { throw BodyError("--clear \(key) and a new value for \(key) given together") }
            body[key] = .null
        }
        if body.entries.isEmpty { throw BodyError("nothing to change: give at least one field to update") }
        return .object(body)
    }

    /// "500", "$500" -> "500", checked as the gateway will (no rounding).
    package static func usd(_ text: String, option: String) throws -> String {
        var amount = text.trimmingCharacters(" ")
        if amount.hasPrefix("$") { amount.removeFirst() }
        if case .failure(let why) = Money.parseUSDOrExplain(amount) {
            throw BodyError("\(option) '\(text)': \(why)")
        }
        return amount
    }

    private static func fill(_ body: inout JSONObject, _ f: GrantFields, current: JSONValue?, creating: Bool) throws {
        if let owner = f.owner { body["owner"] = .string(owner) }
        if let grantClass = f.grantClass { body["class"] = .string(grantClass) }
        if let amount = f.amount {
            if f.production != nil || f.experimentation != nil {
                throw BodyError("give --amount (one figure) or --production/--experimentation (one per class), not both")
            }
            body["amount"] = .string(try usd(amount, option: "--amount"))
        } else if f.production != nil || f.experimentation != nil {
            var perClass = JSONObject()
            if let p = f.production { perClass["production"] = .string(try usd(p, option: "--production")) }
            if let e = f.experimentation { perClass["experimentation"] = .string(try usd(e, option: "--experimentation")) }
            body["amount"] = .object(perClass)
        }
        if let period = f.period ?? (creating ? "monthly" : nil) { body["period"] = .string(period) }
        if let tpm = f.tpm { body["tpm"] = .int(tpm) }
        if let rpm = f.rpm { body["rpm"] = .int(rpm) }
        if let renews = f.renews { body["renews"] = .string(renews) }
        if let review = f.review { body["review"] = .string(review) }
        if f.givesRationale { body["rationale"] = rationale(f, current: current?["rationale"]) }
        if let graceDays = f.graceDays, f.onExpiry != nil, f.onExpiry != "grace" {
            throw BodyError("--grace-days \(graceDays) needs --on-expiry grace")
        }
        if let onExpiry = f.onExpiry {
            body["on_expiry"] = .string(onExpiry)
            if onExpiry == "grace", f.graceDays == nil, creating {
                throw BodyError("--on-expiry grace needs --grace-days N (how many days production traffic goes on)")
            }
            // The stored grant may carry grace_days, which refuse forbids.
            if onExpiry == "refuse", !creating { body["grace_days"] = .null }
        }
        if let graceDays = f.graceDays { body["grace_days"] = .int(graceDays) }
        if let atCap = f.atCap { body["at_cap"] = .string(atCap) }
    }

    /// The rationale as a mapping: the parts given over the current ones.
    static func rationale(_ f: GrantFields, current: JSONValue?) -> JSONValue {
        var r = JSONObject()
        func pick(_ key: String, _ given: JSONValue?) {
            if let given { r[key] = given } else if let old = current?[key], !old.isNull { r[key] = old }
        }
        if case .string(let text)? = current, f.rationale == nil {
            r["text"] = .string(text)
        } else {
            pick("text", f.rationale.map { .string($0) })
        }
        pick("trailing_usage", f.trailingUsage.map { .string($0) })
        pick("forecast", f.forecast.map { .string($0) })
        pick("priority", f.priority.map { .int($0) })
        return .object(r)
    }
}

/// The key fields of `tollgate key create`.
package struct KeyFields: Equatable, Sendable {
    package var id: String
    package var keyClass: String
    package var team: String?
    package var grant: String?
    /// "a,b" as given.
    package var models: String?
    package var expires: String?
    package var owner: String?

    package init(id: String, keyClass: String, team: String? = nil, grant: String? = nil, models: String? = nil,
                 expires: String? = nil, owner: String? = nil) {
        self.id = id
        self.keyClass = keyClass
        self.team = team
        self.grant = grant
        self.models = models
        self.expires = expires
        self.owner = owner
    }
}

package enum KeyBody {
    /// The body of `POST /admin/keys`. `--team ORG/TEAM` becomes
    /// "team/ORG/TEAM"; `--models a,b` a list.
    package static func create(_ f: KeyFields) throws -> JSONValue {
        var body = JSONObject()
        body["id"] = .string(f.id)
        if let team = f.team {
            let parts = (team.hasPrefix("team/") ? String(team.dropFirst(5)) : team).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw BodyError("--team '\(team)': expected ORG/TEAM")
            }
            body["team"] = .string("team/\(parts[0])/\(parts[1])")
        }
        if let grant = f.grant { body["grant"] = .string(grant) }
        body["class"] = .string(f.keyClass)
        if let models = f.models {
            let names = models.split(separator: ",").map { String($0).trimmingCharacters(" ") }.filter { !$0.isEmpty }
            guard !names.isEmpty else { throw BodyError("--models '\(models)': give model names separated by commas") }
            body["models"] = .array(names.map { .string($0) })
        }
        if let expires = f.expires { body["expires"] = .string(expires) }
        if let owner = f.owner { body["owner"] = .string(owner) }
        return .object(body)
    }
}

/// The optional `{"reason": ...}` of a DELETE.
package enum RevokeBody {
    package static func make(reason: String?) -> JSONValue? {
        reason.map { .object(JSONObject([("reason", .string($0))])) }
    }
}

extension String {
    func trimmingCharacters(_ c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s.removeFirst() }
        while s.last == c { s.removeLast() }
        return String(s)
    }
}
