import TollgateJSON
import TollgateConfig

/// Which part of the allocation an alert is about, so GET /admin/alerts can
/// show a credential the alerts of its scope. The rule, in order:
///
/// 1. the grant named by the details' `grant` field, if the table has it;
/// 2. the grant whose id is the subject (the core's renewal and exception alerts);
/// 3. the subject read as a scope (`team/ORG/TEAM`, `org/ORG`, `feature/ORG/TEAM/NAME`,
///    ...; `key/ID` counts as the key's team);
/// 4. the details' `scope` field read the same way.
///
/// nil when none applies (e.g. the anomaly plugin's `feature/ORG/NAME`):
/// such an alert is shown to the master key only.
package enum AlertScope {
    /// `keyTeam`: the team scope of a key id (config or minted), nil for an unknown key.
    package static func scope(of alert: Alert, grants: GrantTable, keyTeam: (String) -> GrantScope?) -> GrantScope? {
        let details = alert.detailsJSON.isEmpty ? nil : try? JSONValue.parse(Array(alert.detailsJSON.utf8))
        func resolve(_ scope: GrantScope) -> GrantScope? { scope.level == .key ? scope.name.flatMap(keyTeam) : scope }
        if let id = details?["grant"]?.stringValue, let grant = grants[id] { return grant.scope }
        if let grant = grants[alert.subject] { return grant.scope }
        if let scope = GrantScope.parse(alert.subject) { return resolve(scope) }
        if let text = details?["scope"]?.stringValue, let scope = GrantScope.parse(text) { return resolve(scope) }
        return nil
    }

    /// The master key sees every alert; a credential those whose scope lies
    /// inside its own.
    package static func visible(_ alert: Alert, to actor: GovernanceActor, grants: GrantTable,
                                keyTeam: (String) -> GrantScope?) -> Bool {
        guard let credential = actor.credential else { return actor.keyHolder == nil }
        return scope(of: alert, grants: grants, keyTeam: keyTeam).map { credential.covers($0) } ?? false
    }
}
