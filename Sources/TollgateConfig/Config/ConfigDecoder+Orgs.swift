import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

extension ConfigDecoder {
    struct DecodedKeys {
        var orgs: [OrgConfig] = []
        var entries: [(sha256Hex: String, identity: Identity)] = []
        /// Ids and digests used, for the credentials decoded next.
        var seen = Seen()
    }

    /// Orgs, their teams and the teams' keys. Key ids and digests must be
    /// unique across the whole file; `models` must name catalog models.
    func decodeOrgs(_ node: YAMLNode?, modelNames: [String]) -> DecodedKeys {
        var out = DecodedKeys()
        guard let node, let orgItems = list(node, expected: "a list of orgs") else { return out }
        var seen = Seen()
        defer { out.seen = seen }
        var orgLines: [String: Int] = [:]
        for (orgIndex, orgNode) in orgItems.enumerated() {
            let orgContext = entryContext(orgNode, nameKey: "name", kind: "org", list: "orgs", index: orgIndex)
            guard let org = fields(orgNode, context: orgContext, expected: "an org (a mapping with name and teams)",
                                   allowed: ["name", "teams", "outcome_metrics"], required: ["name"]) else { continue }
            let orgName = org["name"].flatMap { identifier($0, what: "org name") }
            if let orgName, let nameNode = org["name"] {
                if let line = orgLines[orgName] {
                    fail(nameNode, "duplicate org '\(orgName)' (first defined at line \(line)); org names must be unique")
                }
                orgLines[orgName] = nameNode.location.line
            }
            let outcomeMetrics = org["outcome_metrics"].map { decodeOutcomeMetrics($0, orgContext: orgContext) } ?? []
            var teams: [TeamConfig] = []
            var teamLines: [String: Int] = [:]
            let teamItems = org["teams"].flatMap { list($0, expected: "a list of teams") } ?? []
            for (teamIndex, teamNode) in teamItems.enumerated() {
                let teamContext = entryContext(teamNode, nameKey: "name", kind: "team", list: "\(orgContext) teams",
                                               index: teamIndex)
                guard let team = fields(teamNode, context: teamContext,
                                        expected: "a team (a mapping with name, owner and keys)",
                                        allowed: ["name", "owner", "keys", "outcomes", "cost_center"],
                                        required: ["name"]) else { continue }
                let teamName = team["name"].flatMap { identifier($0, what: "team name") }
                if let teamName, let nameNode = team["name"] {
                    if let line = teamLines[teamName] {
                        fail(nameNode, "duplicate team '\(teamName)' in \(orgContext) (first defined at line \(line))")
                    }
                    teamLines[teamName] = nameNode.location.line
                }
                let owner = team["owner"].flatMap { string($0, expected: "an owner (e.g. an email address)") }
                var keyIds: [String] = []
                let keyItems = team["keys"].flatMap { list($0, expected: "a list of keys") } ?? []
                for (keyIndex, keyNode) in keyItems.enumerated() {
                    let keyContext = entryContext(keyNode, nameKey: "id", kind: "key", list: "\(teamContext) keys",
                                                  index: keyIndex)
                    guard let key = decodeKey(keyNode, context: keyContext, teamContext: teamContext,
                                              teamOwner: owner, modelNames: modelNames, seen: &seen),
                          let orgName, let teamName else { continue }
                    var identity = key.identity
                    identity.org = orgName
                    identity.team = teamName
                    out.entries.append((key.sha256Hex, identity))
                    keyIds.append(identity.keyId)
                }
                let outcomes = team["outcomes"].map {
                    decodeTeamOutcomes($0, teamContext: teamContext, orgContext: orgContext, declared: outcomeMetrics)
                } ?? []
                let costCenter = team["cost_center"].flatMap { string($0, expected: "a cost centre (e.g. CC-1042)") }
                if let teamName {
                    teams.append(TeamConfig(name: teamName, owner: owner, keyIds: keyIds, outcomes: outcomes, costCenter: costCenter))
                }
            }
            if let orgName { out.orgs.append(OrgConfig(name: orgName, teams: teams, outcomeMetrics: outcomeMetrics)) }
        }
        return out
    }

    /// An org's `outcome_metrics:`: distinct identifiers.
    private func decodeOutcomeMetrics(_ node: YAMLNode, orgContext: String) -> [String] {
        guard let items = list(node, expected: "a list of outcome metric names (e.g. [resolved_ticket, merged_pr])") else { return [] }
        var metrics: [String] = []
        for item in items {
            guard let name = identifier(item, what: "outcome metric") else { continue }
            if metrics.contains(name) {
                fail(item, "outcome metric '\(name)' is listed twice in \(orgContext) outcome_metrics")
                continue
            }
            metrics.append(name)
        }
        return metrics
    }

    /// A team's `outcomes:`: one or two of its org's declared metrics.
    private func decodeTeamOutcomes(_ node: YAMLNode, teamContext: String, orgContext: String, declared: [String]) -> [String] {
        guard let items = list(node, expected: "a list of one or two outcome metrics") else { return [] }
        guard (1...2).contains(items.count) else {
            fail(node, "\(teamContext) declares \(items.count) outcome metrics; a team reports one or two (cost per outcome needs a focus)")
            return []
        }
        var outcomes: [String] = []
        for item in items {
            guard let name = identifier(item, what: "outcome metric") else { continue }
            guard declared.contains(name) else {
                let hint = Suggestion.closest(to: name, among: declared).map { "; did you mean '\($0)'?" }
                    ?? (declared.isEmpty ? "; declare it in the org's outcome_metrics first"
                        : "; the org declares: " + declared.joined(separator: ", "))
                fail(item, "\(teamContext) reports outcome '\(name)', which \(orgContext) does not declare in outcome_metrics\(hint)")
                continue
            }
            if !outcomes.contains(name) { outcomes.append(name) }
        }
        return outcomes
    }

    /// First occurrence of each key or credential id and digest, for
    /// duplicate messages.
    struct Seen {
        var idLines: [String: Int] = [:]
        var digestOwners: [String: (id: String, line: Int)] = [:]
    }

    /// An id no key or credential of the file used before.
    func uniqueID(_ node: YAMLNode, what: String, seen: inout Seen) -> String? {
        guard let found = identifier(node, what: what) else { return nil }
        if let line = seen.idLines[found] {
            fail(node, "duplicate \(what) '\(found)' (first used at line \(line)); key and credential ids must be unique across the file")
            return nil
        }
        seen.idLines[found] = node.location.line
        return found
    }

    /// A SHA-256 digest (64 hex characters) no other key or credential has.
    func sha256(context: String, _ node: YAMLNode, id: String?, seen: inout Seen) -> String? {
        guard let text = string(node, expected: "sha256 (64 hex characters)") else { return nil }
        let lower = text.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            fail(node, "sha256 of \(context) must be 64 hex characters (the SHA-256 of the plaintext key, e.g. from `printf %s \"$KEY\" | sha256sum`), got \(text.count) characters")
            return nil
        }
        if let first = seen.digestOwners[lower] {
            fail(node, "duplicate sha256: \(context) has the same secret as '\(first.id)' (line \(first.line)); give each key and credential its own secret")
            return nil
        }
        seen.digestOwners[lower] = (id ?? context, node.location.line)
        return lower
    }

    private func decodeKey(_ node: YAMLNode, context: String, teamContext: String, teamOwner: String?,
                           modelNames: [String], seen: inout Seen) -> (sha256Hex: String, identity: Identity)? {
        guard let f = fields(node, context: context, expected: "a key (a mapping with id, sha256 and class)",
                             allowed: ["id", "sha256", "class", "models", "expires", "owner", "grant"],
                             required: ["id", "sha256", "class"]) else { return nil }
        let id = f["id"].flatMap { uniqueID($0, what: "key id", seen: &seen) }
        let digest = f["sha256"].flatMap { sha256(context: context, $0, id: id, seen: &seen) }
        let keyClass = f["class"].flatMap { choice($0, KeyClass.self, what: "key class") }

        var allowed: Set<String>?
        var modelsOK = true
        if let modelsNode = f["models"] {
            if let items = list(modelsNode, expected: "a list of model names") {
                if items.isEmpty {
                    fail(modelsNode, "'models' of \(context) is empty, which would allow no model; remove it to allow every model")
                    modelsOK = false
                }
                var set = Set<String>()
                for item in items {
                    guard let name = string(item, expected: "a model name") else { modelsOK = false; continue }
                    if modelNames.contains(name) {
                        set.insert(name)
                    } else {
                        fail(item, "unknown model '\(name)' in the models of \(context) (not defined under 'models')\(Suggestion.clause(for: name, among: modelNames))")
                        modelsOK = false
                    }
                }
                allowed = set
            } else {
                modelsOK = false
            }
        }

        var expiresAt: Int64?
        var expiresOK = true
        if let expiresNode = f["expires"], let text = string(expiresNode, expected: "a date") {
            expiresAt = ExpiryDate.firstInvalidSecond(text)
            if expiresAt == nil {
                fail(expiresNode, "invalid expires '\(text)': expected a date (2027-06-30, valid through the end of that day UTC) or an RFC 3339 timestamp (2027-06-30T18:00:00Z)")
                expiresOK = false
            }
        }

        let keyOwner = f["owner"].flatMap { string($0, expected: "an owner (e.g. an email address)") }
        let owner = keyOwner ?? teamOwner
        if owner == nil, f["owner"] == nil {
            fail(node, "\(context) has no owner; set 'owner' on the key or on its team (\(teamContext))")
        }

        guard let id, let digest, let keyClass, let owner, modelsOK, expiresOK else { return nil }
        var identity = Identity(keyId: id, org: "", team: "", owner: owner, keyClass: keyClass,
                                allowedModels: allowed, expiresAt: expiresAt)
        identity.grant = f["grant"].flatMap { identifier($0, what: "grant id") }
        return (digest, identity)
    }
}
