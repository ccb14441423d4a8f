import TollgatePluginKit

/// The sample's admin routes (ABI 1.4): `GET /admin/kit-sample` reports
/// how many calls it saw (and echoes `?q=`), `POST /admin/kit-sample/echo`
/// answers 201 with the JSON body it got (a body that is not JSON throws:
/// the host answers 500).
extension KitSample: RouteHook {
    public func onRoute(_ route: Route) throws -> RouteResponse {
        switch (route.method, route.path) {
        case ("GET", "/admin/kit-sample"):
            var fields: [(String, JSONValue)] = [("pre_calls", .int(Int64(preCallCount.withLock { $0 })))]
            if let q = route.queryValue("q") { fields.append(("q", .string(q))) }
            return .json(.object(JSONObject(fields)))
        case ("POST", "/admin/kit-sample/echo"):
            return .json(try route.jsonBody(), status: 201)
        default:
            return .error(status: 404, type: "not_found", message: "kit-sample has no route \(route.method) \(route.path)")
        }
    }
}
