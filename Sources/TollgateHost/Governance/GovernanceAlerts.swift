import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateConfig

/// The alerts of the exception workflow: a request filed, decided, a burst
/// drawn, a raise lapsed. Every payload carries who asked, who decided, the
/// reason, the condition, the amount and the window.
package enum GovernanceAlerts {
    package static func alert(for exception: GrantException, kind: String, severity: Alert.Severity, grant: Grant?) -> Alert {
        let amount = Money.format(nanos: exception.amountNanos)
        let window = "\(UTCCalendar.iso8601(exception.startsAt)) to \(UTCCalendar.iso8601(exception.endsAt))"
        let what = exception.kind == .burst ? "burst draw" : "exception"
        let grantText = "grant '\(exception.grant)'" + (grant.map { " (\($0.scope), owner \($0.owner))" } ?? "")
        let message: String
        switch kind {
        case "exception_requested":
            message = "\(exception.requestedBy) asks for \(exception.kind == .burst ? "a" : "an") \(what) \(exception.id) of +\(amount) on \(grantText), \(window): \(exception.reason)"
        case "exception_approved":
            message = "\(exception.decidedBy ?? "?") approved \(what) \(exception.id) (+\(amount) on \(grantText), \(window))"
                + (exception.condition.map { " on condition: \($0)" } ?? "")
        case "exception_denied":
            message = "\(exception.decidedBy ?? "?") denied \(what) \(exception.id) (+\(amount) on \(grantText)): \(exception.denialReason ?? "")"
        case "burst_drawn":
            message = "\(exception.requestedBy) drew +\(amount) from the burst pool of org '\(exception.pool ?? "")' for \(grantText), \(window): \(exception.reason)"
        case "exception_lapsed":
            message = "The \(what) \(exception.id) (+\(amount) on \(grantText)) lapsed at \(UTCCalendar.iso8601(exception.endsAt)); the grant is back to its baseline"
        default:
            message = "\(what) \(exception.id) on \(grantText)"
        }
        func text(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }
        let details = JSONValue.object(JSONObject([
            ("id", .string(exception.id)), ("kind", .string(exception.kind.rawValue)), ("grant", .string(exception.grant)),
            ("owner", text(grant?.owner)), ("bucket", .string(exception.bucket)), ("amount_nanos", .int(exception.amountNanos)),
            ("amount", .string(amount)), ("starts", .string(UTCCalendar.iso8601(exception.startsAt))),
            ("ends", .string(UTCCalendar.iso8601(exception.endsAt))), ("requester", .string(exception.requestedBy)),
            ("reason", .string(exception.reason)), ("use_case", text(exception.useCase)), ("approver", text(exception.decidedBy)),
            ("condition", text(exception.condition)), ("denial_reason", text(exception.denialReason)), ("pool", text(exception.pool)),
        ]))
        return Alert(severity: severity, kind: kind, subject: exception.grant, message: message,
                     dedupeKey: "\(kind):\(exception.id)", detailsJSON: details.jsonString, source: "core")
    }
}
