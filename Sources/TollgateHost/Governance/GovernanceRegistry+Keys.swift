import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateConfig

/// Keys minted at run time and revocations (of minted and config keys).
extension GovernanceRegistry {
    /// Mints a key; returns its secret (shown once) and identity.
    package func mintKey(_ body: JSONValue, by actor: GovernanceActor) throws -> (secret: String, key: MintedKey) {
        try Self.refuseKeyHolder(actor)
        var request: KeyRequest
        switch GovernanceRequests.key(body) {
        case .success(let r): request = r
        case .failure(let error): throw GovernanceError.invalid(error.description)
        }
        var secret = ""
        var digest = ""
        return try commit({
            if case .credential(let credential) = actor {
                guard credential.role == .teamAdmin else {
                    throw GovernanceError.forbidden("a \(credential.role.rawValue) credential cannot mint keys")
                }
                if let team = request.team, team != credential.scope {
                    throw GovernanceError.forbidden("credential '\(credential.id)' mints keys in \(credential.scope) only, not \(team)")
                }
                request.team = credential.scope
            }
            guard let team = request.team ?? request.grant.flatMap({ published.table[$0] }).flatMap({ grant in
                grant.scope.team.map { GrantScope(level: .team, org: grant.scope.org, team: $0) }
            }) else {
                throw GovernanceError.invalid("say which team the key belongs to: \"team\": \"team/ORG/TEAM\" (or a grant of that team)")
            }
            guard teams.contains("\(team.org)/\(team.team ?? "")") else {
                throw GovernanceError.invalid("team '\(team.org)/\(team.team ?? "")' is not a team of the config")
            }
            if configKeys[request.id] != nil || mintedKeyDigests[request.id] != nil || revokedKeys[request.id] != nil {
                throw GovernanceError.conflict("a key with id '\(request.id)' exists; key ids are unique (revoked ones included)")
            }
            if let grantID = request.grant {
                guard let grant = published.table[grantID] else { throw GovernanceError.invalid("grant: no grant '\(grantID)'") }
                guard grant.scope.org == team.org, grant.scope.team == nil || grant.scope.team == team.team else {
                    throw GovernanceError.forbidden("a key of \(team) cannot draw on grant '\(grantID)' (\(grant.scope))")
                }
                guard !grant.isRevoked else { throw GovernanceError.conflict("grant '\(grantID)' is revoked") }
                guard grant.grantClass.classes.contains(request.keyClass) else {
                    throw GovernanceError.invalid("class: grant '\(grantID)' admits \(grant.grantClass.rawValue) traffic, not \(request.keyClass.rawValue)")
                }
            }
            if let models = request.models {
                let unknown = models.subtracting(catalogModels)
                guard unknown.isEmpty else { throw GovernanceError.invalid("models: unknown model(s) \(unknown.sorted().joined(separator: ", "))") }
            }
            if let expires = request.expiresAt, expires <= clock() {
                throw GovernanceError.invalid("expires: the date has passed")
            }
            secret = Self.newSecret()
            digest = KeyStore.sha256Hex(secret)
            let owner: String
            switch actor {
            case .master: owner = request.owner ?? "master"
            case .credential(let c): owner = request.owner ?? c.owner
            case .keyHolder(let identity): owner = request.owner ?? identity.owner
            }
            let stored: JSONValue = .object(JSONObject([
                ("id", .string(request.id)), ("org", .string(team.org)), ("team", .string(team.team ?? "")),
                ("grant", request.grant.map { .string($0) } ?? .null), ("class", .string(request.keyClass.rawValue)),
                ("models", request.models.map { .array($0.sorted().map { .string($0) }) } ?? .null),
                ("expires_at", request.expiresAt.map { .int($0) } ?? .null), ("owner", .string(owner)),
                ("sha256", .string(digest)),
            ]))
            return GovernanceEvent(at: clock(), actor: actor.name, kind: .keyMinted, subject: request.id, body: stored)
        }, result: { (secret, mintedKeys[digest]!) })
    }

    /// Revokes a key (config or minted): the next request with it gets 401.
    /// `team` is the key's team, as the caller knows it from the config.
    package func revokeKey(_ id: String, configTeam: (org: String, team: String)?, reason: String?,
                           by actor: GovernanceActor) throws {
        try Self.refuseKeyHolder(actor)
        try commit({
            let minted = mintedKeyDigests[id].flatMap { mintedKeys[$0] }
            guard let home = minted.map({ (org: $0.identity.org, team: $0.identity.team) }) ?? configTeam else {
                throw GovernanceError.notFound("no key '\(id)'")
            }
            if case .credential(let credential) = actor {
                guard credential.role == .teamAdmin,
                      credential.covers(GrantScope(level: .team, org: home.org, team: home.team)) else {
                    throw GovernanceError.forbidden("credential '\(credential.id)' cannot revoke key '\(id)' of team \(home.org)/\(home.team)")
                }
            }
            guard revokedKeys[id] == nil else { throw GovernanceError.conflict("key '\(id)' is already revoked") }
            let body: JSONValue = .object(JSONObject([("reason", reason.map { .string($0) } ?? .null)]))
            return GovernanceEvent(at: clock(), actor: actor.name, kind: .keyRevoked, subject: id, body: body)
        }, publish: false, result: {})
    }
}
