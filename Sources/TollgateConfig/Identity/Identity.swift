import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// What a key is for. Production keys carry stricter policy (plugins decide
/// which); experimentation keys are for trying things out.
package enum KeyClass: String, Sendable, CaseIterable {
    case production, experimentation
}

/// Who is calling: the facts a virtual key stands for.
package struct Identity: Sendable, Equatable {
    package var keyId: String
    package var org: String
    package var team: String
    package var owner: String
    package var keyClass: KeyClass
    /// nil means every model in the catalog.
    package var allowedModels: Set<String>?
    /// Unix seconds: the first instant the key is NOT valid. nil = never expires.
    package var expiresAt: Int64?
    /// The grant the key was minted in (its requests are charged on it and
    /// its ancestors); nil = the grants its scope falls under.
    package var grant: String?

    package init(keyId: String, org: String, team: String, owner: String, keyClass: KeyClass,
                allowedModels: Set<String>? = nil, expiresAt: Int64? = nil) {
        self.keyId = keyId
        self.org = org
        self.team = team
        self.owner = owner
        self.keyClass = keyClass
        self.allowedModels = allowedModels
        self.expiresAt = expiresAt
    }

    package func allows(model: String) -> Bool {
        allowedModels?.contains(model) ?? true
    }

    package func isExpired(now: Int64) -> Bool {
        guard let expiresAt else { return false }
        return now >= expiresAt
    }
}
