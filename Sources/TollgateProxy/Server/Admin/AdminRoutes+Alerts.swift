import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost

/// `GET /admin/alerts[?limit=N]`: the last alerts delivered (AlertRouter
/// keeps 500 in memory; a restart empties it), newest first. The master key
/// sees them all; a credential (viewer, approver, team admin) those whose
/// grant or scope lies inside its own, as AlertScope determines it — an
/// alert whose scope cannot be determined is the master key's only.
extension AdminRoutes {
    static func alerts(_ request: RoutedRequest, _ generation: Generation, actor: GovernanceActor) -> Bool {
        guard request.path == "/admin/alerts" else { return false }
        guard request.head.method == .GET else {
            request.writer.sendError(GatewayError(status: 405, type: "invalid_request_error", code: "method_not_allowed",
                                                  message: "\(request.head.method) is not allowed on /admin/alerts."), dialect: .unrouted)
            return true
        }
        let limitText = request.queryValue("limit")
        let limit = limitText.flatMap(Int.init) ?? Int.max
        guard limit > 0 else {
            request.writer.sendError(.invalidRequest("limit: a positive whole number (got '\(limitText ?? "")')."), dialect: .unrouted)
            return true
        }
        let registry = request.gateway.services.governance
        let table = registry.current.table
        let minted = actor.credential == nil ? [] : registry.mintedKeyList
        func keyTeam(_ id: String) -> GrantScope? {
            if let identity = generation.keys.identity(keyID: id) ?? minted.first(where: { $0.identity.keyId == id })?.identity {
                return GrantScope(level: .team, org: identity.org, team: identity.team)
            }
            return nil
        }
        let recent = request.gateway.services.alerts.recentAlerts()
        let visible = recent.alerts.lazy
            .filter { AlertScope.visible($0.alert, to: actor, grants: table, keyTeam: keyTeam) }
            .prefix(limit)
        sendGovernanceJSON(request, 200, .object(JSONObject([
            ("as_of", .string(UTCCalendar.iso8601(MonotonicClock.wallMicros() / 1_000_000))),
            ("kept", .int(Int64(recent.capacity))),
            ("delivered_since_start", .int(recent.recorded)),
            ("alerts", .array(visible.map(alertJSON))),
        ])))
        return true
    }

    static func alertJSON(_ delivered: DeliveredAlert) -> JSONValue {
        let alert = delivered.alert
        let details = alert.detailsJSON.isEmpty ? nil : try? JSONValue.parse(Array(alert.detailsJSON.utf8))
        return .object(JSONObject([
            ("sequence", .int(delivered.sequence)),
            ("at", .string(UTCCalendar.iso8601(delivered.atMicros / 1_000_000))), ("at_unix_ms", .int(delivered.atMicros / 1_000)),
            ("kind", .string(alert.kind)), ("severity", .string(alert.severity.description)),
            ("subject", .string(alert.subject)), ("message", .string(alert.message)), ("source", .string(alert.source)),
            ("sinks", .array(delivered.sinks.map { .string($0) })),
            ("details", details ?? .null),
        ]))
    }
}
