import CTollgatePlugin
import TollgateABI
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

// Plugin routes (ABI 1.4): a plugin declares routes in on_create and
// answers them in on_route. Which method, path and role it may declare,
// and where each function works, are TollgateABI's RouteRules and
// HostFunction rules, shared with the fake host.
func installRouteCallbacks(_ t: UnsafeMutablePointer<tollgate_type_host_api>) {
    t.pointee.declare_route = hostDeclareRoute
    t.pointee.route_get_string = hostRouteGetString
    t.pointee.route_respond = hostRouteRespond
}

private let OK = tollgate_type_status(TOLLGATE_STATUS_OK)
private let INVALID = tollgate_type_status(TOLLGATE_STATUS_INVALID_ARGUMENT)

private let hostDeclareRoute: tollgate_callback_declare_route = { host, method, path, role in
    guard let host = HostContext.from(host) else { return INVALID }
    if let refusal = HostFunction.declareRoute.refusal(in: host.phase) { return refusal }
    guard let method = method.validatedString, let path = path.validatedString else { return INVALID }
    let declared = Set(host.declaredRoutes.map(\.key))
    if let refusal = RouteRules.declareRefusal(method: method, path: path, role: role, declared: declared,
                                               hasRouteHook: host.hasRouteHook) {
        return refusal
    }
    host.declaredRoutes.append(PluginRoute(method: method, path: path, role: RouteRole(rawValue: role)!))
    return OK
}

private let hostRouteGetString: tollgate_callback_route_get_string = { route, property, valueOut in
    guard let route = RouteRequest.from(route) else { return INVALID }
    if let refusal = HostFunction.routeGetString.refusal(in: route.phase, present: valueOut != nil) { return refusal }
    switch RouteProperty(rawValue: property) {
    case .method: valueOut!.pointee = route.arena.lend(route.method)
    case .path: valueOut!.pointee = route.arena.lend(route.path)
    case .query: valueOut!.pointee = route.arena.lend(route.query)
    case .body: valueOut!.pointee = route.arena.lend(route.body)
    case .callerRole: valueOut!.pointee = route.arena.lend(route.callerRole)
    case .callerScope: valueOut!.pointee = route.arena.lend(route.callerScope)
    case nil: return INVALID
    }
    return OK
}

private let hostRouteRespond: tollgate_callback_route_respond = { route, status, contentType, body in
    guard let route = RouteRequest.from(route) else { return INVALID }
    if let refusal = HostFunction.routeRespond.refusal(in: route.phase) { return refusal }
    guard ArgumentRules.responseStatuses.contains(status), let contentType = contentType.validatedString,
          HTTPHeaderRules.isValidValue(contentType) else { return INVALID }
    route.response = (Int(status), contentType.isEmpty ? ArgumentRules.defaultContentType : contentType, body.bytes)
    return OK
}
