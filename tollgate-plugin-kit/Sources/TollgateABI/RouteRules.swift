import CTollgatePlugin

/// Who may call a plugin route (TOLLGATE_ROUTE_ROLE_*): the role the core
/// authenticates the caller for before it hands the plugin the request.
/// Later roles (approver, a key on its own data) get new numbers.
public enum RouteRole: Int32, CaseIterable, Sendable, CustomStringConvertible {
    /// The gateway's master key.
    case admin = 1
    /// Anyone who may read governance data (1.5): the master key, a viewer
    /// or a team admin; the plugin narrows what it shows to the caller's
    /// scope (TOLLGATE_ROUTE_PROP_CALLER_SCOPE).
    case reader = 2

    public var description: String {
        switch self {
        case .admin: return "admin"
        case .reader: return "reader"
        }
    }

    /// The ABI minor that added the role (a host older than that refuses it).
    public var addedIn: UInt16 { self == .admin ? 4 : 5 }
}

/// A route property (TOLLGATE_ROUTE_PROP_*), read with route_get_string.
public enum RouteProperty: Int32, CaseIterable, Sendable {
    case method = 1
    case path = 2
    case query = 3
    case body = 4
    /// "admin", "viewer" or "team_admin" (1.5).
    case callerRole = 5
    /// "" (everything), "org/ORG" or "team/ORG/TEAM" (1.5).
    case callerScope = 6
}

/// What a plugin may declare with declare_route (ABI 1.4), as both hosts
/// check it.
public enum RouteRules {
    public static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    /// The core's own admin routes: never a plugin's, whatever the method.
    public static let coreAdminPaths: Set<String> = ["/admin/reload", "/admin/plugins", "/admin/counters"]

    /// "/admin/" and one or more segments of letters, digits and "-._~",
    /// separated by "/"; no empty, "." or ".." segment, no trailing "/".
    public static func isValidPath(_ path: String) -> Bool {
        let prefix = "/admin/"
        guard path.hasPrefix(prefix), path.utf8.count <= 256 else { return false }
        let segments = path.utf8.dropFirst(prefix.utf8.count).split(separator: UInt8(ascii: "/"),
                                                                     omittingEmptySubsequences: false)
        return segments.allSatisfy { segment in
            !segment.isEmpty && !segment.allSatisfy({ $0 == UInt8(ascii: ".") }) && segment.allSatisfy(isPathByte)
        }
    }

    private static func isPathByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// nil when an instance may declare `method` `path` for `role`; else
    /// the status declare_route answers (after its phase rule).
    /// `declared`: the routes the instance declared before, as "METHOD path".
    /// `hasRouteHook`: the descriptor has on_route.
    public static func declareRefusal(method: String, path: String, role: Int32, declared: Set<String>,
                                      hasRouteHook: Bool) -> tollgate_type_status? {
        guard methods.contains(method), isValidPath(path), RouteRole(rawValue: role) != nil else {
            return TOLLGATE_STATUS_INVALID_ARGUMENT
        }
        guard hasRouteHook, !coreAdminPaths.contains(path), !declared.contains(key(method: method, path: path)) else {
            return TOLLGATE_STATUS_REFUSED
        }
        return nil
    }

    /// How a route is named in messages and sets: "GET /admin/budgets".
    public static func key(method: String, path: String) -> String { "\(method) \(path)" }
}
