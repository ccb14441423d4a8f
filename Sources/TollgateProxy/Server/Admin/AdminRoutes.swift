import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// `/admin/...`: the caller first (the master key, or a credential: team
/// admin, viewer, approver — presented as a bearer key, or through the
/// dashboard's session cookie; or a virtual key's holder, who may call
/// GET /admin/me only, AdminRoutes+Me), then the built-in routes (master key only), the
/// governance routes (AdminRoutes+Governance), the routes the serving
/// generation's plugins declared (by their role), else 404.
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
        let masterKey = generation.config.masterKey()
        let headers = request.head.headers
        let method = request.head.method
        let actor: GovernanceActor
        if !headers.contains(name: "authorization"), !headers.contains(name: "x-api-key"),
           let token = DashboardCookie.token(in: headers) {
            // The dashboard's session cookie (docs/dashboard.md): its actor
            // is the caller; a change needs the session's CSRF token too.
            guard let session = request.gateway.dashboardSessions.resolve(token: token, masterKey: masterKey,
                                                                           runtime: request.gateway.services.governance,
                                                                           keys: generation.keys) else {
                return request.writer.sendError(.authentication("The dashboard session is unknown or expired: sign in again.",
                                                                code: "invalid_session"), dialect: .unrouted)
            }
            if method != .GET, method != .HEAD,
               !ConstantTime.equal(headers.first(name: "x-csrf-token") ?? "", session.csrfToken) {
                return request.writer.sendError(.permission("\(method) \(request.path) with the dashboard's session cookie needs "
                    + "the session's CSRF token in the x-csrf-token header.", code: "csrf_required"), dialect: .unrouted)
            }
            actor = session.actor
        } else {
            switch Authenticator.governanceActorOrKeyHolder(headers, masterKey: masterKey, runtime: request.gateway.services.governance,
                                                            keys: generation.keys, now: MonotonicClock.wallMicros() / 1_000_000) {
            case .success(let found):
                actor = found
            case .failure(let error) where error.code == "revoked_api_key" || error.code == "expired_api_key":
                // A virtual key that no longer works: its usual message.
                return request.writer.sendError(error, dialect: .unrouted)
            case .failure(let error):
                // No credential matched: answer as the master-key routes
                // always have (403 when admin is off, 401 for a wrong key).
                return request.writer.sendError(Authenticator.master(headers, masterKey: masterKey) ?? error, dialect: .unrouted)
            }
        }
        // A virtual key's holder reads its own view and nothing else.
        if case .keyHolder(let identity) = actor, !(method == .GET && request.path == "/admin/me") {
            // With admin off (no master key) the answer stays admin_disabled.
            if masterKey == nil, let off = Authenticator.master(headers, masterKey: nil) {
                return request.writer.sendError(off, dialect: .unrouted)
            }
            return request.writer.sendError(.permission("\(method) \(request.path) is not open to a virtual key: key "
                + "'\(identity.keyId)' may call GET /admin/me (its own key and grants) only.", code: "key_holder_forbidden"),
                                            dialect: .unrouted)
        }
        if method == .GET, request.path == "/admin/me" { return Self.me(request, generation, actor: actor) }
        for route in routes where route.method == method && route.path == request.path {
            if case .credential(let credential) = actor {
                return request.writer.sendError(.permission("\(method) \(request.path) needs the master key; credential "
                    + "'\(credential.id)' (\(credential.role.rawValue)) may not call it.", code: "route_forbidden"), dialect: .unrouted)
            }
            return route.handler(request, generation)
        }
        if Self.governance(request, generation, actor: actor) || Self.exceptions(request, generation, actor: actor)
            || Self.alerts(request, generation, actor: actor) || Self.finance(request, generation, actor: actor) { return }
        // Routes the serving generation's plugins declared (ABI 1.4); the
        // plugin's declared role decides who may call them.
        switch generation.routes.answer(method: method.rawValue, path: request.path, query: request.query,
                                        body: request.body.map { Array($0.readableBytesView) } ?? [], caller: actor) {
        case .response(let status, let contentType, let bytes)?:
            request.writer.send(status: status, headers: [("content-type", contentType)], body: bytes)
        case .error(let error)?:
            request.writer.sendError(error, dialect: .unrouted)
        case nil:
            request.writer.sendError(.notFound("No admin route for \(method) \(request.path)."), dialect: .unrouted)
        }
    }
}
