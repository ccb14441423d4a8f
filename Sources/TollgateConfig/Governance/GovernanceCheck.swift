import Foundation
import TollgateSupport
import TollgateUnits

/// What check-config says about the governance part of a config: grants
/// that do not fit (errors) and allocations worth a second look (warnings).
package struct GovernanceCheck {
    package var errors: [GrantProblem] = []
    package var warnings: [ConfigError] = []

    package init(grants: [Grant], keys: [String: KeyPlacement], credentials: [Credential], orgs: [OrgConfig],
                 capacity: CapacityConfig, file: String, now: Int64 = Int64(Date().timeIntervalSince1970)) {
        let table = GrantTable(version: 0, grants: grants, keys: keys)
        errors = table.problems
        let teams = Set(orgs.flatMap { org in org.teams.map { "\(org.name)/\($0.name)" } })
        let orgNames = Set(orgs.map(\.name))
        for grant in grants where grant.scope.level != .key {
            let org = grant.scope.org
            if !orgNames.contains(org) {
                errors.append(GrantProblem(grantID: grant.id, location: grant.location,
                    message: "grant '\(grant.id)' covers org '\(org)', which is not under 'orgs'"
                        + NameSuggestion.clause(for: org, among: Array(orgNames))))
            } else if let team = grant.scope.team, !teams.contains("\(org)/\(team)") {
                errors.append(GrantProblem(grantID: grant.id, location: grant.location,
                    message: "grant '\(grant.id)' covers team '\(org)/\(team)', which is not a team of org '\(org)'"))
            }
        }
        for (keyID, key) in keys.sorted(by: { $0.key < $1.key }) {
            guard let grantID = key.grant else { continue }
            guard let grant = table[grantID] else {
                errors.append(GrantProblem(grantID: grantID, location: nil,
                    message: "key '\(keyID)' names grant '\(grantID)', which is not a grant"
                        + NameSuggestion.clause(for: grantID, among: table.grants.map(\.id))))
                continue
            }
            if grant.scope.org != key.org || (grant.scope.team.map { $0 != key.team } ?? false) {
                errors.append(GrantProblem(grantID: grantID, location: grant.location,
                    message: "key '\(keyID)' of team \(key.org)/\(key.team) cannot draw on grant '\(grantID)' (\(grant.scope)): "
                        + "a key draws on a grant of its own team or org"))
            }
        }
        for credential in credentials {
            let scope = credential.scope
            let known = scope.level == .org ? orgNames.contains(scope.org) : teams.contains("\(scope.org)/\(scope.team ?? "")")
            if !known {
                errors.append(GrantProblem(grantID: credential.id, location: credential.location,
                    message: "credential '\(credential.id)' is scoped to \(scope), which is not an org or team under 'orgs'"))
            }
        }
        for grant in grants {
            if let renewsAt = grant.renewsAt, renewsAt <= now {
                let until = grant.graceUntil.map { " (production has grace until \(UTCCalendar.iso8601($0)))" } ?? ""
                warnings.append(ConfigError(location: grant.location,
                    message: "grant '\(grant.id)' was due for renewal on \(UTCCalendar.day(renewsAt - 1)): it admits no spend\(until); renew it or move 'renews'"))
            }
        }
        warnings += Self.capacityWarnings(table: table, capacity: capacity, file: file)
    }

    /// Root grants' TPM and money against what was purchased.
    static func capacityWarnings(table: GrantTable, capacity: CapacityConfig, file: String) -> [ConfigError] {
        guard !capacity.pools.isEmpty else { return [] }
        let figures = CapacityFigures(table: table, capacity: capacity)
        var out: [ConfigError] = []
        let limit = Int64(capacity.warnAbovePercent)
        if figures.purchasedTPM > 0, Saturating.multiplyDivide(figures.allocatedTPM, 100, limit) > figures.purchasedTPM {
            out.append(ConfigError(file: file, message: "capacity: the top-level grants allocate \(figures.allocatedTPM) TPM, "
                + "\(figures.tpmPercent ?? 0)% of the \(figures.purchasedTPM) TPM purchased (warn above \(limit)%)"))
        }
        if figures.purchasedMonthlyNanos > 0,
           Saturating.multiplyDivide(figures.allocatedMonthlyNanos, 100, limit) > figures.purchasedMonthlyNanos {
            out.append(ConfigError(file: file, message: "capacity: the top-level grants allocate "
                + "\(Money.format(nanos: figures.allocatedMonthlyNanos)) a month, \(figures.moneyPercent ?? 0)% of the "
                + "\(Money.format(nanos: figures.purchasedMonthlyNanos)) committed (warn above \(limit)%)"))
        }
        return out
    }
}

/// Allocated against purchased: the capacity lines of the allocation table.
package struct CapacityFigures: Sendable, Equatable {
    package var allocatedTPM: Int64 = 0
    package var purchasedTPM: Int64 = 0
    /// Money per month at most (daily x 31, weekly x 6, quarterly counted whole).
    package var allocatedMonthlyNanos: Int64 = 0
    package var purchasedMonthlyNanos: Int64 = 0

    package init(table: GrantTable, capacity: CapacityConfig) {
        for (index, grant) in table.grants.enumerated() where table.parents[index] == nil && !grant.isRevoked {
            allocatedTPM = Saturating.add(allocatedTPM, grant.tpm ?? 0)
            let times = grant.period.timesWithin(.monthly) ?? 1
            for bucket in grant.buckets {
                allocatedMonthlyNanos = Saturating.add(allocatedMonthlyNanos, Saturating.multiply(bucket.amountNanos, times))
            }
        }
        for pool in capacity.pools {
            purchasedTPM = Saturating.add(purchasedTPM, pool.tpm ?? 0)
            if let committed = pool.committedNanos {
                purchasedMonthlyNanos = Saturating.add(purchasedMonthlyNanos,
                                                       Saturating.multiply(committed, pool.period.timesWithin(.monthly) ?? 1))
            }
        }
    }

    package var tpmPercent: Int64? { purchasedTPM > 0 ? Saturating.multiplyDivide(allocatedTPM, 100, purchasedTPM) : nil }
    package var moneyPercent: Int64? {
        purchasedMonthlyNanos > 0 ? Saturating.multiplyDivide(allocatedMonthlyNanos, 100, purchasedMonthlyNanos) : nil
    }
}
