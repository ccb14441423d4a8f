import NIOCore
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// `GET /admin/reload` (the last attempt) and `POST /admin/reload` (reload
/// now; 200 on success, 422 on failure, with the same body).
extension AdminRoutes {
    static func reloadStatus(_ request: RoutedRequest, _ generation: Generation) {
        request.writer.sendJSON(status: 200, statusJSON(request.gateway))
    }

    static func reload(_ request: RoutedRequest, _ generation: Generation) {
        let gateway = request.gateway, loop = request.eventLoop
        let writer = NIOLoopBound(request.writer, eventLoop: loop)
        gateway.reloader.reload { attempt in
            loop.execute {
                writer.value.sendJSON(status: attempt.succeeded ? 200 : 422, statusJSON(gateway))
            }
        }
    }

    private static func statusJSON(_ gateway: Gateway) -> [UInt8] {
        var object = JSONObject([("generation", .int(gateway.generations.generation.id))])
        if let last = gateway.reloader.lastAttempt {
            object["last_attempt"] = .object(JSONObject([
                ("at_unix_ms", .int(last.atUnixMillis)), ("result", .string(last.succeeded ? "ok" : "failed")),
                ("generation", .int(last.generation)), ("duration_ms", .int(last.durationMillis)),
                ("error", last.error.map(JSONValue.string) ?? .null),
            ]))
        } else {
            object["last_attempt"] = .null
        }
        return JSONValue.object(object).serialized()
    }
}
