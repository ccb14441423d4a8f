import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateConfig

/// Forecasts: what each team expects to spend per period, submitted by its
/// team admin (or the master key). Each submission is an event in the
/// governance log; the latest for a team and period is the forecast.
extension GovernanceRegistry {
    /// Every team's latest forecast per period, sorted by team then period.
    package var forecastList: [Forecast] {
        lock.withLock {
            forecasts.values.flatMap(\.values).sorted { $0.team != $1.team ? $0.team < $1.team : $0.period < $1.period }
        }
    }

    /// Records a forecast for the caller's team (a team admin's own team;
    /// the master key any configured team).
    package func submitForecast(_ body: JSONValue, by actor: GovernanceActor) throws -> Forecast {
        try Self.refuseKeyHolder(actor)
        var submitted: Forecast?
        return try commit({
            let now = clock()
            let forecast: Forecast
            switch Forecast.read(body, actorName: actor.name, now: now) {
            case .success(let read): forecast = read
            case .failure(let error): throw GovernanceError.invalid(error.description)
            }
            guard teams.contains(forecast.team) else {
                throw GovernanceError.invalid("team: '\(forecast.team)' is not a team of the config")
            }
            switch actor {
            case .master: break
            case .credential(let credential):
                let parts = forecast.team.split(separator: "/").map(String.init)
                guard credential.role == .teamAdmin,
                      credential.covers(GrantScope(level: .team, org: parts[0], team: parts[1])) else {
                    throw GovernanceError.forbidden("credential '\(credential.id)' (\(credential.role.rawValue)) may not submit a "
                        + "forecast for \(forecast.team): a team's forecast comes from its team admin")
                }
            case .keyHolder: throw GovernanceError.forbidden("a virtual key may not submit forecasts")
            }
            submitted = forecast
            return GovernanceEvent(at: now, actor: actor.name, kind: .forecastSubmitted, subject: forecast.team, body: forecast.json)
        }, publish: false, result: { forecasts[submitted!.team]?[submitted!.period] ?? submitted! })
    }

    /// Replays a forecast event.
    func applyForecast(_ event: GovernanceEvent) {
        guard let forecast = Forecast.fromEvent(event.body, actor: event.actor, at: event.at) else { return }
        forecasts[forecast.team, default: [:]][forecast.period] = forecast
    }
}
