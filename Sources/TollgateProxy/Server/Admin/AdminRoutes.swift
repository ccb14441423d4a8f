import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// `/admin/...`: the master key first (Authenticator.master, for every
/// admin route, plugin-served ones included), then the built-in routes,
/// then the routes plugins serve, else 404.
package struct AdminRoutes: Sendable {
    /// Answers through `request.writer`. `generation` is pinned for the
    /// handler's synchronous part.
    typealias Handler = @Sendable (RoutedRequest, Generation) -> Void
    /// Routes served by plugins of the serving generation: true when one
    /// answered the request. Asked only after the caller authenticated and
    /// no built-in route matched.
    typealias Fallback = @Sendable (RoutedRequest, Generation) -> Bool

    private var routes: [(method: HTTPMethod, path: String, handler: Handler)] = []
    private let fallback: Fallback?

    init(fallback: Fallback? = nil) {
        self.fallback = fallback
        add(.GET, "/admin/reload") { AdminRoutes.reloadStatus($0, $1) }
        add(.POST, "/admin/reload") { AdminRoutes.reload($0, $1) }
        add(.GET, "/admin/plugins") { AdminRoutes.plugins($0, $1) }
        add(.GET, "/admin/budgets") { AdminRoutes.budgets($0, $1) }
        add(.GET, "/admin/counters") { AdminRoutes.counters($0, $1) }
    }

    mutating func add(_ method: HTTPMethod, _ path: String, _ handler: @escaping Handler) {
        routes.append((method, path, handler))
    }

    func respond(to request: RoutedRequest) {
        let generation = request.gateway.generations.pin()
        defer { generation.unpin() }
        if let refusal = Authenticator.master(request.head.headers, masterKey: generation.config.masterKey()) {
            return request.writer.sendError(refusal, dialect: .unrouted)
        }
        let method = request.head.method
        for route in routes where route.method == method && route.path == request.path {
            return route.handler(request, generation)
        }
        if let fallback, fallback(request, generation) { return }
        request.writer.sendError(.notFound("No admin route for \(method) \(request.path)."), dialect: .unrouted)
    }
}
