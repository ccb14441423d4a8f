import Foundation
import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateConfig

/// A key minted at run time: its identity and who minted it.
package struct MintedKey: Sendable, Equatable {
    package var identity: Identity
    package var sha256Hex: String
    package var mintedBy: String
    package var mintedAt: Int64
}

/// One published version of the grant table, its document in memory that
/// stays put for the life of the process (plugins borrow it until they are
/// destroyed).
package final class PublishedGrants: @unchecked Sendable {
    package let table: GrantTable
    let bytes: UnsafeMutableBufferPointer<UInt8>

    init(_ table: GrantTable) {
        self.table = table
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(table.json.count, 1))
        _ = buffer.initialize(from: table.json)
        bytes = UnsafeMutableBufferPointer(rebasing: buffer[0..<table.json.count])
    }

    // Never deallocated: every version stays readable (a few KB per
    // change; changes are people's decisions, not traffic).
}

/// The governance state the gateway enforces: the config's grants and
/// credentials, and what people minted, changed and revoked at run time
/// (replayed from the store). Survives reloads; one per process.
package final class GovernanceRegistry: RuntimeKeyDirectory, @unchecked Sendable {
    /// Guards the state below; held only in memory (never across a store
    /// round trip), so the hot path's reads never wait on the database.
    let lock = NIOLock()
    /// Serialises changes and catch-ups (GovernanceRegistry+Sync): what a
    /// change was decided against is what it is appended after. Taken
    /// before `lock`, never inside it.
    let changeLock = NIOLock()
    let store: GovernanceStore
    /// The last event applied (GovernanceRegistry+Sync).
    var position = GovernanceLogPosition.start
    let clock: @Sendable () -> Int64

    // The config's part (replaced on reload).
    var configGrants: [Grant] = []
    var configKeys: [String: KeyPlacement] = [:]
    private var capacity = CapacityConfig()
    private var credentials: [String: Credential] = [:]
    var catalogModels: Set<String> = []
    var teams: Set<String> = []

    // What people did (replayed from the store).
    private var mintedGrants: [(grant: Grant, request: JSONValue)] = []
    var mintedKeys: [String: MintedKey] = [:]  // by digest
    var mintedKeyDigests: [String: String] = [:]  // id -> digest
    private var revokedGrants: [String: (by: String, at: Int64)] = [:]
    var revokedKeys: [String: (by: String, at: Int64)] = [:]
    /// Exception requests and burst draws, in the order made
    /// (GovernanceRegistry+Exceptions).
    var exceptions: [GrantException] = []
    var exceptionPolicy = ExceptionPolicy()
    var burstPools: [String: BurstPool] = [:]
    /// Team ("org/team") -> period -> its latest forecast
    /// (GovernanceRegistry+Forecasts).
    var forecasts: [String: [String: Forecast]] = [:]

    var published: PublishedGrants
    private var nextVersion: UInt64 = 1

    /// Replays the store. Throws when it cannot be read.
    package init(store: GovernanceStore, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) throws {
        self.store = store
        self.clock = clock
        published = PublishedGrants(GrantTable.empty)
        for event in try store.events() { apply(event) }
    }

    // MARK: configuration

    /// Takes the config's grants, keys and credentials (at start and on
    /// every reload) and publishes a new table. Returns the problems of the
    /// merged table (minted grants whose parent the new config dropped).
    @discardableResult
    package func configure(_ config: TollgateConfig) -> [GrantProblem] {
        lock.withLock {
            configGrants = config.grants
            configKeys = config.keyPlacements
            capacity = config.capacity
            credentials = Dictionary(config.credentials.map { ($0.sha256Hex, $0.credential) }, uniquingKeysWith: { a, _ in a })
            catalogModels = Set(config.catalog.entries.map(\.name))
            teams = Set(config.orgs.flatMap { org in org.teams.map { "\(org.name)/\($0.name)" } })
            exceptionPolicy = config.exceptionPolicy
            burstPools = Dictionary(config.burstPools.map { ($0.org, $0) }, uniquingKeysWith: { a, _ in a })
            return publishLocked().problems
        }
    }

    // MARK: reads (hot path)

    package var current: PublishedGrants { lock.withLock { published } }

    /// The grants a request is on (indices into the table of the version
    /// returned), root first.
    package func path(identity: Identity, attribute: (String) -> String?) -> (PublishedGrants, [Int]) {
        let snapshot = current
        return (snapshot, snapshot.table.path(org: identity.org, team: identity.team, keyID: identity.keyId,
                                              keyClass: identity.keyClass, keyGrant: identity.grant, attribute: attribute))
    }

    /// A minted key's identity by the SHA-256 of its secret.
    package func mintedIdentity(sha256Hex: String) -> Identity? {
        lock.withLock { mintedKeys[sha256Hex]?.identity }
    }

    /// Why a key may no longer be used ("revoked at ... by ..."), or nil.
    package func keyRevocation(_ keyID: String) -> String? {
        lock.withLock {
            revokedKeys[keyID].map { "revoked at \(UTCCalendar.iso8601($0.at)) by \($0.by)" }
        }
    }

    /// The credential whose secret has this SHA-256.
    package func credential(sha256Hex: String) -> Credential? { lock.withLock { credentials[sha256Hex] } }

    package var mintedKeyList: [MintedKey] {
        lock.withLock { mintedKeys.values.sorted { $0.mintedAt != $1.mintedAt ? $0.mintedAt < $1.mintedAt : $0.identity.keyId < $1.identity.keyId } }
    }

    package func isKeyRevoked(_ keyID: String) -> Bool { lock.withLock { revokedKeys[keyID] != nil } }

    // MARK: changes

    /// Mints a grant from an API body. A team admin mints only below its
    /// team (feature, environment, experiment, tag or key grants inside one
    /// of its team's grants); nothing may exceed what its parent has left
    /// to carve.
    package func mintGrant(_ body: JSONValue, by actor: GovernanceActor) throws -> Grant {
        try Self.refuseKeyHolder(actor)
        let grant: Grant
        switch GovernanceRequests.grant(body) {
        case .success(let g): grant = g
        case .failure(let error): throw GovernanceError.invalid(error.description)
        }
        return try commit({
            if let existing = allGrantIDsLocked().first(where: { $0 == grant.id }) {
                throw GovernanceError.conflict("a grant with id '\(existing)' exists; grant ids are unique (revoked ones included)")
            }
            try authorizeGrantLocked(grant, by: actor)
            var minted = grant
            minted.source = .minted
            minted.createdBy = actor.name
            minted.createdAt = clock()
            try checkFitsLocked(adding: minted)
            return GovernanceEvent(at: clock(), actor: actor.name, kind: .grantMinted, subject: grant.id, body: body)
        }, result: { published.table[grant.id]! })
    }

    /// Changes a minted grant (amount, owner, dates, rationale, quotas...).
    /// Config grants change in the YAML.
    package func updateGrant(_ id: String, patch: JSONValue, by actor: GovernanceActor) throws -> Grant {
        try Self.refuseKeyHolder(actor)
        guard case .object(let fields) = patch, !fields.entries.isEmpty else {
            throw GovernanceError.invalid("the body must be a JSON object with the fields to change")
        }
        if fields["id"] != nil || fields["scope"] != nil || fields["parent"] != nil {
            throw GovernanceError.invalid("id, scope and parent cannot change; revoke the grant and mint another")
        }
        return try commit({
            guard let index = mintedGrants.firstIndex(where: { $0.grant.id == id }) else {
                if configGrants.contains(where: { $0.id == id }) {
                    throw GovernanceError.forbidden("grant '\(id)' is declared in the config file; change it there and reload")
                }
                throw GovernanceError.notFound("no grant '\(id)'")
            }
            guard revokedGrants[id] == nil else { throw GovernanceError.conflict("grant '\(id)' is revoked") }
            let merged = GovernanceRequests.merge(mintedGrants[index].request, patch)
            var changed: Grant
            switch GovernanceRequests.grant(merged) {
            case .success(let g): changed = g
            case .failure(let error): throw GovernanceError.invalid(error.description)
            }
            try authorizeGrantLocked(changed, by: actor)
            changed.source = .minted
            changed.createdBy = mintedGrants[index].grant.createdBy
            changed.createdAt = mintedGrants[index].grant.createdAt
            try checkFitsLocked(replacing: index, with: changed)
            return GovernanceEvent(at: clock(), actor: actor.name, kind: .grantUpdated, subject: id, body: patch)
        }, result: { published.table[id]! })
    }

    /// Revokes a grant: from the next request on, it (and what lies below
    /// it) admits nothing. A team admin revokes minted grants of its team.
    package func revokeGrant(_ id: String, reason: String?, by actor: GovernanceActor) throws -> Grant {
        try Self.refuseKeyHolder(actor)
        return try commit({
            guard let grant = published.table[id] else { throw GovernanceError.notFound("no grant '\(id)'") }
            if case .credential(let credential) = actor {
                guard credential.role == .teamAdmin, credential.covers(grant.scope) else {
                    throw GovernanceError.forbidden("credential '\(credential.id)' cannot revoke grant '\(id)' (\(grant.scope)): outside \(credential.scope)")
                }
                guard grant.source == .minted else {
                    throw GovernanceError.forbidden("grant '\(id)' is declared in the config file; only the master key (or the file) can revoke it")
                }
            }
            guard revokedGrants[id] == nil else { throw GovernanceError.conflict("grant '\(id)' is already revoked") }
            let body: JSONValue = .object(JSONObject([("reason", reason.map { .string($0) } ?? .null)]))
            return GovernanceEvent(at: clock(), actor: actor.name, kind: .grantRevoked, subject: id, body: body)
        }, result: { published.table[id]! })
    }

    // MARK: inside the lock

    /// A key holder changes nothing (AdminRoutes stops it before any
    /// governance route; this is the second lock on the door).
    static func refuseKeyHolder(_ actor: GovernanceActor) throws {
        if let identity = actor.keyHolder {
            throw GovernanceError.forbidden("key '\(identity.keyId)' is a virtual key: it reads its own view (GET /admin/me), it changes nothing")
        }
    }

    private func allGrantIDsLocked() -> [String] { configGrants.map(\.id) + mintedGrants.map(\.grant.id) }

    private func authorizeGrantLocked(_ grant: Grant, by actor: GovernanceActor) throws {
        guard case .credential(let credential) = actor else { return }
        guard credential.role == .teamAdmin else {
            throw GovernanceError.forbidden("a \(credential.role.rawValue) credential cannot change grants")
        }
        let below: Set<GrantScope.Level> = [.feature, .environment, .experiment, .tag, .key]
        guard below.contains(grant.scope.level) else {
            throw GovernanceError.forbidden("a team admin mints grants below its team (feature, environment, experiment, tag or key), "
                + "not \(grant.scope.level.rawValue) grants: those are the committee's, in the config file")
        }
        var scope = grant.scope
        if scope.level == .key, let placement = placementsLocked()[scope.name ?? ""] {
            scope.org = placement.org
            scope.team = placement.team
        }
        guard credential.covers(scope) else {
            throw GovernanceError.forbidden("credential '\(credential.id)' acts inside \(credential.scope) only; \(grant.scope) is outside it")
        }
        if let parentID = grant.parent {
            guard let parent = published.table[parentID] else { throw GovernanceError.invalid("parent: no grant '\(parentID)'") }
            guard credential.covers(parent.scope) else {
                throw GovernanceError.forbidden("credential '\(credential.id)' cannot carve from grant '\(parentID)' (\(parent.scope))")
            }
        }
    }

    private func placementsLocked() -> [String: KeyPlacement] {
        var keys = configKeys
        for key in mintedKeys.values {
            keys[key.identity.keyId] = KeyPlacement(org: key.identity.org, team: key.identity.team, grant: key.identity.grant)
        }
        return keys
    }

    private func checkFitsLocked(adding grant: Grant) throws {
        try checkFitsLocked(candidates: currentGrantsLocked() + [grant], subject: grant)
    }

    private func checkFitsLocked(replacing index: Int, with grant: Grant) throws {
        var grants = configGrants.map(applyRevocation)
        for (i, entry) in mintedGrants.enumerated() { grants.append(applyRevocation(i == index ? grant : entry.grant)) }
        try checkFitsLocked(candidates: grants, subject: grant)
    }

    /// Refuses a change that adds a problem to the table (a carve-out over
    /// its parent, an unknown parent, an ambiguous one).
    private func checkFitsLocked(candidates: [Grant], subject: Grant) throws {
        let before = Set(published.table.problems.map(\.message))
        let after = GrantTable(version: 0, grants: candidates, keys: placementsLocked(), capacity: capacity)
        let added = after.problems.filter { !before.contains($0.message) }
        guard added.isEmpty else { throw GovernanceError.conflict(added.map(\.message).joined(separator: "; ")) }
        if let parent = after.index(of: subject.id).flatMap({ after.parents[$0] }), after.grants[parent].isRevoked {
            throw GovernanceError.conflict("grant '\(after.grants[parent].id)' is revoked: nothing can be carved from it")
        }
    }

    private func applyRevocation(_ grant: Grant) -> Grant {
        guard let revoked = revokedGrants[grant.id] else { return grant }
        var g = grant
        g.revokedBy = revoked.by
        g.revokedAt = revoked.at
        return g
    }

    private func currentGrantsLocked() -> [Grant] {
        (configGrants + mintedGrants.map(\.grant)).map(applyRevocation)
    }

    @discardableResult
    func publishLocked() -> GrantTable {
        let table = GrantTable(version: nextVersion, grants: currentGrantsLocked(), keys: placementsLocked(), capacity: capacity,
                               raises: raisesLocked(now: clock()))
        nextVersion += 1
        published = PublishedGrants(table)
        return table
    }

    /// Replays one event into the state (the store's order is the truth).
    func apply(_ event: GovernanceEvent, publish: Bool = false) {
        position = GovernanceLogPosition(after: event)
        switch event.kind {
        case .grantMinted:
            guard case .success(var grant) = GovernanceRequests.grant(event.body) else { return }
            grant.source = .minted
            grant.createdBy = event.actor
            grant.createdAt = event.at
            grant.location = nil
            mintedGrants.append((grant, event.body))
        case .grantUpdated:
            guard let index = mintedGrants.firstIndex(where: { $0.grant.id == event.subject }) else { return }
            let merged = GovernanceRequests.merge(mintedGrants[index].request, event.body)
            guard case .success(var grant) = GovernanceRequests.grant(merged) else { return }
            grant.source = .minted
            grant.createdBy = mintedGrants[index].grant.createdBy
            grant.createdAt = mintedGrants[index].grant.createdAt
            mintedGrants[index] = (grant, merged)
        case .grantRevoked:
            revokedGrants[event.subject] = (event.actor, event.at)
        case .keyMinted:
            let b = event.body
            guard let id = b["id"]?.stringValue, let org = b["org"]?.stringValue, let team = b["team"]?.stringValue,
                  let keyClass = b["class"]?.stringValue.flatMap(KeyClass.init(rawValue:)),
                  let digest = b["sha256"]?.stringValue else { return }
            var models: Set<String>?
            if case .array(let items)? = b["models"] { models = Set(items.compactMap(\.stringValue)) }
            var identity = Identity(keyId: id, org: org, team: team, owner: b["owner"]?.stringValue ?? event.actor,
                                    keyClass: keyClass, allowedModels: models, expiresAt: b["expires_at"]?.int64Value)
            identity.grant = b["grant"]?.stringValue
            mintedKeys[digest] = MintedKey(identity: identity, sha256Hex: digest, mintedBy: event.actor, mintedAt: event.at)
            mintedKeyDigests[id] = digest
        case .keyRevoked:
            revokedKeys[event.subject] = (event.actor, event.at)
        case .exceptionRequested, .exceptionApproved, .exceptionDenied, .burstDrawn:
            applyException(event)
        case .forecastSubmitted:
            applyForecast(event)
        }
        if publish { publishLocked() }
    }

    /// "tg-" and 40 hex characters from the system's secure generator.
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var out = Array("tg-".utf8)
        for _ in 0..<40 { out.append(hex[Int(generator.next() & 0xf)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
