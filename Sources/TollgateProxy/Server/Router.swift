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

/// One request, whole (HTTPServerHandler collected its body, bounded), as
/// the router hands it to a route. Event loop only.
package struct RoutedRequest {
    let gateway: Gateway
    let head: HTTPRequestHead
    /// The URI without its query.
    let path: String
    let body: ByteBuffer?
    let writer: ResponseWriter
    var eventLoop: EventLoop { writer.context.eventLoop }

    /// The raw query string after "?" ("" when there is none).
    var query: String { head.uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "" }

    /// The first value of query parameter `name`, percent-decoded ("" for a
    /// name without "="); nil when absent.
    func queryValue(_ name: String) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.first == name { return parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : "" }
        }
        return nil
    }
}

/// A response that goes on after its route returned and wants to hear about
/// its client (a ProxyCall). The connection handler starts it, then tells it
/// when the client goes away or its socket's writability changes.
package protocol ClientCall: AnyObject {
    func start()
    func clientDisconnected()
    func writabilityChanged(isWritable: Bool)
}

/// Method + path → handler, the routing that used to be a switch in the
/// connection handler. A path is matched exactly (the query is not part of
/// it), then by prefix. A known path asked with another method answers 405
/// or 404 as the path says, and an unknown one 404, each in the error
/// dialect of the path.
package struct Router: Sendable {
    /// Answers the request through its writer (now, or later on the
    /// request's event loop), or returns a call for the connection handler
    /// to start.
    typealias Handler = @Sendable (RoutedRequest) -> ClientCall?

    enum OtherMethods: Sendable { case methodNotAllowed, notFound }

    struct PathRoutes: Sendable {
        var handlers: [(method: HTTPMethod, handler: Handler)] = []
        var errorDialect: APIDialect = .unrouted
        var otherMethods: OtherMethods = .notFound
    }

    private var exact: [String: PathRoutes] = [:]
    /// Every method on paths under the prefix; checked in order.
    private var prefixes: [(prefix: String, handler: Handler)] = []

    init() {}

    mutating func add(_ method: HTTPMethod, _ path: String, errorDialect: APIDialect = .unrouted,
                      otherMethods: OtherMethods = .notFound, _ handler: @escaping Handler) {
        var routes = exact[path] ?? PathRoutes()
        routes.handlers.append((method, handler))
        routes.errorDialect = errorDialect
        routes.otherMethods = otherMethods
        exact[path] = routes
    }

    /// Every request whose path starts with `prefix` (and matched no exact
    /// route) goes to `handler`, whatever its method.
    mutating func add(prefix: String, _ handler: @escaping Handler) {
        prefixes.append((prefix, handler))
    }

    enum Resolution {
        case handler(Handler)
        case methodNotAllowed(APIDialect)
        case notFound(APIDialect)
    }

    func resolve(_ method: HTTPMethod, _ path: String) -> Resolution {
        if let routes = exact[path] {
            for route in routes.handlers where route.method == method { return .handler(route.handler) }
            if routes.otherMethods == .methodNotAllowed { return .methodNotAllowed(routes.errorDialect) }
            return .notFound(routes.errorDialect)
        }
        for route in prefixes where path.hasPrefix(route.prefix) { return .handler(route.handler) }
        return .notFound(.unrouted)
    }

    func respond(to request: RoutedRequest) -> ClientCall? {
        switch resolve(request.head.method, request.path) {
        case .handler(let handler):
            return handler(request)
        case .methodNotAllowed(let dialect):
            request.writer.sendError(GatewayError(status: 405, type: "invalid_request_error", code: "method_not_allowed",
                                                  message: "\(request.head.method) is not allowed on \(request.path)."),
                                     dialect: dialect)
        case .notFound(let dialect):
            request.writer.sendError(.notFound("No route for \(request.head.method) \(request.path)."), dialect: dialect)
        }
        return nil
    }

    /// The path of a request target: without the query.
    static func path(of uri: String) -> String {
        guard let query = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return uri }
        return String(uri[..<query])
    }
}
