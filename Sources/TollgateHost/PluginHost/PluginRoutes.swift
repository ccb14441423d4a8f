import CTollgatePlugin
import TollgateABI
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// A route a plugin declared in on_create (ABI 1.4).
package struct PluginRoute: Equatable, Sendable {
    package let method: String
    package let path: String
    /// Who may call it; the core authenticates the caller before on_route.
    package let role: RouteRole

    /// "GET /admin/budgets".
    package var key: String { RouteRules.key(method: method, path: path) }
}

/// The routes a generation's plugins serve, and the one place a request on
/// them is dispatched: find the route, check the caller's role, run the
/// plugin's on_route, turn its answer into a response. The server calls
/// `answer` for `/admin/...` requests that are not the core's own, after
/// it authenticated the caller (today: the master key, role `admin`).
package struct PluginRoutes: @unchecked Sendable {
    // @unchecked: the table is built once, before the generation serves,
    // and only read after; PluginInstance is itself Sendable.
    private var routes: [String: (plugin: PluginInstance, route: PluginRoute)] = [:]

    /// What a route request is answered with.
    package enum Answer {
        case response(status: Int, contentType: String, body: [UInt8])
        case error(GatewayError)
    }

    /// Two plugins of one generation declared the same method and path.
    struct Conflict: Error {
        let route: PluginRoute
        /// The instance that declared it first.
        let first: String
    }

    package init() {}

    package var all: [PluginRoute] { routes.values.map(\.route).sorted { $0.key < $1.key } }

    /// Adds the routes `plugin` declared; throws on one an earlier plugin
    /// already serves (nothing of `plugin`'s is added then).
    mutating func add(_ plugin: PluginInstance) throws {
        for route in plugin.routes {
            if let existing = routes[route.key] { throw Conflict(route: route, first: existing.plugin.instanceName) }
        }
        for route in plugin.routes { routes[route.key] = (plugin, route) }
    }

    /// The route `method` `path` of some plugin, if one serves it.
    package func route(method: String, path: String) -> PluginRoute? {
        routes[RouteRules.key(method: method, path: path)]?.route
    }

    /// The answer to a request on a plugin route, nil when no plugin serves
    /// `method` `path`. `caller` is who the core authenticated: the master
    /// key may call every route; a credential (viewer, team admin) only a
    /// `reader` route, which then sees the credential's role and scope.
    package func answer(method: String, path: String, query: String, body: [UInt8], caller: GovernanceActor) -> Answer? {
        guard let (plugin, route) = routes[RouteRules.key(method: method, path: path)] else { return nil }
        let request = RouteRequest(method: method, path: path, query: query, body: body)
        switch (caller, route.role) {
        case (.master, _):
            break
        case (.credential(let credential), .reader):
            request.callerRole = credential.role.rawValue
            request.callerScope = credential.scope.description
        case (.credential(let credential), .admin):
            return .error(.permission("\(route.key) needs the master key; credential '\(credential.id)' "
                + "(\(credential.role.rawValue)) may not call it.", code: "route_forbidden"))
        case (.keyHolder(let identity), _):
            return .error(.permission("\(route.key) is not open to virtual keys; key '\(identity.keyId)' may call GET /admin/me only.",
                                      code: "route_forbidden"))
        }
        return plugin.serve(request)
    }
}

extension PluginInstance {
    /// Runs on_route on `request`. The caller keeps the generation pinned.
    func serve(_ request: RouteRequest) -> PluginRoutes.Answer {
        let start = MonotonicClock.nanos()
        request.phase = .route
        let status = onRoute!(instance, request.pointer)
        request.phase = .idle
        request.arena.reset()
        hookDuration(.route).record(Double(MonotonicClock.nanos() - start) / 1e9)
        let route = RouteRules.key(method: request.method, path: request.path)
        guard status == TOLLGATE_STATUS_OK, let response = request.response else {
            let reason = status == TOLLGATE_STATUS_OK ? "returned OK without route_respond" : "returned \(HostStatusName.of(status))"
            host.logger.warning("on_route for \(route) \(reason): answered 500 plugin_error")
            return .error(GatewayError(status: 500, type: "plugin_error", code: "plugin_route_failed",
                                       message: "Plugin '\(instanceName)' failed to answer \(route)."))
        }
        return .response(status: response.status, contentType: response.contentType, body: response.body)
    }
}
