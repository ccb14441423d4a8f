import TollgatePluginKit

/// Which grant a limit is the TPM/RPM quota of (for the 429's message).
struct GrantQuota: Equatable {
    let id: String
    let owner: String

    /// "grant 'recs-search' (owner lead@x)".
    var displayName: String { owner.isEmpty ? "grant '\(id)'" : "grant '\(id)' (owner \(owner))" }
}

/// The TPM/RPM quotas of the grants a request is on (ABI 1.5). A grant with
/// a `tpm` and/or `rpm` has a counter per metric, `ratelimit-grant:<id>:tpm`
/// / `:rpm`, on the sliding minute and memory only like the config's minute
/// limits, whose limit is the quota. Counters are declared for every grant
/// of each table version the plugin sees (so they show in /admin/counters
/// from the start, and a changed quota takes effect at once); a grant the
/// plugin has not declared yet when a request names it is declared then.
/// Nil on a host without grants: the plugin then behaves as before.
final class GrantLimits {
    private let counters: GrantCounters
    private let cache: GrantCache

    static func counterName(grantID: String, metric: RateMetric) -> String { "ratelimit-grant:\(grantID):\(metric.rawValue)" }

    /// The metrics a grant can set, in the order they are reserved.
    static let metrics: [RateMetric] = [.rpm, .tpm]

    init?(host: PluginHost) {
        guard host.hasGrants else { return nil }
        let counters = GrantCounters(host: host)
        self.counters = counters
        cache = GrantCache(host: host, onNewTable: { table in counters.declare(table) })
        do {
            try cache.refresh()
        } catch {
            // Not fatal: the first request's path fetches the table again.
            host.log(.warning, "ratelimit: cannot read the grant table yet: \(error)")
        }
    }

    /// The quotas of the grants on the call's path, root first (rpm then
    /// tpm for each).
    func limits(_ call: Call) throws -> [AppliedLimit] {
        guard let (table, grants) = try cache.path(call) else { return [] }
        var out: [AppliedLimit] = []
        for grant in grants {
            let quota = GrantQuota(id: grant.id, owner: grant.owner)
            for metric in Self.metrics {
                guard let limit = Self.quota(grant, metric) else { continue }
                let counter = try counters.counter(grantID: grant.id, metric: metric, limit: limit, version: table.version)
                out.append(AppliedLimit(counter: counter, metric: metric, limit: limit, subject: "grant/\(grant.id)",
                                        displayName: quota.displayName, grant: quota))
            }
        }
        return out
    }

    static func quota(_ grant: Grant, _ metric: RateMetric) -> Int64? {
        let value: Int64?
        switch metric {
        case .tpm: value = grant.tpm
        case .rpm: value = grant.rpm
        case .rpd: value = nil
        }
        return value.map { max(0, $0) }
    }
}

/// The grant counters declared so far, with the limit they were declared
/// with and the table version it came from.
private final class GrantCounters: @unchecked Sendable {
    struct Declared {
        var id: CounterID
        var limit: Int64
        var version: UInt64
    }

    let host: PluginHost
    private let declared = Locked([String: Declared]())
    /// Held while declaring (a host call that takes the store's lock,
    /// never one of this plugin's).
    private let declaring = Locked(())

    init(host: PluginHost) { self.host = host }

    /// Declares (or redeclares, when the quota changed) the counters of
    /// every grant of `table` that has a quota.
    func declare(_ table: GrantTable) {
        for grant in table.grants {
            for metric in GrantLimits.metrics {
                guard let limit = GrantLimits.quota(grant, metric) else { continue }
                do {
                    _ = try counter(grantID: grant.id, metric: metric, limit: limit, version: table.version)
                } catch {
                    host.log(.error, "ratelimit: cannot declare the counter of grant '\(grant.id)': \(error)")
                }
            }
        }
    }

    /// The grant's counter for `metric`, declared with `limit` unless it
    /// already has it, or a newer table's (a request still holding an older
    /// version never sets an old quota back).
    func counter(grantID: String, metric: RateMetric, limit: Int64, version: UInt64) throws -> CounterID {
        let name = GrantLimits.counterName(grantID: grantID, metric: metric)
        func current(_ declared: [String: Declared]) -> CounterID? {
            guard let known = declared[name], known.limit == limit || known.version > version else { return nil }
            return known.id
        }
        if let id = declared.withLock({ current($0) }) { return id }
        // Rare (a new grant, a changed quota): declarations go one at a
        // time, so the host's limit is always the newest version's.
        return try declaring.withLock { _ in
            if let id = declared.withLock({ current($0) }) { return id }
            let id = try host.declareCounter(name: name, limit: limit, window: metric.window, persist: false)
            declared.withLock { $0[name] = Declared(id: id, limit: limit, version: version) }
            return id
        }
    }
}
