// Grants (ABI 1.5): the allocation table the core holds, and which of its
// grants a request is on. See the "Grants" section of tollgate_plugin.h.

/// One grant of the table, decoded from the host's JSON. `json` keeps the
/// whole object (rationale, review date, who minted it) for views.
public struct Grant: Sendable {
    /// Money for one or more key classes: a request is charged on the
    /// bucket whose `classes` hold its key class.
    public struct Bucket: Sendable, Equatable {
        /// "production", "experimentation", or "all" (both classes share it).
        public var name: String
        public var classes: [String]
        public var amountNanos: Int64
    }

    /// Percentages of the amount: alert at `warn`; production past 100%
    /// alerts at `amber`; nothing is admitted past `hard`.
    public struct Tiers: Sendable, Equatable {
        public var warn: Int
        public var amber: Int
        public var hard: Int
    }

    /// An approved exception or burst draw (the document's `raises`): the
    /// bucket named `bucket` is raised by `amountNanos` while
    /// `startsAt <= now < endsAt`, and lapses by itself after. The
    /// document may still list a lapsed raise until its next version:
    /// always check the time (`isActive(at:)`, `raise(forBucket:at:)`).
    public struct Raise: Sendable, Equatable {
        /// "exc-0001".
        public var id: String
        /// "exception" or "burst".
        public var kind: String
        /// The bucket's name: "production", "experimentation" or "all".
        public var bucket: String
        public var amountNanos: Int64
        /// Unix seconds, inclusive.
        public var startsAt: Int64
        /// Unix seconds, exclusive: the first instant it no longer raises.
        public var endsAt: Int64
        /// The counter that holds what was spent under it
        /// ("exception-spent:exc-0001"): a plugin adds there the cost of
        /// the requests the raise admitted; the core shows it.
        public var counter: String

        public init(id: String, kind: String, bucket: String, amountNanos: Int64, startsAt: Int64, endsAt: Int64,
                    counter: String) {
            self.id = id
            self.kind = kind
            self.bucket = bucket
            self.amountNanos = amountNanos
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.counter = counter
        }

        public func isActive(at now: Int64) -> Bool { startsAt <= now && now < endsAt }
    }

    /// Index in the table's `grants`.
    public let index: Int
    public let id: String
    public let parent: String?
    /// "team/acme/recs", "feature/acme/recs/search", ...
    public let scope: String
    /// org, team, feature, environment, experiment, tag or key.
    public let level: String
    public let owner: String
    /// production, experimentation or both.
    public let grantClass: String
    public let buckets: [Bucket]
    /// daily, weekly, monthly, quarterly or total.
    public let period: String
    public let window: CounterWindow
    public let tpm: Int64?
    public let rpm: Int64?
    /// Unix seconds: the first instant the grant no longer admits spend
    /// (the end of its renewal date); nil = never.
    public let renewsAt: Int64?
    public let reviewAt: Int64?
    /// "refuse" or "grace".
    public let onExpiry: String
    /// With `onExpiry == "grace"`: production traffic is admitted until then.
    public let graceUntil: Int64?
    /// "open" (production goes on past 100% up to the hard tier) or "refuse".
    public let productionAtCap: String
    public let tiers: Tiers
    /// "active" or "revoked".
    public let status: String
    /// "config" or "minted".
    public let source: String
    /// Approved raises, lapsed ones included until the next version.
    public let raises: [Raise]
    public let json: JSONValue

    /// The bucket a request of `keyClass` is charged on; nil when the
    /// grant does not admit that class.
    public func bucket(forClass keyClass: String) -> Bucket? {
        buckets.first { $0.classes.contains(keyClass) }
    }

    /// How much the raises active at `now` add to the bucket named
    /// `bucket` (a saturating sum; negative amounts count as 0), and
    /// which they are, in document order. The effective amount is the
    /// bucket's amount plus `total`.
    public func raise(forBucket bucket: String, at now: Int64) -> (total: Int64, active: [Raise]) {
        if raises.isEmpty { return (0, []) }
        var total: Int64 = 0
        var active: [Raise] = []
        for raise in raises where raise.bucket == bucket && raise.isActive(at: now) {
            active.append(raise)
            let (sum, overflow) = total.addingReportingOverflow(max(0, raise.amountNanos))
            total = overflow ? Int64.max : sum
        }
        return (total, active)
    }

    /// Where the grant stands at `now` for a request of `keyClass`.
    public func admission(keyClass: String, now: Int64) -> Admission {
        if status == "revoked" { return .revoked }
        guard let renewsAt, now >= renewsAt else { return .open }
        if keyClass == "production", onExpiry == "grace", let graceUntil, now < graceUntil { return .grace(until: graceUntil) }
        return .expired(at: renewsAt)
    }

    public enum Admission: Equatable, Sendable {
        case open
        /// Past its renewal date; production still admitted until `until`.
        case grace(until: Int64)
        case expired(at: Int64)
        case revoked
    }

    init?(index: Int, _ json: JSONValue) {
        guard let id = json["id"]?.stringValue, let scope = json["scope"]?.stringValue,
              let window = json["window"]?.int64Value.flatMap({ CounterWindow(rawValue: Int32($0)) }) else { return nil }
        self.index = index
        self.id = id
        self.json = json
        self.scope = scope
        self.window = window
        parent = json["parent"]?.stringValue
        level = json["level"]?.stringValue ?? ""
        owner = json["owner"]?.stringValue ?? ""
        grantClass = json["class"]?.stringValue ?? "both"
        period = json["period"]?.stringValue ?? ""
        tpm = json["tpm"]?.int64Value
        rpm = json["rpm"]?.int64Value
        renewsAt = json["renews_at"]?.int64Value
        reviewAt = json["review_at"]?.int64Value
        onExpiry = json["on_expiry"]?.stringValue ?? "refuse"
        graceUntil = json["grace_until"]?.int64Value
        productionAtCap = json["production_at_cap"]?.stringValue ?? "open"
        let tiers = json["tiers"]
        self.tiers = Tiers(warn: (tiers?["warn"]?.int64Value).map(Int.init) ?? 80,
                           amber: (tiers?["amber"]?.int64Value).map(Int.init) ?? 110,
                           hard: (tiers?["hard"]?.int64Value).map(Int.init) ?? 150)
        status = json["status"]?.stringValue ?? "active"
        source = json["source"]?.stringValue ?? "config"
        var buckets: [Bucket] = []
        if case .array(let items)? = json["buckets"] {
            for item in items {
                guard let name = item["name"]?.stringValue, let amount = item["amount_nanos"]?.int64Value,
                      case .array(let classes)? = item["classes"] else { return nil }
                buckets.append(Bucket(name: name, classes: classes.compactMap(\.stringValue), amountNanos: amount))
            }
        }
        self.buckets = buckets
        // A raise the plugin cannot read is left out (the limit stays
        // lower, never higher); a missing `raises` is none (older cores).
        var raises: [Raise] = []
        if case .array(let items)? = json["raises"] {
            for item in items {
                guard let id = item["id"]?.stringValue, let bucket = item["bucket"]?.stringValue,
                      let amount = item["amount_nanos"]?.int64Value, let startsAt = item["starts_at"]?.int64Value,
                      let endsAt = item["ends_at"]?.int64Value else { continue }
                raises.append(Raise(id: id, kind: item["kind"]?.stringValue ?? "exception", bucket: bucket, amountNanos: amount,
                                    startsAt: startsAt, endsAt: endsAt,
                                    counter: item["counter"]?.stringValue ?? "exception-spent:\(id)"))
            }
        }
        self.raises = raises
    }
}

/// One version of the grant table.
public final class GrantTable: Sendable {
    public let version: UInt64
    public let grants: [Grant]
    /// The document's `capacity` object as the host wrote it (what was
    /// purchased and how much of it the top-level grants allocate); null
    /// when the host gives none.
    public let capacity: JSONValue
    private let byID: [String: Int]

    public init(version: UInt64, grants: [Grant], capacity: JSONValue = .null) {
        self.version = version
        self.grants = grants
        self.capacity = capacity
        var byID: [String: Int] = [:]
        for grant in grants { byID[grant.id] = grant.index }
        self.byID = byID
    }

    /// Decodes the host's document; nil when it is not one.
    public convenience init?(json bytes: [UInt8]) {
        guard let document = try? JSONValue.parse(bytes), let version = document["version"]?.int64Value,
              case .array(let items)? = document["grants"] else { return nil }
        var grants: [Grant] = []
        for (index, item) in items.enumerated() {
            guard let grant = Grant(index: index, item) else { return nil }
            grants.append(grant)
        }
        self.init(version: UInt64(version), grants: grants, capacity: document["capacity"] ?? .null)
    }

    public subscript(id: String) -> Grant? { byID[id].map { grants[$0] } }

    /// The grant's ancestors, nearest first.
    public func ancestors(of grant: Grant) -> [Grant] {
        var out: [Grant] = []
        var next = grant.parent
        while let id = next, let found = self[id], out.count < grants.count {
            out.append(found)
            next = found.parent
        }
        return out
    }
}

extension PluginHost {
    /// The host has grants (ABI 1.5 or later).
    public var hasGrants: Bool {
        hostAPI.provides(\.counter_reserve_capped) && hostAPI.pointee.grants_get != nil
            && hostAPI.pointee.call_grants != nil && hostAPI.pointee.counter_reserve_capped != nil
    }

    /// The grant table now (decoded: cache it by `version`, see GrantCache).
    public func grantTable() throws -> GrantTable {
        guard hasGrants, let get = hostAPI.pointee.grants_get else {
            throw HostStatusError(.unavailable, operation: "read the grant table (the host is older than ABI 1.5)")
        }
        var version: UInt64 = 0
        var json = tollgate_type_str()
        let status = HostStatus(rawValue: get(handle, &version, &json))
        guard status.isOK else { throw HostStatusError(status, operation: "read the grant table") }
        let bytes = json.ptr.map { Array(UnsafeRawBufferPointer(start: $0, count: json.len)) } ?? []
        guard let table = GrantTable(json: bytes) else {
            throw HostStatusError(.internalError, operation: "decode the grant table (version \(version))")
        }
        return table
    }

    /// `reserve` with a ceiling per item in place of its counter's limit
    /// (Int64.max for none). A host older than 1.5 answers `.failed(.unavailable)`.
    public func reserve(_ items: [(CounterID, amount: Int64, ceiling: Int64)], force: Bool = false) -> ReserveOutcome {
        guard hasGrants, let reserve = hostAPI.pointee.counter_reserve_capped else { return .failed(.unavailable) }
        let ids = items.map(\.0.rawValue)
        let amounts = items.map(\.amount)
        let ceilings = items.map(\.ceiling)
        var reservation: UInt64 = 0
        var refusedIndex = 0
        var state = tollgate_type_counter_state()
        state.struct_size = UInt32(MemoryLayout<tollgate_type_counter_state>.size)
        let status = ids.withUnsafeBufferPointer { idBuffer in
            amounts.withUnsafeBufferPointer { amountBuffer in
                ceilings.withUnsafeBufferPointer { ceilingBuffer in
                    reserve(handle, idBuffer.baseAddress, amountBuffer.baseAddress, ceilingBuffer.baseAddress, items.count,
                            force ? TOLLGATE_RESERVE_FORCE : 0, &reservation, &refusedIndex, &state)
                }
            }
        }
        return ReserveOutcome(status: status, reservation: reservation, refusedIndex: refusedIndex, count: items.count, state: state)
    }
}

extension Call {
    /// The grants this request is on, root first, as indices into the
    /// table of `version`; nil when the host has no grants (older than 1.5)
    /// or refuses.
    public func grantPath() -> (version: UInt64, indices: [Int])? {
        guard hostAPI.provides(\.call_grants), let get = hostAPI.pointee.call_grants else { return nil }
        var version: UInt64 = 0
        var count = 0
        var buffer = [UInt32](repeating: 0, count: 16)
        while true {
            let capacity = buffer.count
            let status = buffer.withUnsafeMutableBufferPointer { get(handle, &version, $0.baseAddress, capacity, &count) }
            guard status == TOLLGATE_STATUS_OK else { return nil }
            if count <= capacity { return (version, buffer.prefix(count).map(Int.init)) }
            buffer = [UInt32](repeating: 0, count: count)
        }
    }
}

/// The grant table a plugin decoded last, refreshed when a request's path
/// names a newer version. Thread-safe; hooks share one.
public final class GrantCache: @unchecked Sendable {
    private let host: PluginHost
    private let current = Locked<GrantTable?>(nil)
    /// Runs (outside the lock) each time a new version is decoded, e.g. to
    /// declare counters for grants minted since.
    private let onNewTable: (GrantTable) -> Void

    public init(host: PluginHost, onNewTable: @escaping (GrantTable) -> Void = { _ in }) {
        self.host = host
        self.onNewTable = onNewTable
    }

    /// The table now (fetching it if none was decoded yet).
    public func table() throws -> GrantTable {
        if let table = current.withLock({ $0 }) { return table }
        return try refresh()
    }

    /// Fetches and decodes the host's table now.
    @discardableResult
    public func refresh() throws -> GrantTable {
        let table = try host.grantTable()
        let newer = current.withLock { cached -> Bool in
            if let cached, cached.version >= table.version { return false }
            cached = table
            return true
        }
        if newer { onNewTable(table) }
        return current.withLock { $0! }
    }

    /// The grants a request is on, root first, and the table they are
    /// from; nil when the host has no grants.
    public func path(_ call: Call) throws -> (table: GrantTable, grants: [Grant])? {
        guard let (version, indices) = call.grantPath() else { return nil }
        var table = try self.table()
        if table.version != version {
            table = try refresh()
            // The table moved on again between the two reads: ask for the
            // path in the version we now hold.
            if table.version != version, let again = call.grantPath(), again.version == table.version {
                return (table, again.indices.compactMap { $0 < table.grants.count ? table.grants[$0] : nil })
            }
            guard table.version == version else { return nil }
        }
        return (table, indices.compactMap { $0 < table.grants.count ? table.grants[$0] : nil })
    }
}
