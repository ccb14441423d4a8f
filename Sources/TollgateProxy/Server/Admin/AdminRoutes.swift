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
/// then the routes the serving generation's plugins declared, else 404.
package struct AdminRoutes: Sendable {
    /// Answers through `request.writer`. `generation` is pinned for the
    /// handler's synchronous part.
    typealias Handler = @Sendable (RoutedRequest, Generation) -> Void

    private var routes: [(method: HTTPMethod, path: String, handler: Handler)] = []

    init() {
        add(.GET, "/admin/reload") { AdminRoutes.reloadStatus($0, $1) }
        add(.POST, "/admin/reload") { AdminRoutes.reload($0, $1) }
        add(.GET, "/admin/plugins") { AdminRoutes.plugins($0, $1) }
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
        // Routes the serving generation's plugins declared (ABI 1.4); the
        // caller authenticated with the master key, so holds role admin.
        let query = request.head.uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        switch generation.routes.answer(method: method.rawValue, path: request.path, query: query,
                                        body: request.body.map { Array($0.readableBytesView) } ?? [], caller: .admin) {
        case .response(let status, let contentType, let bytes)?:
            request.writer.send(status: status, headers: [("content-type", contentType)], body: bytes)
        case .error(let error)?:
            request.writer.sendError(error, dialect: .unrouted)
        case nil:
            request.writer.sendError(.notFound("No admin route for \(method) \(request.path)."), dialect: .unrouted)
        }
    }
}
