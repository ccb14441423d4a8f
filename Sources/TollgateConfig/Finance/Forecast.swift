import TollgateSupport
import TollgateJSON
import TollgateUnits

/// What a team expects to spend in a period, submitted by its team admin
/// (`POST /admin/forecasts`, `tollgate forecast submit`). The latest
/// submission for a team and period is the forecast; the earlier ones stay
/// in the governance log.
package struct Forecast: Sendable, Equatable {
    /// "org/team"
    package var team: String
    /// A month ("2026-12") or a quarter ("2027-Q1").
    package var period: String
    package var amountNanos: Int64
    /// The peak day over an average day, in hundredths (150 = 1.5x), when
    /// the team expects one.
    package var peakMultiplierHundredths: Int64?
    /// What drives it ("Black Friday", "EU launch").
    package var events: [String] = []
    package var note: String?
    package var submittedBy: String
    package var submittedAt: Int64

    package init(team: String, period: String, amountNanos: Int64, submittedBy: String, submittedAt: Int64) {
        self.team = team
        self.period = period
        self.amountNanos = amountNanos
        self.submittedBy = submittedBy
        self.submittedAt = submittedAt
    }

    /// Reads an API body ({team, period, amount, peak_multiplier, events,
    /// note}); the message of a failure names the field.
    package static func read(_ body: JSONValue, actorName: String, now: Int64) -> Result<Forecast, ForecastError> {
        guard case .object(let object) = body else { return .failure(ForecastError("the body must be a JSON object")) }
        let allowed = ["team", "period", "amount", "peak_multiplier", "events", "note"]
        for key in object.entries.map(\.key) where !allowed.contains(key) {
            return .failure(ForecastError("\(key): unknown field (a forecast has \(allowed.joined(separator: ", ")))"))
        }
        guard let team = object["team"]?.stringValue, team.split(separator: "/").count == 2 else {
            return .failure(ForecastError("team: the team as org/team, e.g. demo/recs"))
        }
        guard let period = object["period"]?.stringValue, (try? ReportPeriod.parse(period, nowSeconds: now)) != nil else {
            return .failure(ForecastError("period: a month (2026-12), a quarter (2027-Q1), or next"))
        }
        // "next" / "current" become the period's name.
        let named = (try? ReportPeriod.parse(period, nowSeconds: now))!.description
        guard let amountValue = object["amount"],
              let text = amountValue.stringValue ?? amountValue.int64Value.map(String.init),
              let amount = Money.parseUSD(text), amount > 0 else {
            return .failure(ForecastError("amount: the expected spend in USD, e.g. \"1300\" (more than zero)"))
        }
        var forecast = Forecast(team: team, period: named, amountNanos: amount, submittedBy: actorName, submittedAt: now)
        if let peak = object["peak_multiplier"], peak != .null {
            guard let text = peak.stringValue ?? peak.int64Value.map(String.init) ?? Self.decimalText(peak),
                  let hundredths = Self.hundredths(text), hundredths >= 100, hundredths <= 10_000 else {
                return .failure(ForecastError("peak_multiplier: the peak day over an average day, from 1 to 100 (e.g. 1.5)"))
            }
            forecast.peakMultiplierHundredths = hundredths
        }
        if let events = object["events"], events != .null {
            guard case .array(let items) = events, items.count <= 20,
                  let texts = Optional(items.compactMap(\.stringValue)), texts.count == items.count,
                  texts.allSatisfy({ !$0.isEmpty && $0.count <= 200 }) else {
                return .failure(ForecastError("events: a list of up to 20 short texts (what drives the forecast)"))
            }
            forecast.events = texts
        }
        if let note = object["note"], note != .null {
            guard let text = note.stringValue, text.count <= 2_000 else { return .failure(ForecastError("note: text, up to 2000 characters")) }
            forecast.note = text
        }
        return .success(forecast)
    }

    /// The event body stored in the governance log.
    package var json: JSONValue {
        .object(JSONObject([
            ("team", .string(team)), ("period", .string(period)), ("amount_nanos", .int(amountNanos)),
            ("peak_multiplier_hundredths", peakMultiplierHundredths.map { .int($0) } ?? .null),
            ("events", .array(events.map(JSONValue.string))), ("note", note.map(JSONValue.string) ?? .null),
        ]))
    }

    /// Replays a stored event body.
    package static func fromEvent(_ body: JSONValue, actor: String, at: Int64) -> Forecast? {
        guard let team = body["team"]?.stringValue, let period = body["period"]?.stringValue,
              let amount = body["amount_nanos"]?.int64Value else { return nil }
        var forecast = Forecast(team: team, period: period, amountNanos: amount, submittedBy: actor, submittedAt: at)
        forecast.peakMultiplierHundredths = body["peak_multiplier_hundredths"]?.int64Value
        if case .array(let items)? = body["events"] { forecast.events = items.compactMap(\.stringValue) }
        forecast.note = body["note"]?.stringValue
        return forecast
    }

    /// "1.5" -> 150; nil unless a plain decimal with at most two places.
    static func hundredths(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0]), whole >= 0, whole < 1_000_000 else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            guard (1...2).contains(parts[1].count), parts[1].allSatisfy(\.isNumber), let f = Int64(parts[1]) else { return nil }
            fraction = parts[1].count == 1 ? f * 10 : f
        }
        return whole * 100 + fraction
    }

    /// A JSON number's own text (1.5 stays "1.5").
    static func decimalText(_ value: JSONValue) -> String? {
        guard case .number(let text) = value else { return nil }
        return text
    }
}

package struct ForecastError: Error, Equatable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
