import Foundation
import NIOCore
import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost

/// Grants and keys minted at run time (docs/governance.md):
///   GET    /admin/grants          the grant table (a credential sees its scope)
///   POST   /admin/grants          mint a grant inside a grant
///   PATCH  /admin/grants/ID       change a minted grant
///   DELETE /admin/grants/ID       revoke a grant
///   GET    /admin/keys            keys minted at run time, and revocations
///   POST   /admin/keys            mint a key (its secret is in the answer, once)
///   DELETE /admin/keys/ID         revoke a key
///   GET    /admin/whoami          who the presented credential is
/// The master key may do everything; a team admin inside its team; a
/// viewer only reads.
extension AdminRoutes {
    /// Answers the request if it is a governance route; false otherwise.
    static func governance(_ request: RoutedRequest, _ generation: Generation, actor: GovernanceActor) -> Bool {
        let method = request.head.method
        let path = request.path
        let registry = request.gateway.services.governance
        func id(after prefix: String) -> String? {
            guard path.hasPrefix(prefix) else { return nil }
            let rest = String(path.dropFirst(prefix.count))
            return rest.isEmpty || rest.contains("/") ? nil : rest
        }
        switch (method, path) {
        case (.GET, "/admin/whoami"):
            send(request, 200, whoami(actor))
        case (.GET, "/admin/grants"):
            send(request, 200, grants(registry.current.table, visibleTo: actor))
        case (.POST, "/admin/grants"):
            perform(request, actor: actor, created: true) { body in
                let grant = try registry.mintGrant(body, by: actor)
                return grantJSON(grant, registry: registry)
            }
        case (.GET, "/admin/keys"):
            send(request, 200, keys(registry, generation: generation, visibleTo: actor))
        case (.POST, "/admin/keys"):
            perform(request, actor: actor, created: true) { body in
                let (secret, key) = try registry.mintKey(body, by: actor)
                guard case .object(var object) = keyJSON(key, revocation: nil) else { return .null }
                object["key"] = .string(secret)
                object["note"] = .string("The key is shown once; only its SHA-256 is kept.")
                return .object(object)
            }
        default:
            if let grantID = id(after: "/admin/grants/") {
                switch method {
                case .GET:
                    guard let grant = registry.current.table[grantID], actor.credential.map({ $0.covers(grant.scope) }) ?? true else {
                        request.writer.sendError(.notFound("No grant '\(grantID)'."), dialect: .unrouted)
                        return true
                    }
                    send(request, 200, grantJSON(grant, registry: registry))
                case .PATCH:
                    perform(request, actor: actor) { body in
                        grantJSON(try registry.updateGrant(grantID, patch: body, by: actor), registry: registry)
                    }
                case .DELETE:
                    perform(request, actor: actor, bodyOptional: true) { body in
                        grantJSON(try registry.revokeGrant(grantID, reason: body["reason"]?.stringValue, by: actor),
                                  registry: registry)
                    }
                default:
                    return false
                }
                return true
            }
            if let keyID = id(after: "/admin/keys/"), method == .DELETE {
                perform(request, actor: actor, bodyOptional: true) { body in
                    let configured = generation.keys.identity(keyID: keyID).map { (org: $0.org, team: $0.team) }
                    try registry.revokeKey(keyID, configTeam: configured, reason: body["reason"]?.stringValue, by: actor)
                    return .object(JSONObject([("id", .string(keyID)), ("status", .string("revoked")),
                                               ("revocation", .string(registry.keyRevocation(keyID) ?? ""))]))
                }
                return true
            }
            return false
        }
        return true
    }

    private static func send(_ request: RoutedRequest, _ status: Int, _ json: JSONValue) {
        sendGovernanceJSON(request, status, json)
    }

    static func sendGovernanceJSON(_ request: RoutedRequest, _ status: Int, _ json: JSONValue) {
        request.writer.sendJSON(status: status, json.serialized())
    }

    private static func perform(_ request: RoutedRequest, actor: GovernanceActor, created: Bool = false, bodyOptional: Bool = false,
                                _ change: @escaping (JSONValue) throws -> JSONValue) {
        performGovernance(request, actor: actor, created: created, bodyOptional: bodyOptional, change)
    }

    /// Reads the JSON body, runs `change`, answers its result (201 when it
    /// created something, or what `status` says) or the registry's refusal.
    /// On a shared store (PostgreSQL) the change waits on the database, so
    /// it runs off the event loop, which serves other calls meanwhile.
    static func performGovernance(_ request: RoutedRequest, actor: GovernanceActor, created: Bool = false, bodyOptional: Bool = false,
                                  _ change: @escaping (JSONValue) throws -> JSONValue, status: ((JSONValue) -> Int)? = nil) {
        let bytes = request.body.map { Array($0.readableBytesView) } ?? []
        let body: JSONValue
        if bytes.isEmpty, bodyOptional {
            body = .object(JSONObject())
        } else {
            guard let parsed = try? JSONValue.parse(bytes), case .object = parsed else {
                return request.writer.sendError(.invalidRequest("The body must be a JSON object."), dialect: .unrouted)
            }
            body = parsed
        }
        if case .credential(let credential) = actor, credential.role == .viewer {
            return request.writer.sendError(.permission("Credential '\(credential.id)' is a viewer: it reads, it changes nothing.",
                                                        code: "read_only_credential"), dialect: .unrouted)
        }
        guard request.gateway.services.governance.isShared else {
            return answer(request, Result { try change(body) }, created: created, status: status)
        }
        let eventLoop = request.eventLoop
        let bound = NIOLoopBound((request, status), eventLoop: eventLoop)
        let work = GovernanceChange(run: change)
        DispatchQueue.global().async {
            let result = Result { try work.run(body) }
            eventLoop.execute {
                answer(bound.value.0, result, created: created, status: bound.value.1)
            }
        }
    }

    private static func answer(_ request: RoutedRequest, _ result: Result<JSONValue, Error>, created: Bool, status: ((JSONValue) -> Int)?) {
        switch result {
        case .success(let answer):
            send(request, status?(answer) ?? (created ? 201 : 200), answer)
        case .failure(let error as GovernanceError):
            request.writer.sendError(gatewayError(error), dialect: .unrouted)
        case .failure(let error):
            request.writer.sendError(.internalError("\(error)"), dialect: .unrouted)
        }
    }

    static func gatewayError(_ error: GovernanceError) -> GatewayError {
        switch error {
        case .invalid(let m): return GatewayError(status: 400, type: "invalid_request_error", code: "invalid_governance_request", message: m)
        case .forbidden(let m): return .permission(m, code: "governance_forbidden")
        case .notFound(let m): return .notFound(m)
        case .conflict(let m): return GatewayError(status: 409, type: "invalid_request_error", code: "governance_conflict", message: m)
        case .corrupt(let m): return .internalError(m)
        case .unavailable(let m): return GatewayError(status: 503, type: "api_error", code: "storage_unavailable", message: m)
        }
    }

    static func whoami(_ actor: GovernanceActor) -> JSONValue {
        switch actor {
        case .master:
            return .object(JSONObject([("role", .string("admin")), ("scope", .string("")), ("id", .null), ("owner", .null)]))
        case .credential(let c):
            return .object(JSONObject([("role", .string(c.role.rawValue)), ("scope", .string(c.scope.description)),
                                       ("id", .string(c.id)), ("owner", .string(c.owner))]))
        case .keyHolder(let identity):
            return .object(JSONObject([("role", .string("key_holder")), ("scope", .string("key/\(identity.keyId)")),
                                       ("id", .string(identity.keyId)), ("owner", .string(identity.owner)),
                                       ("class", .string(identity.keyClass.rawValue))]))
        }
    }

    static func grants(_ table: GrantTable, visibleTo actor: GovernanceActor) -> JSONValue {
        let visible = table.grants.indices.filter { actor.credential?.covers(table.grants[$0].scope) ?? true }
        return .object(JSONObject([
            ("version", .int(Int64(table.version))),
            ("grants", .array(visible.map { GrantTable.json(table.grants[$0], parent: table.parents[$0].map { table.grants[$0].id }) })),
        ]))
    }

    static func grantJSON(_ grant: Grant, registry: GovernanceRegistry) -> JSONValue {
        let table = registry.current.table
        let parent = table.index(of: grant.id).flatMap { table.parents[$0] }.map { table.grants[$0].id }
        return GrantTable.json(grant, parent: parent)
    }

    static func keys(_ registry: GovernanceRegistry, generation: Generation, visibleTo actor: GovernanceActor) -> JSONValue {
        let minted = registry.mintedKeyList.filter { key in
            actor.credential?.covers(GrantScope(level: .team, org: key.identity.org, team: key.identity.team)) ?? true
        }
        return .object(JSONObject([
            ("keys", .array(minted.map { keyJSON($0, revocation: registry.keyRevocation($0.identity.keyId)) })),
        ]))
    }

    static func keyJSON(_ key: MintedKey, revocation: String?) -> JSONValue {
        let identity = key.identity
        return .object(JSONObject([
            ("id", .string(identity.keyId)), ("org", .string(identity.org)), ("team", .string(identity.team)),
            ("grant", identity.grant.map { .string($0) } ?? .null), ("class", .string(identity.keyClass.rawValue)),
            ("owner", .string(identity.owner)),
            ("models", identity.allowedModels.map { .array($0.sorted().map { .string($0) }) } ?? .null),
            ("expires", identity.expiresAt.map { .string(UTCCalendar.iso8601($0)) } ?? .null),
            ("minted_by", .string(key.mintedBy)), ("minted_at", .string(UTCCalendar.iso8601(key.mintedAt))),
            ("status", .string(revocation == nil ? "active" : "revoked")), ("revocation", revocation.map { .string($0) } ?? .null),
        ]))
    }
}

/// A change handed to a dispatch thread: it runs there once, alone, and
/// touches only the registry (which has its own locks) and values.
private struct GovernanceChange: @unchecked Sendable {
    let run: (JSONValue) throws -> JSONValue
}
