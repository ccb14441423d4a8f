import TollgateABI
import TollgatePluginKit

extension PluginUnderTest {
    /// Runs on_route for a request on a route the plugin declared, as the
    /// gateway does once it authenticated the caller for the route's role.
    /// A route the plugin did not declare is a harness misuse (the gateway
    /// answers it 404 without calling the plugin). `callerRole` and
    /// `callerScope` are who the gateway says called (ABI 1.5).
    @discardableResult
    public func route(_ method: String, _ path: String, query: String = "", body: String = "",
                      callerRole: String = "admin", callerScope: String = "") throws -> RouteResult {
        guard let instance = instanceForHooks else {
            throw HarnessMisuse(message: "plugin \(name) was destroyed: no hook may run after on_destroy")
        }
        guard host.declaredRoutes.contains(where: { $0.method == method && $0.path == path }) else {
            throw HarnessMisuse(message: "\(RouteRules.key(method: method, path: path)) is not a route plugin \(name) declared "
                + "(declared: \(host.declaredRoutes.map { RouteRules.key(method: $0.method, path: $0.path) }))")
        }
        let request = FakeRoute(method: method, path: path, query: query, body: Array(body.utf8),
                                callerRole: callerRole, callerScope: callerScope)
        request.phase = .route
        let status = routeHook!(instance, OpaquePointer(Unmanaged.passUnretained(request).toOpaque()))
        request.endHook()
        return RouteResult(returned: HostStatus(rawValue: status), response: request.response)
    }
}
