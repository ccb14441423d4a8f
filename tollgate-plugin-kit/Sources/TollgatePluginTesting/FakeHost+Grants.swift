import TollgateABI
import TollgatePluginKit

/// The grant table (ABI 1.5) as a test sets it: the fake host does not
/// compute paths, a test says which grants each FakeCall is on
/// (`FakeCall.grantPath`).
final class FakeGrantBook: @unchecked Sendable {
    struct Book {
        var version: UInt64 = 1
        var json: [UInt8] = Array(#"{"version":1,"grants":[]}"#.utf8)
        /// Every document handed out, kept until the host goes (the ABI
        /// lends them until on_destroy).
        var lent: [UnsafeMutableBufferPointer<UInt8>] = []
    }

    let book = Locked(Book())

    deinit { book.withLock { $0.lent.forEach { $0.deallocate() } } }
}

extension FakeHost {
    /// Replaces the grant table: `grants` are the objects of its `grants`
    /// array (see `FakeHost.grant(...)`), `capacity` its `capacity` object
    /// (none when nil); the version goes up by one.
    public func setGrants(_ grants: [JSONValue], capacity: JSONValue? = nil) {
        grantBook.book.withLock { b in
            b.version += 1
            var fields: [(String, JSONValue)] = [("version", .int(Int64(b.version))), ("grants", .array(grants))]
            if let capacity { fields.append(("capacity", capacity)) }
            b.json = Array(JSONValue.object(JSONObject(fields)).jsonString.utf8)
        }
    }

    /// The version of the table now.
    public var grantsVersion: UInt64 { grantBook.book.withLock { $0.version } }

    /// A grant object as the gateway writes it, with the gateway's
    /// defaults. `amounts`: bucket name ("production", "experimentation"
    /// or "all") to nano-dollars. `org` and `team` are read from the scope
    /// unless given (a key grant's are its key's). `raises`: approved
    /// exceptions and burst draws as the core lists them (see
    /// `FakeHost.raise(...)`).
    public static func grant(id: String, scope: String, parent: String? = nil, org: String? = nil, team: String? = nil,
                             owner: String = "owner@example.com",
                             grantClass: String = "both", amounts: [(String, Int64)] = [("all", 1_000_000_000)],
                             period: String = "daily", tpm: Int64? = nil, rpm: Int64? = nil, renewsAt: Int64? = nil,
                             onExpiry: String = "refuse", graceUntil: Int64? = nil, productionAtCap: String = "open",
                             tiers: (warn: Int, amber: Int, hard: Int) = (80, 110, 150), status: String = "active",
                             source: String = "config", raises: [JSONValue] = []) -> JSONValue {
        let windows: [String: Int64] = ["total": 0, "daily": 1, "weekly": 2, "monthly": 3, "quarterly": 5]
        let buckets: [JSONValue] = amounts.map { name, nanos in
            let classes = name == "all" ? ["production", "experimentation"] : [name]
            return .object(JSONObject([("name", .string(name)), ("classes", .array(classes.map { .string($0) })),
                                       ("amount_nanos", .int(nanos))]))
        }
        let parts = scope.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let level = parts[0]
        let scopeOrg = level == "key" || parts.count < 2 ? "" : parts[1]
        let scopeTeam = level == "key" || level == "org" || parts.count < 3 ? nil : parts[2]
        func optional(_ v: Int64?) -> JSONValue { v.map { .int($0) } ?? .null }
        return .object(JSONObject([
            ("id", .string(id)), ("parent", parent.map { .string($0) } ?? .null), ("scope", .string(scope)),
            ("level", .string(level)), ("org", .string(org ?? scopeOrg)), ("team", (team ?? scopeTeam).map { .string($0) } ?? .null),
            ("owner", .string(owner)), ("class", .string(grantClass)),
            ("buckets", .array(buckets)), ("period", .string(period)), ("window", .int(windows[period] ?? 1)),
            ("tpm", optional(tpm)), ("rpm", optional(rpm)), ("renews_at", optional(renewsAt)), ("review_at", .null),
            ("on_expiry", .string(onExpiry)), ("grace_until", optional(graceUntil)),
            ("production_at_cap", .string(productionAtCap)),
            ("tiers", .object(JSONObject([("warn", .int(tiers.warn)), ("amber", .int(tiers.amber)), ("hard", .int(tiers.hard))]))),
            ("status", .string(status)), ("source", .string(source)), ("raises", .array(raises)),
        ]))
    }

    /// One element of a grant's `raises` as the core writes it: `bucket`
    /// raised by `amountNanos` while startsAt <= now < endsAt; its spent
    /// counter is "exception-spent:<id>".
    public static func raise(id: String, kind: String = "exception", bucket: String = "all", amountNanos: Int64,
                             startsAt: Int64, endsAt: Int64) -> JSONValue {
        .object(JSONObject([
            ("id", .string(id)), ("kind", .string(kind)), ("bucket", .string(bucket)), ("amount_nanos", .int(amountNanos)),
            ("starts_at", .int(startsAt)), ("ends_at", .int(endsAt)), ("counter", .string("exception-spent:\(id)")),
        ]))
    }
}

extension FakeHostTable {
    /// grants_get and call_grants (ABI 1.5).
    static func installGrants(_ api: inout tollgate_type_host_api) {
        api.grants_get = { hostPointer, versionOut, jsonOut in
            guard let host = FakeHostTable.host(hostPointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            if let refusal = HostFunction.grantsGet.refusal(in: host.phase, present: versionOut != nil, jsonOut != nil) {
                return refusal
            }
            host.grantBook.book.withLock { b in
                let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(b.json.count, 1))
                _ = buffer.initialize(from: b.json)
                b.lent.append(buffer)
                versionOut!.pointee = b.version
                jsonOut!.pointee = tollgate_type_str(
                    ptr: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), len: b.json.count)
            }
            return TOLLGATE_STATUS_OK
        }
        api.call_grants = { callPointer, versionOut, indicesOut, capacity, countOut in
            FakeHostTable.onCall(callPointer, .callGrants, present: versionOut != nil, countOut != nil) { c in
                guard capacity == 0 || indicesOut != nil else { return .invalidArgument }
                versionOut!.pointee = c.host?.grantsVersion ?? 1
                countOut!.pointee = c.grantPath.count
                for (i, index) in c.grantPath.prefix(capacity).enumerated() { indicesOut![i] = UInt32(index) }
                return .ok
            }
        }
    }
}
