#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgatePluginKit

/// One ledger row, read from the call in post_call, and its JSON for the
/// host's ledger_append (ABI 1.6): an object keyed by the ledger's column
/// names (docs/ledger.md).
struct LedgerRow: Sendable {
    var timestampMicros: Int64
    var requestID: String
    var org, team, keyID, owner, keyClass, endUser: String?
    var feature, environment, experiment, useCase: String?
    /// Every other attribute, as a JSON object of strings.
    var tags: JSONObject
    var api, route, provider, deployment, modelRequested, modelServed: String?
    var tokensIn, tokensOut, tokensCached, costNanos: Int64
    var usageEstimated: Bool
    var outcome: String
    var status: Int64
    var decidedBy, outcomeDetail: String?
    var latencyMicros, upstreamMicros: Int64
    var stream: Bool
    var attempts: Int64
    /// The ids of the grants on the request's path, root first.
    var grantIDs: [String]
    /// The owner of the deepest grant on the path.
    var grantOwner: String?
    /// The exceptions that admitted the request.
    var exceptionIDs: [String]

    /// Attributes with a column of their own (not repeated in `tags`).
    static let columnAttributes: Set<String> = Set(TagName.identity + TagName.wellKnown + [TagName.endUser, TagName.exceptionIDs])

    /// `grants`: the request's grant path, root first.
    init(call: Call, grants: [Grant] = [], now: () -> Int64) {
        let attributes = call.attributes
        func attribute(_ name: String) -> String? { attributes.first { $0.key == name }?.value }
        timestampMicros = call.receivedAtMicros ?? now()
        requestID = call.requestID ?? ""
        // Identity from the core, not from attributes: a row is attributed
        // even when pre_call never got to set them.
        org = call.org
        team = call.team
        keyID = call.keyID
        owner = call.owner
        keyClass = call.keyClass
        endUser = call.endUser
        feature = attribute(TagName.feature)
        environment = attribute(TagName.environment)
        experiment = attribute(TagName.experiment)
        useCase = attribute(TagName.useCase)
        let rest = attributes.filter { !Self.columnAttributes.contains($0.key) }
        tags = JSONObject(rest.map { ($0.key, JSONValue.string($0.value)) })
        api = call.api
        route = call.route
        provider = call.provider
        deployment = call.deployment
        modelRequested = call.modelRequested
        modelServed = call.modelServed
        tokensIn = call.tokensIn ?? 0
        tokensOut = call.tokensOut ?? 0
        tokensCached = call.tokensCached ?? 0
        costNanos = call.costNanos ?? 0
        usageEstimated = call.usageEstimated
        outcome = call.outcome ?? "unknown"
        status = call.status ?? 0
        decidedBy = call.decidedBy
        outcomeDetail = call.outcomeDetail
        latencyMicros = call.latencyMicros ?? 0
        upstreamMicros = call.upstreamMicros ?? 0
        stream = call.isStream
        attempts = call.upstreamAttempts ?? 0
        grantIDs = grants.map(\.id)
        grantOwner = grants.last.flatMap { $0.owner.isEmpty ? nil : $0.owner }
        // Set by the budget plugin, comma-separated (a client cannot set it:
        // TagName.reserved).
        exceptionIDs = attribute(TagName.exceptionIDs)?.split(separator: ",").map(String.init) ?? []
    }

    /// The row as ledger_append takes it: every column, by name (`tags` an
    /// object of strings, `grant_ids` and `exception_ids` arrays, which the
    /// host stores as their JSON text).
    var json: JSONObject {
        func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        return JSONObject([
            ("ts_us", .int(timestampMicros)), ("request_id", .string(requestID)), ("org", text(org)), ("team", text(team)),
            ("key_id", text(keyID)), ("owner", text(owner)), ("key_class", text(keyClass)), ("end_user", text(endUser)),
            ("feature", text(feature)), ("environment", text(environment)), ("experiment", text(experiment)),
            ("use_case", text(useCase)), ("tags", .object(tags)), ("api", text(api)),
            ("route", text(route)), ("provider", text(provider)), ("deployment", text(deployment)),
            ("model_requested", text(modelRequested)), ("model_served", text(modelServed)), ("tokens_in", .int(tokensIn)),
            ("tokens_out", .int(tokensOut)), ("tokens_cached", .int(tokensCached)), ("cost_nanos", .int(costNanos)),
            ("usage_estimated", .bool(usageEstimated)), ("outcome", .string(outcome)), ("status", .int(status)),
            ("decided_by", text(decidedBy)), ("outcome_detail", text(outcomeDetail)), ("latency_us", .int(latencyMicros)),
            ("upstream_us", .int(upstreamMicros)), ("stream", .bool(stream)), ("attempts", .int(attempts)),
            ("grant_ids", .array(grantIDs.map(JSONValue.string))), ("grant_owner", text(grantOwner)),
            ("exception_ids", .array(exceptionIDs.map(JSONValue.string))),
        ])
    }

    /// Unix microseconds now, for a row whose call had no receive time.
    static func nowMicros() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }
}
