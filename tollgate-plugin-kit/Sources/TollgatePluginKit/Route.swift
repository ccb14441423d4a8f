/// `on_route` (ABI 1.4): answers requests on the routes the plugin declared
/// in `init` with `host.declareRoute(...)`. The gateway has authenticated
/// the caller for the route's role before `onRoute` runs. A thrown error is
/// logged and answered 500. Runs on a gateway I/O thread, concurrently with
/// hooks: answer promptly, and keep shared state thread-safe.
public protocol RouteHook: TollgatePlugin {
    func onRoute(_ route: Route) throws -> RouteResponse
}

/// One request on a plugin route. Valid only during `onRoute`, on its
/// thread — never keep it. Strings it returns are copies.
public struct Route {
    /// The raw host API table.
    public let hostAPI: UnsafePointer<tollgate_type_host_api>
    /// The raw tollgate_type_route_ptr.
    public let handle: OpaquePointer

    init(hostAPI: UnsafePointer<tollgate_type_host_api>, handle: OpaquePointer) {
        self.hostAPI = hostAPI
        self.handle = handle
    }

    /// A route property (TOLLGATE_ROUTE_PROP_*), or the host's status.
    public func stringResult(_ property: RouteProperty) -> Result<String, HostStatusError> {
        bytesResult(property).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A route property's bytes, or the host's status.
    public func bytesResult(_ property: RouteProperty) -> Result<[UInt8], HostStatusError> {
        guard hostAPI.provides(\.route_get_string), let get = hostAPI.pointee.route_get_string else {
            return .failure(HostStatusError(.unavailable, operation: "read route property \(property)"))
        }
        var out = tollgate_type_str()
        let status = get(handle, property.rawValue, &out)
        guard status == TOLLGATE_STATUS_OK else {
            return .failure(HostStatusError(HostStatus(rawValue: status), operation: "read route property \(property)"))
        }
        guard let ptr = out.ptr, out.len > 0 else { return .success([]) }
        return .success(Array(UnsafeRawBufferPointer(start: ptr, count: out.len)))
    }

    /// "GET", "POST", "PUT", "PATCH" or "DELETE".
    public var method: String { (try? stringResult(.method).get()) ?? "" }
    /// The path without the query, e.g. "/admin/budgets".
    public var path: String { (try? stringResult(.path).get()) ?? "" }
    /// The raw query string after "?", not decoded ("" when none).
    public var query: String { (try? stringResult(.query).get()) ?? "" }
    /// The request body as received.
    public var body: [UInt8] { (try? bytesResult(.body).get()) ?? [] }
    /// Who called (ABI 1.5): "admin", "viewer" or "team_admin"; "admin" on
    /// an older host (which admits only the master key).
    public var callerRole: String { (try? stringResult(.callerRole).get()) ?? "admin" }
    /// What the caller may see (ABI 1.5): "" for everything, "org/ORG" or
    /// "team/ORG/TEAM".
    public var callerScope: String { (try? stringResult(.callerScope).get()) ?? "" }

    /// The query's `name=value` pairs, percent-decoded ("+" is a space), in
    /// order; a name without "=" has the value "".
    public var queryItems: [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    /// The first value of a query parameter.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The body parsed as JSON.
    public func jsonBody() throws -> JSONValue {
        try JSONValue.parse(body)
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), utf8.count >= 2,
                      let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Hands `response` to the host (route_respond).
    func respond(_ response: RouteResponse) -> HostStatus {
        guard hostAPI.provides(\.route_respond), let respond = hostAPI.pointee.route_respond else { return .unavailable }
        return withTollgateStr(response.contentType) { contentType in
            response.body.withUnsafeBytes { raw in
                let body = tollgate_type_str(ptr: raw.baseAddress?.assumingMemoryBound(to: CChar.self), len: raw.count)
                return HostStatus(rawValue: respond(handle, response.status, contentType, body))
            }
        }
    }
}

/// What `onRoute` answers: sent as it is, with a content-length.
public struct RouteResponse: Equatable, Sendable {
    /// 200-599.
    public var status: UInt16
    public var contentType: String
    public var body: [UInt8]

    public init(status: UInt16 = 200, contentType: String = ArgumentRules.defaultContentType, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// A JSON answer, serialised compactly in the value's key order.
    public static func json(_ value: JSONValue, status: UInt16 = 200) -> RouteResponse {
        RouteResponse(status: status, body: value.serialized())
    }

    /// A plain-text answer.
    public static func text(_ text: String, status: UInt16 = 200) -> RouteResponse {
        RouteResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// An error in the gateway's own shape for admin routes:
    /// `{"error":{"message","type","param":null,"code"}}`.
    public static func error(status: UInt16, type: String, code: String? = nil, message: String) -> RouteResponse {
        .json(.object(JSONObject([("error", .object(JSONObject([
            ("message", .string(message)), ("type", .string(type)), ("param", .null),
            ("code", code.map { .string($0) } ?? .null),
        ])))])), status: status)
    }
}

extension PluginHost {
    /// The host serves plugin routes (ABI 1.4 or later).
    public var servesRoutes: Bool { hostAPI.provides(\.declare_route) && hostAPI.pointee.declare_route != nil }

    /// Declares a route this plugin answers in `onRoute` (the type must
    /// conform to `RouteHook`). Call from `init` only. Throws the host's
    /// refusal: `.invalidArgument` for a malformed method or path,
    /// `.refused` for a core admin path or a route declared twice,
    /// `.unavailable` on a host older than 1.4 (check `servesRoutes`).
    public func declareRoute(_ method: String, _ path: String, role: RouteRole = .admin) throws {
        let operation = "declare route \(RouteRules.key(method: method, path: path))"
        guard servesRoutes, let declare = hostAPI.pointee.declare_route else {
            throw HostStatusError(.unavailable, operation: operation + " (the host is older than ABI 1.4)")
        }
        let status = withTollgateStrs([method, path]) { strs in
            HostStatus(rawValue: declare(handle, strs[0], strs[1], role.rawValue))
        }
        guard status.isOK else { throw HostStatusError(status, operation: operation) }
    }
}
