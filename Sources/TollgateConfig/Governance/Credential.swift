import TollgateSupport
import TollgateUnits

/// What a governance credential may do. The master key may do everything;
/// these are narrower, and scoped.
package enum CredentialRole: String, Sendable, CaseIterable {
    /// Creates, changes and revokes sub-grants and keys inside its team's
    /// grants; reads its team's allocation.
    case teamAdmin = "team_admin"
    /// Reads the allocation of its scope; changes nothing.
    case viewer
    /// Approves or denies exception requests and over-limit burst draws
    /// on grants inside its scope (a finance partner, the committee chair);
    /// reads the allocation of its scope.
    case approver
}

/// A person's credential for the admin API and CLI: stored as the SHA-256
/// of its secret, like keys.
package struct Credential: Sendable, Equatable {
    package var id: String
    package var role: CredentialRole
    /// An org (org/ORG) or a team (team/ORG/TEAM). A team admin's is always a team.
    package var scope: GrantScope
    package var owner: String
    /// Where the config declares it, for messages.
    package var location: SourceLocation?

    package init(id: String, role: CredentialRole, scope: GrantScope, owner: String) {
        self.id = id
        self.role = role
        self.scope = scope
        self.owner = owner
    }

    /// Whether the credential may see or act on something in `scope`.
    package func covers(_ other: GrantScope) -> Bool { other.isInside(scope) }
}

/// Throughput and money actually purchased from a provider (optionally for
/// one model): what the grants are allocated against.
package struct CapacityPool: Sendable, Equatable {
    package var provider: String
    package var model: String?
    package var tpm: Int64?
    package var committedNanos: Int64?
    package var period: GrantPeriod

    package init(provider: String, model: String? = nil, tpm: Int64? = nil, committedNanos: Int64? = nil,
                 period: GrantPeriod = .monthly) {
        self.provider = provider
        self.model = model
        self.tpm = tpm
        self.committedNanos = committedNanos
        self.period = period
    }
}

package struct CapacityConfig: Sendable, Equatable {
    package var pools: [CapacityPool] = []
    /// check-config warns when the root grants add up to more than this
    /// percentage of what was purchased.
    package var warnAbovePercent = 100

    package init(pools: [CapacityPool] = [], warnAbovePercent: Int = 100) {
        self.pools = pools
        self.warnAbovePercent = warnAbovePercent
    }
}

/// Who is acting on the governance state.
package enum GovernanceActor: Sendable, Equatable {
    case master
    case credential(Credential)
    /// A virtual key's holder, signed in to the dashboard with the key (or
    /// presenting it as a bearer key on `/admin/...`): may call
    /// `GET /admin/me` and nothing else (AdminRoutes refuses every other
    /// admin route before any handler sees this actor).
    case keyHolder(Identity)

    /// The key holder's identity, nil otherwise.
    package var keyHolder: Identity? {
        if case .keyHolder(let identity) = self { return identity }
        return nil
    }

    /// nil for the master key (and a key holder, who never reaches a
    /// route that asks: AdminRoutes stops it first).
    package var credential: Credential? {
        if case .credential(let c) = self { return c }
        return nil
    }

    /// How the event log names it.
    package var name: String {
        switch self {
        case .master: return "master"
        case .credential(let c): return "credential:\(c.id)"
        case .keyHolder(let identity): return "key:\(identity.keyId)"
        }
    }
}


/// Keys and credentials that are not in the config file: minted at run
/// time, or revoked since (the governance registry).
package protocol RuntimeKeyDirectory: AnyObject, Sendable {
    func mintedIdentity(sha256Hex: String) -> Identity?
    /// Why the key may no longer be used, or nil.
    func keyRevocation(_ keyID: String) -> String?
    func credential(sha256Hex: String) -> Credential?
}
