import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// `GET /v1/models`: the models the caller's key may use, in OpenAI's list
/// shape. Authenticated as the proxy routes are (Authenticator.caller).
package enum ModelList {
    static func serve(_ request: RoutedRequest) {
        let generation = request.gateway.generations.pin()
        defer { generation.unpin() }
        let identity: Identity
        switch Authenticator.caller(request.head.headers, keys: generation.keys, now: MonotonicClock.wallMicros() / 1_000_000,
                                    runtime: request.gateway.services.governance) {
        case .success(let id): identity = id
        case .failure(let error): return request.writer.sendError(error, dialect: .unrouted)
        }
        var data: [JSONValue] = []
        for entry in generation.catalog.entries where identity.allows(model: entry.name) {
            data.append(.object(JSONObject([
                ("id", .string(entry.name)), ("object", .string("model")), ("created", .int(0)),
                ("owned_by", .string(entry.provider.rawValue)),
            ])))
        }
        let list = JSONValue.object(JSONObject([("object", .string("list")), ("data", .array(data))]))
        request.writer.sendJSON(status: 200, list.serialized())
    }
}
