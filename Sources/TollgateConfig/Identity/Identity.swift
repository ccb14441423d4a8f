import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// What a key is for. Production keys carry stricter policy (plugins decide
/// which); experimentation keys are for trying things out.
public enum KeyClass: String, Sendable, CaseIterable {
    case production, experimentation
}

/// Who is calling: the facts a virtual key stands for.
public struct Identity: Sendable, Equatable {
    public var keyId: String
    public var org: String
    public var team: String
    public var owner: String
    public var keyClass: KeyClass
    /// nil means every model in the catalog.
    public var allowedModels: Set<String>?
    /// Unix seconds: the first instant the key is NOT valid. nil = never expires.
    public var expiresAt: Int64?

    public init(keyId: String, org: String, team: String, owner: String, keyClass: KeyClass,
                allowedModels: Set<String>? = nil, expiresAt: Int64? = nil) {
        self.keyId = keyId
        self.org = org
        self.team = team
        self.owner = owner
        self.keyClass = keyClass
        self.allowedModels = allowedModels
        self.expiresAt = expiresAt
    }

    public func allows(model: String) -> Bool {
        allowedModels?.contains(model) ?? true
    }

    public func isExpired(now: Int64) -> Bool {
        guard let expiresAt else { return false }
        return now >= expiresAt
    }
}
