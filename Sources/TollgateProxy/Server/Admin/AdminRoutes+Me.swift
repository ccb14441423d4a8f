import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost

/// `GET /admin/me` (docs/dashboard.md, "My key"): a virtual key's holder
/// sees the key and the grants its traffic always draws on, with the
/// budget plugin's figures for each.
///
/// Who may call it: a key holder (the key as a bearer key, or the
/// dashboard's session after signing in with the key), and the master key
/// for any key with `?key=ID`. A credential may not (it has the allocation
/// view); a key holder may call no other admin route.
///
/// The grants are `GrantTable.path` without request attributes: the org's,
/// the team's, the key's own key grant, the grant the key is bound to, and
/// their ancestors (feature, tag, environment and experiment grants apply
/// only to requests that carry the attribute, so they are not listed). The
/// figures are the very answer of `GET /admin/allocation` (the budget
/// plugin's route, called as the master key), picked by grant id: the same
/// code path, so the same numbers.
extension AdminRoutes {
    static func me(_ request: RoutedRequest, _ generation: Generation, actor: GovernanceActor) {
        let identity: Identity
        switch actor {
        case .keyHolder(let holder):
            identity = holder
        case .master:
            guard let keyID = request.queryValue("key"), !keyID.isEmpty else {
                return request.writer.sendError(.invalidRequest("GET /admin/me is a key holder's view: present a virtual key, "
                    + "or with the master key name one: /admin/me?key=ID."), dialect: .unrouted)
            }
            let registry = request.gateway.services.governance
            guard let found = generation.keys.identity(keyID: keyID)
                    ?? registry.mintedKeyList.first(where: { $0.identity.keyId == keyID })?.identity else {
                return request.writer.sendError(.notFound("No key '\(keyID)'."), dialect: .unrouted)
            }
            identity = found
        case .credential(let credential):
            return request.writer.sendError(.permission("GET /admin/me is a virtual key's own view; credential '\(credential.id)' "
                + "(\(credential.role.rawValue)) reads GET /admin/allocation instead.", code: "route_forbidden"), dialect: .unrouted)
        }
        sendGovernanceJSON(request, 200, meJSON(identity, request: request, generation: generation))
    }

    static func meJSON(_ identity: Identity, request: RoutedRequest, generation: Generation) -> JSONValue {
        let table = request.gateway.services.governance.current.table
        let path = table.path(org: identity.org, team: identity.team, keyID: identity.keyId, keyClass: identity.keyClass,
                              keyGrant: identity.grant, attribute: { _ in nil })
        // The budget plugin's own answer, as the master key: every grant's figures.
        var figures: [String: JSONValue]? = nil
        var asOf: JSONValue = .null
        var note: String? = nil
        switch generation.routes.answer(method: "GET", path: "/admin/allocation", query: "", body: [], caller: .master) {
        case .response(200, _, let bytes)?:
            if case .object(let answer)? = try? JSONValue.parse(bytes), case .array(let items)? = answer["grants"] {
                var byID: [String: JSONValue] = [:]
                for item in items { if let id = item["id"]?.stringValue { byID[id] = item } }
                figures = byID
                asOf = answer["as_of"] ?? .null
            } else {
                note = "The budget plugin's allocation answer could not be read: the grants are listed without figures."
            }
        case .response(let status, _, _)?:
            note = "GET /admin/allocation answered \(status): the grants are listed without figures."
        case .error(let error)?:
            note = "GET /admin/allocation failed (\(error.message)): the grants are listed without figures."
        case nil:
            note = "The budget plugin is not loaded (no GET /admin/allocation): the grants are listed without figures."
        }
        let keyClass = identity.keyClass
        let grants: [JSONValue] = path.map { index in
            let grant = table.grants[index]
            let parent = table.parents[index].map { table.grants[$0].id }
            guard case .object(var object) = GrantTable.json(grant, parent: parent) else { return .null }
            object["depth"] = .int(Int64(table.depths[index]))
            object["allocation"] = figures.map { $0[grant.id] ?? .null } ?? .null
            object["at_cap"] = .string(atCap(grant, keyClass: keyClass))
            object["ask"] = ask(grant, identity: identity)
            return .object(object)
        }
        let keyGrant = path.map { table.grants[$0] }.first { $0.scope.level == .key && $0.scope.description == "key/\(identity.keyId)" }
        var object = JSONObject([
            ("key", .object(JSONObject([
                ("id", .string(identity.keyId)), ("org", .string(identity.org)), ("team", .string(identity.team)),
                ("owner", .string(identity.owner)), ("class", .string(keyClass.rawValue)),
                ("models", identity.allowedModels.map { .array($0.sorted().map { .string($0) }) } ?? .null),
                ("expires", identity.expiresAt.map { .string(UTCCalendar.iso8601($0)) } ?? .null),
                ("grant", identity.grant.map { .string($0) } ?? .null),
            ]))),
            ("as_of", asOf),
            ("figures", .bool(figures != nil)),
            ("grants", .array(grants)),
            // A key has a counter of its own only when a key grant exists:
            // that grant's figures are then the key's spend.
            ("key_spend", keyGrant.map { .string($0.id) } ?? .null),
        ])
        if let note { object["note"] = .string(note) }
        if keyGrant == nil {
            object["key_spend_note"] = .string("No key grant for \(identity.keyId): the gateway keeps no counter of this key's own "
                + "spend, only the grants'. tollgate report (the ledger) gives it by key.")
        }
        return .object(object)
    }

    /// What a request of `keyClass` meets when the grant is spent.
    static func atCap(_ grant: Grant, keyClass: KeyClass) -> String {
        if keyClass == .experimentation {
            return "Refused at 100% of the amount (experimentation keys never go past a cap)."
        }
        if grant.productionAtCap == .refuse {
            return "Refused at 100% of the amount (this grant refuses production at its cap)."
        }
        return "Admitted past 100% (production fails open), with alerts at the amber tier (\(grant.amberPercent)%); "
            + "refused at the hard tier (\(grant.hardPercent)%)."
    }

    /// How to ask for more on `grant`: whom, and the exception command a
    /// team admin files for it (an approver then decides).
    static func ask(_ grant: Grant, identity: Identity) -> JSONValue {
        let command = "tollgate exception request --grant \(grant.id) --class \(identity.keyClass.rawValue) "
            + "--amount AMOUNT --ends YYYY-MM-DD --reason \"WHY\""
        return .object(JSONObject([
            ("owner", .string(grant.owner)),
            ("command", .string(command)),
            ("how", .string("Ask \(grant.owner) (the grant's owner) or a team admin of \(identity.org)/\(identity.team) to file "
                + "this exception request; an approver decides it.")),
        ]))
    }
}
