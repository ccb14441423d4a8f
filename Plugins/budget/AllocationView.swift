import TollgatePluginKit

/// `GET /admin/allocation` (reader role, ABI 1.5): every grant the caller
/// may see, in table order, with its buckets' figures from their counters
/// (the numbers `/admin/counters` shows), and the table's capacity object.
enum AllocationView {
    static func json(table: GrantTable, slots: GrantSlots, now: Int64, caller: CallerScope,
                     state: (CounterID) -> CounterState?) -> JSONValue {
        var items: [JSONValue] = []
        for grant in table.grants where caller.sees(grant) {
            let buckets: [JSONValue] = grant.buckets.indices.map { b in
                bucket(grant, grant.buckets[b], state: state(slots.slots[grant.index][b].counter), now: now)
            }
            items.append(.object(JSONObject([
                ("id", .string(grant.id)), ("parent", grant.parent.map { .string($0) } ?? .null),
                ("depth", .int(table.ancestors(of: grant).count)), ("scope", .string(grant.scope)),
                ("level", .string(grant.level)), ("owner", .string(grant.owner)), ("class", .string(grant.grantClass)),
                ("period", .string(grant.period)), ("tpm", grant.tpm.map { .int($0) } ?? .null),
                ("rpm", grant.rpm.map { .int($0) } ?? .null),
                ("renews", GrantRejection.renewalDate(grant).map { .string($0) } ?? .null),
                ("review", (grant.json["review"]?.stringValue ?? grant.reviewAt.map { UTCCalendar.day($0 - 1) }).map { .string($0) } ?? .null),
                ("rationale", grant.json["rationale"] ?? .null),
                ("status", .string(status(grant, now: now))), ("source", .string(grant.source)),
                ("buckets", .array(buckets)),
            ])))
        }
        return .object(JSONObject([
            ("as_of", .string(UTCCalendar.iso8601(now))), ("version", .int(Int64(table.version))),
            ("grants", .array(items)), ("capacity", table.capacity),
        ]))
    }

    /// "active", "revoked", "expired" or "grace", as a request of the
    /// grant's class would be admitted now (production when it admits both).
    static func status(_ grant: Grant, now: Int64) -> String {
        let keyClass = grant.grantClass == "experimentation" ? "experimentation" : "production"
        switch grant.admission(keyClass: keyClass, now: now) {
        case .open: return "active"
        case .grace: return "grace"
        case .expired: return "expired"
        case .revoked: return "revoked"
        }
    }

    /// A bucket's figures. `remaining`, `used_percent` and `tier` are
    /// against the effective amount: the amount plus the raises active
    /// `now` (listed in `raises`).
    static func bucket(_ grant: Grant, _ bucket: Grant.Bucket, state: CounterState?, now: Int64) -> JSONValue {
        let amount = bucket.amountNanos
        let (raised, active) = grant.raise(forBucket: bucket.name, at: now)
        let effective = Saturating.add(amount, raised)
        let spent = state?.spent ?? 0
        let reserved = state?.reserved ?? 0
        let (afterSpent, o1) = effective.subtractingReportingOverflow(spent)
        let (left, o2) = afterSpent.subtractingReportingOverflow(reserved)
        let remaining = o1 || o2 ? 0 : max(0, left)
        let resets = grant.window != .none
        return .object(JSONObject([
            ("name", .string(bucket.name)), ("classes", .array(bucket.classes.map { .string($0) })),
            ("amount_nanos", .int(amount)), ("amount", .string(Money.format(nanos: amount))),
            ("raised_nanos", .int(raised)), ("raised", .string(Money.format(nanos: raised))),
            ("effective_nanos", .int(effective)), ("effective", .string(Money.format(nanos: effective))),
            ("raises", .array(active.map { raise in
                .object(JSONObject([
                    ("id", .string(raise.id)), ("kind", .string(raise.kind)), ("amount_nanos", .int(raise.amountNanos)),
                    ("amount", .string(Money.format(nanos: raise.amountNanos))),
                    ("starts", .string(UTCCalendar.iso8601(raise.startsAt))), ("ends", .string(UTCCalendar.iso8601(raise.endsAt))),
                ]))
            })),
            ("spent_nanos", .int(spent)), ("spent", .string(Money.format(nanos: spent))),
            ("reserved_nanos", .int(reserved)), ("in_flight", .string(Money.format(nanos: reserved))),
            ("remaining_nanos", .int(remaining)), ("remaining", .string(Money.format(nanos: remaining))),
            ("used_percent", .int(AlertMarkers.percent(spent: spent, of: effective))),
            ("tier", .string(tier(grant, bucket, spent: spent, amount: effective))),
            ("window_start", resets ? state.map { .string(UTCCalendar.iso8601($0.windowStart)) } ?? .null : .null),
            ("resets_at", resets ? state.map { .string(UTCCalendar.iso8601($0.windowEnd)) } ?? .null : .null),
        ]))
    }

    /// The highest tier spent has reached (percentages of `amount`, the
    /// effective amount): "hard", "amber" (production failing open), "cap"
    /// (100%), "warn" or "ok".
    static func tier(_ grant: Grant, _ bucket: Grant.Bucket, spent: Int64, amount: Int64) -> String {
        func reached(_ percent: Int) -> Bool { AlertMarkers.reached(spent: spent, percent: percent, of: amount) }
        guard spent > 0 || amount > 0 else { return "ok" }
        if reached(grant.tiers.hard) { return "hard" }
        if bucket.classes.contains("production"), grant.productionAtCap != "refuse", grant.tiers.amber >= 100,
           reached(grant.tiers.amber) { return "amber" }
        if reached(100) { return "cap" }
        if reached(grant.tiers.warn) { return "warn" }
        return "ok"
    }
}

/// What a route caller may see (TOLLGATE_ROUTE_PROP_CALLER_SCOPE): "" is
/// everything, "org/ORG" that org's grants, "team/ORG/TEAM" the team's and
/// those below it. Anything else sees nothing.
struct CallerScope: Equatable {
    enum Kind: Equatable { case everything, org(String), team(org: String, team: String), nothing }
    let kind: Kind

    init(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if text.isEmpty {
            kind = .everything
        } else if parts.count == 2, parts[0] == "org", !parts[1].isEmpty {
            kind = .org(parts[1])
        } else if parts.count == 3, parts[0] == "team", !parts[1].isEmpty, !parts[2].isEmpty {
            kind = .team(org: parts[1], team: parts[2])
        } else {
            kind = .nothing
        }
    }

    static let belowTeam: Set<String> = ["team", "feature", "environment", "experiment", "tag", "key"]

    func sees(_ grant: Grant) -> Bool {
        switch kind {
        case .everything: return true
        case .nothing: return false
        case .org(let org): return Self.place(grant).org == org
        case .team(let org, let team):
            let place = Self.place(grant)
            return Self.belowTeam.contains(grant.level) && place.org == org && place.team == team
        }
    }

    /// The grant's org and team: the document's `org` and `team` (a key
    /// grant's are its key's), else read from the scope.
    static func place(_ grant: Grant) -> (org: String?, team: String?) {
        let parts = grant.scope.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let fromScope = grant.level != "key" && parts.count >= 2
        let org = grant.json["org"]?.stringValue ?? (fromScope ? parts[1] : nil)
        let team = grant.json["team"]?.stringValue ?? (fromScope && grant.level != "org" && parts.count >= 3 ? parts[2] : nil)
        return (org, team)
    }
}
