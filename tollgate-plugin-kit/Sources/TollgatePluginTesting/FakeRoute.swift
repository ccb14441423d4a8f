import TollgateABI
import TollgatePluginKit

/// One request on a plugin route (ABI 1.4) as the fake host presents it to
/// on_route: what `PluginUnderTest.route(...)` builds and a test reads back.
public final class FakeRoute {
    public let method: String
    public let path: String
    public let query: String
    public let body: [UInt8]
    /// Who the fake gateway says called (ABI 1.5 route properties).
    public var callerRole = "admin"
    public var callerScope = ""

    /// What the plugin answered with route_respond.
    public struct Response: Equatable, Sendable {
        public var status: UInt16
        public var contentType: String
        public var body: String

        public init(status: UInt16, contentType: String, body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    public internal(set) var response: Response?

    /// `.route` while on_route runs; every route function answers
    /// WRONG_PHASE otherwise.
    var phase: ABIPhase = .idle
    private var borrowed = BorrowedCopies()

    public init(method: String = "GET", path: String, query: String = "", body: [UInt8] = [],
                callerRole: String = "admin", callerScope: String = "") {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.callerRole = callerRole
        self.callerScope = callerScope
    }

    /// A host-owned copy of `bytes`, valid until on_route returns.
    func borrow(_ bytes: [UInt8]) -> tollgate_type_str {
        borrowed.lend(bytes)
    }

    /// Poisons and frees what was lent.
    func endHook() {
        borrowed.returnAll()
        phase = .idle
    }

    deinit { endHook() }

    static func from(_ pointer: OpaquePointer?) -> FakeRoute? {
        pointer.map { Unmanaged<FakeRoute>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }
}

/// What a plugin's on_route returned and answered, and what the gateway
/// would send for it.
public struct RouteResult {
    /// on_route's own status.
    public var returned: HostStatus
    /// The answer set with route_respond (nil if none).
    public var response: FakeRoute.Response?

    /// The status the client would get: the plugin's, or 500 when on_route
    /// failed or answered nothing (the gateway's rule).
    public var httpStatus: UInt16 { returned.isOK ? response?.status ?? 500 : 500 }
    /// The answer's body parsed as JSON (nil when it is not JSON).
    public var json: JSONValue? { response.flatMap { try? JSONValue.parse($0.body) } }
}

extension FakeHostTable {
    /// declare_route, route_get_string, route_respond (ABI 1.4), with the
    /// rules of TollgateABI's RouteRules and HostFunction.
    static func installRoutes(_ api: inout tollgate_type_host_api) {
        api.declare_route = { hostPointer, method, path, role in
            guard let host = FakeHostTable.host(hostPointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            if let refusal = HostFunction.declareRoute.refusal(in: host.phase) { return refusal }
            guard let method = FakeHostTable.string(method), let path = FakeHostTable.string(path) else {
                return TOLLGATE_STATUS_INVALID_ARGUMENT
            }
            return host.creation.withLock { creation in
                let declared = Set(creation.routes.map { RouteRules.key(method: $0.method, path: $0.path) })
                if let refusal = RouteRules.declareRefusal(method: method, path: path, role: role, declared: declared,
                                                           hasRouteHook: creation.hasRouteHook) {
                    return refusal
                }
                creation.routes.append(FakeHost.DeclaredRoute(method: method, path: path, role: RouteRole(rawValue: role)!))
                return TOLLGATE_STATUS_OK
            }
        }
        api.route_get_string = { routePointer, property, out in
            guard let route = FakeRoute.from(routePointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            if let refusal = HostFunction.routeGetString.refusal(in: route.phase, present: out != nil) { return refusal }
            switch RouteProperty(rawValue: property) {
            case .method: out!.pointee = route.borrow(Array(route.method.utf8))
            case .path: out!.pointee = route.borrow(Array(route.path.utf8))
            case .query: out!.pointee = route.borrow(Array(route.query.utf8))
            case .body: out!.pointee = route.borrow(route.body)
            case .callerRole: out!.pointee = route.borrow(Array(route.callerRole.utf8))
            case .callerScope: out!.pointee = route.borrow(Array(route.callerScope.utf8))
            case nil: return TOLLGATE_STATUS_INVALID_ARGUMENT
            }
            return TOLLGATE_STATUS_OK
        }
        api.route_respond = { routePointer, status, contentType, body in
            guard let route = FakeRoute.from(routePointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            if let refusal = HostFunction.routeRespond.refusal(in: route.phase) { return refusal }
            guard ArgumentRules.responseStatuses.contains(status), let contentType = FakeHostTable.string(contentType),
                  HTTPHeaderRules.isValidValue(contentType) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            route.response = FakeRoute.Response(status: status,
                                                contentType: contentType.isEmpty ? ArgumentRules.defaultContentType : contentType,
                                                body: FakeHostTable.bytesAsText(body))
            return TOLLGATE_STATUS_OK
        }
    }
}
