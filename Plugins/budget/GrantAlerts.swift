import TollgatePluginKit

/// A grant's tiers as alerts, once each per grant bucket and window (marker
/// counters, see AlertMarkers), and its refusals (once per grant, key class
/// and day).
///
/// | kind | when | severity |
/// |---|---|---|
/// | grant_warn | spent reaches the warn tier | warning |
/// | grant_cap | spent reaches 100% | warning when production fails open; critical when the grant refuses production at the cap, or the bucket takes experimentation traffic (now refused: the owner is paged) |
/// | grant_amber | spent reaches the amber tier (production buckets under production_at_cap: open) | critical |
/// | grant_hard_stop | spent reaches the hard tier | critical |
/// | grant_refused | a request is refused at the limit | warning |
final class GrantAlerts {
    let host: PluginHost
    private let markers: AlertMarkers
    private let refusals = DailyDedupe()

    init(host: PluginHost, markers: AlertMarkers) {
        self.host = host
        self.markers = markers
    }

    /// After a settle: the alert of every tier `state` has reached, once each.
    /// Tiers are percentages of the effective amount: the counter's limit
    /// plus `raisedNanos`, what the raises active for the request add.
    func check(_ grant: Grant, bucket: Grant.Bucket, slot: GrantSlot, state: CounterState, raisedNanos: Int64 = 0) {
        let amount = Saturating.add(state.limit, max(0, raisedNanos))
        // Cheapest test first: below the lowest tier there is nothing to do.
        let lowest = min(grant.tiers.warn, 100)
        guard AlertMarkers.reached(spent: state.spent, percent: lowest, of: amount) else { return }
        let production = bucket.classes.contains("production")
        let experimentation = bucket.classes.contains("experimentation")
        let productionOpen = production && grant.productionAtCap != "refuse"
        for tier in GrantTier.allCases {
            let percent: Int
            switch tier {
            case .warn:
                guard grant.tiers.warn < 100 else { continue }
                percent = grant.tiers.warn
            case .cap: percent = 100
            case .amber:
                guard productionOpen else { continue }
                percent = grant.tiers.amber
            case .hard: percent = grant.tiers.hard
            }
            guard AlertMarkers.reached(spent: state.spent, percent: percent, of: amount),
                  markers.claim("\(slot.markerPrefix):\(tier.rawValue):\(percent)", window: grant.window,
                                windowStart: state.windowStart) else { continue }
            let severity: Alert.Severity
            var message = "Grant '\(grant.id)' (\(grant.scope), owner \(grant.owner)) \(bucket.name) bucket reached "
            switch tier {
            case .warn:
                severity = .warning
                message += "its warn tier (\(percent)%): spent \(Self.spent(state, amount))."
            case .cap:
                severity = experimentation || !productionOpen ? .critical : .warning
                message += "100%: spent \(Self.spent(state, amount))."
                if experimentation { message += " Experimentation traffic is now refused; paging \(grant.owner)." }
                if production {
                    message += productionOpen
                        ? " Production traffic fails open up to the hard tier (\(grant.tiers.hard)%); paging \(grant.owner)."
                        : " Production traffic is now refused (production_at_cap: refuse)."
                }
            case .amber:
                severity = .critical
                message += "its amber tier (\(percent)%): spent \(Self.spent(state, amount)). "
                    + "Production traffic is refused at the hard tier (\(grant.tiers.hard)%)."
            case .hard:
                severity = .critical
                message += "its hard tier (\(percent)%): spent \(Self.spent(state, amount)). Nothing more is admitted this window."
            }
            host.raiseAlert(Alert(
                severity: severity, kind: tier.kind, subject: grant.scope, message: message,
                dedupeKey: "\(tier.kind):\(grant.id):\(bucket.name):\(UTCCalendar.day(state.windowStart))",
                details: Self.details(grant, bucket: bucket, state: state, amount: amount,
                                      extra: [("tier", .string(tier.rawValue)), ("tier_percent", .int(percent))]
                                          + (raisedNanos > 0 ? [("raised_nanos", .int(raisedNanos))] : []))))
        }
    }

    /// A request refused at the grant's limit.
    func refused(_ grant: Grant, bucket: Grant.Bucket, state: CounterState, keyClass: String, keyID: String, ceiling: Int64,
                 now: Int64) {
        let day = UTCCalendar.day(now)
        let dedupeKey = "grant_refused:\(grant.id):\(keyClass):\(day)"
        guard refusals.first(dedupeKey, now: now) else { return }
        host.raiseAlert(Alert(
            severity: .warning, kind: "grant_refused", subject: grant.scope,
            message: "Grant '\(grant.id)' (\(grant.scope), owner \(grant.owner)) refuses \(keyClass) requests: "
                + "\(bucket.name) bucket spent \(Self.spent(state, state.limit)), in flight \(Money.format(nanos: state.reserved)), "
                + "limit \(Money.format(nanos: ceiling)) for \(keyClass) traffic",
            dedupeKey: dedupeKey,
            details: Self.details(grant, bucket: bucket, state: state, amount: state.limit, extra: [
                ("key_class", .string(keyClass)), ("key_id", .string(keyID)), ("ceiling_nanos", .int(ceiling)),
            ])))
    }

    /// "$12.00 of $10.00 (120%)".
    static func spent(_ state: CounterState, _ amount: Int64) -> String {
        "\(Money.format(nanos: state.spent)) of \(Money.format(nanos: amount)) "
            + "(\(AlertMarkers.percent(spent: state.spent, of: amount))%)"
    }

    /// `amount`: the effective amount (the bucket's plus active raises).
    static func details(_ grant: Grant, bucket: Grant.Bucket, state: CounterState, amount: Int64,
                        extra: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject([
            ("grant_id", .string(grant.id)), ("owner", .string(grant.owner)), ("scope", .string(grant.scope)),
            ("bucket", .string(bucket.name)), ("amount_nanos", .int(amount)), ("spent_nanos", .int(state.spent)),
            ("reserved_nanos", .int(state.reserved)), ("percent", .int(AlertMarkers.percent(spent: state.spent, of: amount))),
        ] + extra))
    }
}

/// A grant bucket's soft and hard tiers, in the order they are reached.
enum GrantTier: String, CaseIterable {
    case warn, cap, amber, hard

    var kind: String {
        switch self {
        case .warn: return "grant_warn"
        case .cap: return "grant_cap"
        case .amber: return "grant_amber"
        case .hard: return "grant_hard_stop"
        }
    }
}
