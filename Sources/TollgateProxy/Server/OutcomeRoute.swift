import NIOCore
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost

/// `POST /v1/outcomes`: a team reports what its spend produced (resolved
/// tickets, merged PRs), with its own virtual key, authenticated as the
/// proxy routes are. Checked by OutcomeRequest (400 naming the field);
/// answered 201 once the outcome is committed (docs/finance.md).
package enum OutcomeRoute {
    static func serve(_ request: RoutedRequest) {
        let generation = request.gateway.generations.pin()
        defer { generation.unpin() }
        let registry = request.gateway.services.governance
        let nowMicros = MonotonicClock.wallMicros()
        let identity: Identity
        switch Authenticator.caller(request.head.headers, keys: generation.keys, now: nowMicros / 1_000_000, runtime: registry) {
        case .success(let id): identity = id
        case .failure(let error): return request.writer.sendError(error, dialect: .unrouted)
        }
        let org = generation.config.orgs.first { $0.name == identity.org }
        let body = request.body.map { Array($0.readableBytesView) } ?? []
        let record: OutcomeRecord
        switch OutcomeRequest.parse(body, identity: identity, org: org, grants: registry.current.table, nowMicros: nowMicros) {
        case .success(let parsed): record = parsed
        case .failure(let error): return request.writer.sendError(error, dialect: .unrouted)
        }
        let eventLoop = request.eventLoop
        let writer = NIOLoopBound(request.writer, eventLoop: eventLoop)
        request.gateway.services.outcomes.record(record) { result in
            eventLoop.execute {
                switch result {
                case .success(let stored):
                    writer.value.sendJSON(status: 201, json(stored).serialized())
                case .failure(OutcomeStoreError.closed(let message)):
                    writer.value.sendError(GatewayError(status: 503, type: "api_error", code: "shutting_down", message: message),
                                     dialect: .unrouted)
                case .failure(OutcomeStoreError.unavailable(let message)):
                    writer.value.sendError(GatewayError(status: 503, type: "api_error", code: "storage_unavailable", message: message),
                                     dialect: .unrouted)
                case .failure(let error):
                    writer.value.sendError(.internalError("The outcome could not be stored: \(error). Nothing was recorded; send it again."),
                                     dialect: .unrouted)
                }
            }
        }
    }

    static func json(_ outcome: OutcomeRecord) -> JSONValue {
        .object(JSONObject([
            ("id", .string(outcome.id)),
            ("object", .string("outcome")),
            ("metric", .string(outcome.metric)),
            ("count", .int(outcome.count)),
            ("org", .string(outcome.org)),
            ("team", .string(outcome.team)),
            ("feature", outcome.feature.map(JSONValue.string) ?? .null),
            ("key_id", .string(outcome.keyID)),
            ("time", .string(ReportTime.format(micros: outcome.atMicros))),
            ("request_ids", .array(outcome.requestIDs.map(JSONValue.string))),
            ("grant_ids", .array(outcome.grantIDs.map(JSONValue.string))),
            ("grant_owner", outcome.grantOwner.map(JSONValue.string) ?? .null),
        ]))
    }
}
