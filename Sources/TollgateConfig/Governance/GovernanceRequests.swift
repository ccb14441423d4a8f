import TollgateSupport
import TollgateJSON
import TollgateUnits

/// The admin API's request bodies, decoded with the same rules (and the
/// same messages) as the YAML: a JSON body is YAML in flow style, so one
/// decoder serves both, and a mistake names the field.
package enum GovernanceRequests {
    /// A grant from `POST /admin/grants` (or a stored, merged one).
    package static func grant(_ body: JSONValue, file: String = "request body") -> Result<Grant, GovernanceRequestError> {
        decode(body, file: file) { decoder, node in decoder.decodeGrant(node, context: "the grant") }
    }

    /// A key from `POST /admin/keys`.
    package static func key(_ body: JSONValue, file: String = "request body") -> Result<KeyRequest, GovernanceRequestError> {
        decode(body, file: file) { decoder, node in decoder.decodeKeyRequest(node) }
    }

    /// The fields of `patch` replace those of `original` (null removes one).
    package static func merge(_ original: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(var base) = original, case .object(let changes) = patch else { return patch }
        for entry in changes.entries {
            if entry.value == .null { base[entry.key] = nil } else { base[entry.key] = entry.value }
        }
        return .object(base)
    }

    private static func decode<T>(_ body: JSONValue, file: String,
                                  _ read: (ConfigDecoder, YAMLNode) -> T?) -> Result<T, GovernanceRequestError> {
        guard case .object = body else { return .failure(GovernanceRequestError(messages: ["the body must be a JSON object"])) }
        let text = body.jsonString
        let parsed: YAMLParser.Output
        do {
            parsed = try YAMLParser.parse(text, file: file)
        } catch let error as ConfigError {
            return .failure(GovernanceRequestError(messages: [error.message]))
        } catch {
            return .failure(GovernanceRequestError(messages: ["the body cannot be read"]))
        }
        let decoder = ConfigDecoder(file: file, baseDirectory: "/")
        guard let root = parsed.root else { return .failure(GovernanceRequestError(messages: ["the body is empty"])) }
        let value = read(decoder, root)
        let problems = parsed.problems + decoder.errors
        if let value, problems.isEmpty { return .success(value) }
        return .failure(GovernanceRequestError(messages: problems.isEmpty ? ["the body cannot be read"] : problems.map(\.message)))
    }
}

package struct GovernanceRequestError: Error, Equatable, CustomStringConvertible {
    package var messages: [String]
    package var description: String { messages.joined(separator: "; ") }
}

/// A key to mint: where it lives and what it may do. The secret is made
/// by the gateway and shown once.
package struct KeyRequest: Sendable, Equatable {
    package var id: String
    /// "team/ORG/TEAM" (the master key must say; a team admin's is its team).
    package var team: GrantScope?
    package var grant: String?
    package var keyClass: KeyClass
    package var models: Set<String>?
    package var expiresAt: Int64?
    package var owner: String?
}

extension ConfigDecoder {
    func decodeKeyRequest(_ node: YAMLNode) -> KeyRequest? {
        guard let f = fields(node, context: "the key", expected: "a key (id, class, and team, grant, models, expires, owner)",
                             allowed: ["id", "team", "grant", "class", "models", "expires", "owner"],
                             required: ["id", "class"]) else { return nil }
        let id = f["id"].flatMap { identifier($0, what: "key id") }
        var team: GrantScope?
        if let node = f["team"], let text = string(node, expected: "a team (team/ORG/TEAM)") {
            team = GrantScope.parse(text.hasPrefix("team/") ? text : "team/" + text)
            if team?.level != .team {
                fail(node, "team must be team/ORG/TEAM, got '\(text)'")
                team = nil
            }
        }
        let grant = f["grant"].flatMap { identifier($0, what: "grant id") }
        let keyClass = f["class"].flatMap { choice($0, KeyClass.self, what: "key class") }
        var models: Set<String>?
        if let node = f["models"], let items = list(node, expected: "a list of model names") {
            models = Set(items.compactMap { string($0, expected: "a model name") })
        }
        let expires = f["expires"].flatMap { date($0, what: "expires") }
        let owner = f["owner"].flatMap { string($0, expected: "an owner") }
        guard let id, let keyClass else { return nil }
        return KeyRequest(id: id, team: team, grant: grant, keyClass: keyClass, models: models, expiresAt: expires, owner: owner)
    }
}
