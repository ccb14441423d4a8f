import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateConfig

/// Renewal is not optional: a grant past its renewal date admits no spend
/// (the budget plugin refuses it). So the owner hears of it first: an
/// alert when the date is near (each of the grant's `expiry_alerts` days,
/// 14 and 3 by default), a critical one every day of a production grace
/// period, and one when the grant lapses. Run by the core on a timer (and
/// at start), so it does not wait for traffic. "Once" survives restarts:
/// each alert takes a marker counter (limit 1) in the persisted counter
/// store first, as plugins' threshold alerts do.
package final class GrantExpiryNotifier: @unchecked Sendable {
    private let registry: GovernanceRegistry
    private let counters: CounterStore
    private let alerts: AlertRouter

    package init(registry: GovernanceRegistry, counters: CounterStore, alerts: AlertRouter) {
        self.registry = registry
        self.counters = counters
        self.alerts = alerts
    }

    /// Raises what is due at `now` (Unix seconds); returns the alerts raised.
    @discardableResult
    package func check(now: Int64) -> [Alert] {
        var raised: [Alert] = []
        for grant in registry.current.table.grants where !grant.isRevoked {
            guard let renewsAt = grant.renewsAt else { continue }
            let renewal = UTCCalendar.day(renewsAt - 1)
            if now < renewsAt {
                let secondsLeft = renewsAt - now
                let daysLeft = (secondsLeft + 86_399) / 86_400
                // The nearest threshold reached, once each (a gateway started
                // 2 days before renewal says "3 days", not also "14").
                guard let days = grant.expiryAlertDays.filter({ Int64($0) >= daysLeft }).min() else { continue }
                let marker = "grant-expiry-alert:\(grant.id):\(renewsAt):\(days)"
                guard take(marker, window: .none) else { continue }
                raised.append(raise(grant, severity: days <= 3 ? .critical : .warning, kind: "grant_expiring",
                    message: "Grant '\(grant.id)' (\(grant.scope), owner \(grant.owner)) must be renewed by \(renewal): "
                        + "\(daysLeft) day\(daysLeft == 1 ? "" : "s") left. Unrenewed, it admits no "
                        + (grant.graceUntil != nil ? "experimentation spend, and production only for its grace period." : "spend."),
                    dedupe: marker, extra: [("days_left", .int(daysLeft)), ("threshold_days", .int(days))]))
            } else if let graceUntil = grant.graceUntil, now < graceUntil {
                let day = UTCCalendar.floorDiv(now, 86_400)
                let marker = "grant-grace-alert:\(grant.id):\(renewsAt):\(day)"
                guard take(marker, window: .none) else { continue }
                raised.append(raise(grant, severity: .critical, kind: "grant_grace",
                    message: "Grant '\(grant.id)' (\(grant.scope), owner \(grant.owner)) was due for renewal on \(renewal); "
                        + "production traffic runs on grace until \(UTCCalendar.iso8601(graceUntil)), experimentation is refused. Renew it.",
                    dedupe: marker, extra: [("grace_until", .string(UTCCalendar.iso8601(graceUntil)))]))
            } else {
                let marker = "grant-expired-alert:\(grant.id):\(renewsAt)"
                guard take(marker, window: .none) else { continue }
                raised.append(raise(grant, severity: .critical, kind: "grant_expired",
                    message: "Grant '\(grant.id)' (\(grant.scope), owner \(grant.owner)) expired: it was due for renewal on "
                        + "\(renewal) and now admits no spend.",
                    dedupe: marker, extra: []))
            }
        }
        // Raises over: the grant is back to its baseline (no job did it: the
        // plugins read the window). Said once each.
        let table = registry.current.table
        for exception in registry.exceptionLog where exception.decision == .approved && exception.endsAt <= now {
            guard take("exception-lapsed-alert:\(exception.id)", window: .none) else { continue }
            let alert = GovernanceAlerts.alert(for: exception, kind: "exception_lapsed", severity: .info, grant: table[exception.grant])
            _ = alerts.raise(alert)
            raised.append(alert)
        }
        return raised
    }

    /// True the first time `marker` is taken, ever (the store persists it).
    private func take(_ marker: String, window: CounterWindow) -> Bool {
        guard let id = try? counters.declare(CounterSpec(name: marker, limit: 1, window: window, persist: true)),
              case .reserved(let reservation)? = try? counters.reserve([(id, 1)]) else { return false }
        _ = try? counters.settle(reservation, actual: [1])
        return true
    }

    private func raise(_ grant: Grant, severity: Alert.Severity, kind: String, message: String, dedupe: String,
                       extra: [(String, JSONValue)]) -> Alert {
        let details = JSONValue.object(JSONObject([
            ("grant", .string(grant.id)), ("owner", .string(grant.owner)), ("scope", .string(grant.scope.description)),
            ("renews", .string(UTCCalendar.day((grant.renewsAt ?? 1) - 1))),
        ] + extra))
        let alert = Alert(severity: severity, kind: kind, subject: grant.id, message: message, dedupeKey: dedupe,
                          detailsJSON: details.jsonString, source: "core")
        _ = alerts.raise(alert)
        return alert
    }
}
