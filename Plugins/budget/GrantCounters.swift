import TollgatePluginKit

/// One grant bucket's counter (`grant:<grant id>:<bucket name>`) and what
/// the plugin names it by, resolved once per table version so a request
/// finds it by index.
struct GrantSlot: Sendable {
    let counter: CounterID
    /// [grant id, bucket name]: the label values of its metric series.
    let labels: [String]
    /// "grant-alert:<grant id>:<bucket name>", the prefix of its tiers'
    /// alert markers.
    let markerPrefix: String
}

/// The counters of one version of the grant table: `slots[grant index]
/// [bucket index]`, parallel to the table's grants and their buckets.
final class GrantSlots: Sendable {
    let version: UInt64
    let slots: [[GrantSlot]]
    /// The spent counter of every raise the table lists, by its name
    /// ("exception-spent:<raise id>"): where the cost of a request admitted
    /// under the raise is added.
    let raiseCounters: [String: CounterID]

    init(version: UInt64, slots: [[GrantSlot]], raiseCounters: [String: CounterID] = [:]) {
        self.version = version
        self.slots = slots
        self.raiseCounters = raiseCounters
    }
}

/// Declares a counter per grant bucket (limit = the bucket's amount, the
/// grant's window, persisted) for every version of the table the plugin
/// sees. Declaring an existing name again updates its limit: that is how
/// a changed amount takes effect; spent and reservations stay. Each raise
/// the table lists gets its spent counter (the name the core gives it, no
/// limit, no window, persisted) once. Thread-safe.
final class GrantCounters: @unchecked Sendable {
    let host: PluginHost
    private let current = Locked<GrantSlots?>(nil)
    /// Counter ids by name. Its lock also serialises declarations, so a
    /// slow thread cannot declare an older table's amounts over a newer
    /// table's (declaring happens only when the table changes).
    private let declared = Locked<[String: CounterID]>([:])

    init(host: PluginHost) { self.host = host }

    static func counterName(grant: String, bucket: String) -> String { "grant:\(grant):\(bucket)" }

    /// The counters of `table`'s grants, declaring them if this version is
    /// new (the cache's onNewTable usually did already).
    func slots(for table: GrantTable) throws -> GrantSlots {
        if let slots = current.withLock({ $0 }), slots.version == table.version { return slots }
        return try declare(table)
    }

    /// Declares the counters of every grant of `table`: new grants get one,
    /// existing ones take the table's amount and window. A table older
    /// than one already declared only finds its counters (declaring any
    /// missing one), without setting a limit back.
    @discardableResult
    func declare(_ table: GrantTable) throws -> GrantSlots {
        try declared.withLock { byName in
            if let slots = current.withLock({ $0 }), slots.version >= table.version {
                if slots.version == table.version { return slots }
                return try build(table, byName: &byName, updateLimits: false)
            }
            let slots = try build(table, byName: &byName, updateLimits: true)
            current.withLock { $0 = slots }
            return slots
        }
    }

    private func build(_ table: GrantTable, byName: inout [String: CounterID], updateLimits: Bool) throws -> GrantSlots {
        var all: [[GrantSlot]] = []
        all.reserveCapacity(table.grants.count)
        var raiseCounters: [String: CounterID] = [:]
        for grant in table.grants {
            for raise in grant.raises {
                if let known = byName[raise.counter] {
                    raiseCounters[raise.counter] = known
                    continue
                }
                let id = try host.declareCounter(name: raise.counter, limit: Int64.max, window: .none, persist: true)
                byName[raise.counter] = id
                raiseCounters[raise.counter] = id
            }
            var slots: [GrantSlot] = []
            for bucket in grant.buckets {
                let name = Self.counterName(grant: grant.id, bucket: bucket.name)
                let id: CounterID
                if !updateLimits, let known = byName[name] {
                    id = known
                } else {
                    id = try host.declareCounter(name: name, limit: max(0, bucket.amountNanos), window: grant.window, persist: true)
                    byName[name] = id
                }
                slots.append(GrantSlot(counter: id, labels: [grant.id, bucket.name],
                                       markerPrefix: "grant-alert:\(grant.id):\(bucket.name)"))
            }
            all.append(slots)
        }
        return GrantSlots(version: table.version, slots: all, raiseCounters: raiseCounters)
    }
}

/// Prometheus series per grant bucket, labelled {grant, bucket}. Grants are
/// minted at run time, so series are resolved by label values on first use
/// (the kit caches the handle), not all at start.
struct GrantMetrics {
    let spent: Metric
    let reserved: Metric
    let limit: Metric
    let rejections: Metric

    init(host: PluginHost) throws {
        let labels = ["grant", "bucket"]
        spent = try host.defineGauge(name: "tollgate_grant_spent_usd", help: "Spent in the grant bucket's current window.",
                                     labels: labels)
        reserved = try host.defineGauge(name: "tollgate_grant_reserved_usd",
                                        help: "Held on the grant bucket by requests in flight (in-flight exposure).", labels: labels)
        limit = try host.defineGauge(name: "tollgate_grant_limit_usd", help: "The grant bucket's amount per window.", labels: labels)
        rejections = try host.defineCounter(name: "tollgate_grant_rejections_total",
                                            help: "Requests refused by this grant bucket (429 at its limit, 403 revoked or expired).",
                                            labels: labels)
    }

    func publish(_ slot: GrantSlot, _ state: CounterState?) {
        guard let state else { return }
        spent.record(Double(state.spent) / 1e9, labels: slot.labels)
        reserved.record(Double(state.reserved) / 1e9, labels: slot.labels)
        limit.record(Double(state.limit) / 1e9, labels: slot.labels)
    }
}
