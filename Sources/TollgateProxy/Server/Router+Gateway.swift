import NIOCore
import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// The gateway's routes: the two proxy routes, the model list, outcomes, the probes,
/// the metrics, the dashboard (Dashboard/) and the admin API.
extension Router {
    static func gateway(admin: AdminRoutes) -> Router {
        var router = Router()
        for dialect in APIDialect.allCases {
            router.add(.POST, dialect.route, errorDialect: dialect, otherMethods: .methodNotAllowed) { request in
                ProxyCall(gateway: request.gateway, dialect: dialect, head: request.head,
                          body: request.body.map { Array($0.readableBytesView) } ?? [], writer: request.writer,
                          eventLoop: request.eventLoop)
            }
        }
        router.add(.GET, "/v1/models", otherMethods: .methodNotAllowed) { request in
            ModelList.serve(request)
            return nil
        }
        router.add(.POST, "/v1/outcomes", otherMethods: .methodNotAllowed) { request in
            OutcomeRoute.serve(request)
            return nil
        }
        router.add(.GET, "/healthz") { request in
            request.writer.send(status: 200, headers: [("content-type", "text/plain")], body: Array("ok\n".utf8))
            return nil
        }
        router.add(.GET, "/readyz") { request in
            let ready = request.gateway.listener.isBound
            request.writer.send(status: ready ? 200 : 503, headers: [("content-type", "text/plain")],
                                body: Array((ready ? "ready\n" : "not ready\n").utf8))
            return nil
        }
        router.add(.GET, "/metrics") { request in
            let gateway = request.gateway
            let body = gateway.recorder.exposition(inFlight: gateway.inFlight.value,
                                                   clientConnections: gateway.clientConnections.count.value)
            request.writer.send(status: 200, headers: [("content-type", "text/plain; version=0.0.4")], body: body)
            return nil
        }
        DashboardRoutes.add(to: &router)
        router.add(prefix: "/admin/") { request in
            admin.respond(to: request)
            return nil
        }
        return router
    }
}

extension ProxyCall: ClientCall {}
