import TollgateLedger
import TollgatePluginKit
import TollgateSQLite

/// One ledger row, read from the call in post_call (the call handle dies
/// with the hook, so the row is plain values the writer thread can own).
struct LedgerRow: Sendable {
    var timestampMicros: Int64
    var requestID: String
    var org, team, keyID, owner, keyClass, endUser: String?
    var feature, environment, experiment, useCase: String?
    /// Every other attribute, as a JSON object.
    var tagsJSON: String
    var api, route, provider, deployment, modelRequested, modelServed: String?
    var tokensIn, tokensOut, tokensCached, costNanos: Int64
    var usageEstimated: Bool
    var outcome: String
    var status: Int64
    var decidedBy, outcomeDetail: String?
    var latencyMicros, upstreamMicros: Int64
    var stream: Bool
    var attempts: Int64
    /// The ids of the grants on the request's path, root first, as a JSON
    /// array ("[]" when none).
    var grantIDsJSON: String
    /// The owner of the deepest grant on the path.
    var grantOwner: String?
    /// The exceptions that admitted the request, as a JSON array ("[]").
    var exceptionIDsJSON: String

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
        tagsJSON = JSONValue.object(JSONObject(rest.map { ($0.key, JSONValue.string($0.value)) })).jsonString
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
        grantIDsJSON = JSONValue.array(grants.map { .string($0.id) }).jsonString
        grantOwner = grants.last.flatMap { $0.owner.isEmpty ? nil : $0.owner }
        // Set by the budget plugin, comma-separated (a client cannot set it:
        // TagName.reserved).
        let exceptions = attribute(TagName.exceptionIDs)?.split(separator: ",").map { JSONValue.string(String($0)) } ?? []
        exceptionIDsJSON = JSONValue.array(exceptions).jsonString
    }

    /// ?1...?35 of `LedgerSchema.insert`.
    var bindings: [SQLiteValue] {
        func text(_ s: String?) -> SQLiteValue { s.map(SQLiteValue.text) ?? .null }
        return [
            .integer(timestampMicros), .text(requestID), text(org), text(team), text(keyID), text(owner),
            text(keyClass), text(endUser), text(feature), text(environment), text(experiment), text(useCase),
            .text(tagsJSON), text(api), text(route), text(provider), text(deployment), text(modelRequested),
            text(modelServed), .integer(tokensIn), .integer(tokensOut), .integer(tokensCached), .integer(costNanos),
            .integer(usageEstimated ? 1 : 0), .text(outcome), .integer(status), text(decidedBy), text(outcomeDetail),
            .integer(latencyMicros), .integer(upstreamMicros), .integer(stream ? 1 : 0), .integer(attempts),
            .text(grantIDsJSON), text(grantOwner), .text(exceptionIDsJSON),
        ]
    }
}
