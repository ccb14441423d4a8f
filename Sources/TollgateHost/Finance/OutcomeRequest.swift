import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// The body of `POST /v1/outcomes`, checked against the caller's key and
/// its org's declared metrics (docs/finance.md):
///
///     {"metric": "resolved_ticket", "count": 3,
///      "feature": "carousel",                       optional
///      "time": "2026-11-05T10:00:00Z",              optional (RFC 3339 or Unix seconds; default: now)
///      "request_ids": ["req_..."]}                  optional
///
/// Every mistake is a 400 naming its field (`error.param`).
package enum OutcomeRequest {
    static let fields = ["metric", "count", "feature", "time", "request_ids"]
    static let maxCount: Int64 = 1_000_000_000
    static let maxRequestIDs = 1_000
    /// An outcome may be dated this far ahead of the gateway's clock (clock skew).
    static let futureSlackMicros: Int64 = 300_000_000
    /// And this far back (a late backfill of last quarter is fine; of 2019 is a typo).
    static let maxAgeMicros: Int64 = 400 * 86_400_000_000

    /// The record to store (no id yet, no grants yet: `attribute` them).
    package static func parse(_ body: [UInt8], identity: Identity, org: OrgConfig?, grants: GrantTable,
                              nowMicros: Int64) -> Result<OutcomeRecord, GatewayError> {
        let value: JSONValue
        do {
            value = try JSONValue.parse(body)
        } catch {
            return .failure(.invalidRequest("The body is not valid JSON: \(error). Send {\"metric\": NAME, \"count\": N}."))
        }
        guard case .object(let object) = value else {
            return .failure(.invalidRequest("The body must be a JSON object: {\"metric\": NAME, \"count\": N}."))
        }
        for key in object.entries.map(\.key) where !fields.contains(key) {
            let hint = NameSuggestion.closest(to: key, among: fields).map { " Did you mean '\($0)'?" } ?? ""
            return .failure(.invalidField(key, "Unknown field '\(key)': an outcome has \(fields.joined(separator: ", ")).\(hint)"))
        }
        let teamName = "\(identity.org)/\(identity.team)"
        let team = org?.team(identity.team)
        // metric
        guard let metric = object["metric"]?.stringValue, !metric.isEmpty else {
            return .failure(.invalidField("metric", "'metric' is required: the name of one of your team's outcome metrics"
                + Self.declaredText(team: team, org: org)))
        }
        let declared = org?.outcomeMetrics ?? []
        guard declared.contains(metric) else {
            return .failure(.invalidField("metric", "Unknown outcome metric '\(metric)': org \(identity.org) declares "
                + (declared.isEmpty ? "none (add outcome_metrics to the org in the config)" : declared.joined(separator: ", ")) + "."))
        }
        if let team, !team.outcomes.isEmpty, !team.outcomes.contains(metric) {
            return .failure(.invalidField("metric", "Team \(teamName) reports \(team.outcomes.joined(separator: " and ")), not '\(metric)' "
                + "(a team's outcome metrics are declared in its config entry, outcomes:)."))
        }
        // count
        guard let countValue = object["count"] else {
            return .failure(.invalidField("count", "'count' is required: how many \(metric) (a whole number, 1 or more)."))
        }
        guard let count = countValue.int64Value, case .number = countValue else {
            return .failure(.invalidField("count", "'count' must be a whole number, got \(countValue.jsonString)."))
        }
        guard count >= 1 else {
            return .failure(.invalidField("count", "'count' must be 1 or more, got \(count): outcomes are never negative "
                + "(report a correction to finance, not a negative outcome)."))
        }
        guard count <= maxCount else {
            return .failure(.invalidField("count", "'count' \(count) is more than \(maxCount) in one report."))
        }
        // feature
        var feature: String?
        if let featureValue = object["feature"], featureValue != .null {
            guard let text = featureValue.stringValue, !text.isEmpty, text.utf8.count <= 128 else {
                return .failure(.invalidField("feature", "'feature' must be a feature name (text, up to 128 bytes)."))
            }
            if let owner = Self.featureOwner(text, org: identity.org, grants: grants), owner != identity.team,
               !Self.teamHasFeature(text, org: identity.org, team: identity.team, grants: grants) {
                return .failure(.invalidField("feature", "Feature '\(text)' belongs to team \(identity.org)/\(owner), not to "
                    + "\(teamName) (the key's team): report outcomes with a key of the team that owns the feature."))
            }
            feature = text
        }
        // time
        var at = nowMicros
        if let timeValue = object["time"], timeValue != .null {
            if let text = timeValue.stringValue {
                guard let parsed = try? ReportTime.parseMicros(text) else {
                    return .failure(.invalidField("time", "'time' must be RFC 3339 (2026-11-05T10:00:00Z) or Unix seconds, got \"\(text)\"."))
                }
                at = parsed
            } else if let seconds = timeValue.int64Value, case .number = timeValue {
                at = Saturating.multiply(seconds, 1_000_000)
            } else {
                return .failure(.invalidField("time", "'time' must be RFC 3339 (2026-11-05T10:00:00Z) or Unix seconds."))
            }
            guard at <= nowMicros + futureSlackMicros else {
                return .failure(.invalidField("time", "'time' is in the future: outcomes are reported once they happened."))
            }
            guard at >= nowMicros - maxAgeMicros else {
                return .failure(.invalidField("time", "'time' is more than 400 days ago: is the year right?"))
            }
        }
        // request_ids
        var requestIDs: [String] = []
        if let idsValue = object["request_ids"], idsValue != .null {
            guard case .array(let items) = idsValue, items.count <= maxRequestIDs else {
                return .failure(.invalidField("request_ids", "'request_ids' must be a list of up to \(maxRequestIDs) request ids "
                    + "(the x-request-id of each call that produced the outcome)."))
            }
            for item in items {
                guard let id = item.stringValue, !id.isEmpty, id.utf8.count <= 128 else {
                    return .failure(.invalidField("request_ids", "each of 'request_ids' must be a request id (text, up to 128 bytes)."))
                }
                requestIDs.append(id)
            }
        }
        var record = OutcomeRecord(atMicros: at, receivedAtMicros: nowMicros, org: identity.org, team: identity.team,
                                   feature: feature, keyID: identity.keyId, metric: metric, count: count)
        record.requestIDs = requestIDs
        // The grants, as a request with this key and feature would be charged.
        let path = grants.path(org: identity.org, team: identity.team, keyID: identity.keyId, keyClass: identity.keyClass,
                               keyGrant: identity.grant, attribute: { $0 == "feature" ? feature : nil })
        record.grantIDs = path.map { grants.grants[$0].id }
        record.grantOwner = path.last.map { grants.grants[$0].owner }
        return .success(record)
    }

    static func declaredText(team: TeamConfig?, org: OrgConfig?) -> String {
        if let team, !team.outcomes.isEmpty { return " (\(team.outcomes.joined(separator: ", ")))." }
        if let org, !org.outcomeMetrics.isEmpty { return " (the org declares \(org.outcomeMetrics.joined(separator: ", ")))." }
        return "."
    }

    /// The team whose feature grant names `feature` (the first), if any.
    static func featureOwner(_ feature: String, org: String, grants: GrantTable) -> String? {
        grants.grants.first { $0.scope.level == .feature && $0.scope.org == org && $0.scope.name == feature }?.scope.team
    }

    static func teamHasFeature(_ feature: String, org: String, team: String, grants: GrantTable) -> Bool {
        grants.grants.contains { $0.scope.level == .feature && $0.scope.org == org && $0.scope.team == team && $0.scope.name == feature }
    }
}
