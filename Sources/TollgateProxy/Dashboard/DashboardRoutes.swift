import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost

/// The dashboard (docs/dashboard.md): one page and its script and style,
/// compiled into the binary (DashboardPage, DashboardScript, DashboardStyle:
/// no CDN, no build step, works offline), and its sign-in session.
///
///   GET    /dashboard                the page
///   GET    /dashboard/assets/NAME    dashboard.js, dashboard.css
///   POST   /dashboard/session        {"credential": "..."} (or a virtual key): sign in (sets the cookie; the answer has the CSRF token)
///   GET    /dashboard/session        who the cookie signs in as, with the CSRF token (a reloaded page asks)
///   DELETE /dashboard/session        sign out (x-csrf-token)
///
/// Every figure the page shows comes from the admin API (`/admin/...`)
/// through `fetch`, authenticated by the session cookie (AdminRoutes).
enum DashboardRoutes {
    static func add(to router: inout Router) {
        router.add(.GET, "/dashboard") { page($0); return nil }
        router.add(.GET, "/dashboard/") { page($0); return nil }
        router.add(prefix: "/dashboard/assets/") { asset($0); return nil }
        router.add(.POST, "/dashboard/session") { signIn($0); return nil }
        router.add(.GET, "/dashboard/session") { current($0); return nil }
        router.add(.DELETE, "/dashboard/session", otherMethods: .methodNotAllowed) { signOut($0); return nil }
    }

    /// Served with the page and its assets: nothing from elsewhere may load
    /// (script, style and fetch from this origin only), no framing.
    static let securityHeaders: [(String, String)] = [
        ("content-security-policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ]

    /// Whether the request reached the gateway over TLS, for the cookie's
    /// `Secure`. The gateway's listener serves plain HTTP today, so this is
    /// the switch a TLS listener will set; meanwhile a TLS-terminating proxy
    /// in front says so with `x-forwarded-proto: https` (trusting it can only
    /// make the cookie stricter).
    static func cameOverTLS(_ request: RoutedRequest) -> Bool {
        let listenerIsTLS = false
        return listenerIsTLS || request.head.headers.first(name: "x-forwarded-proto")?.lowercased() == "https"
    }

    static func page(_ request: RoutedRequest) {
        request.writer.send(status: 200, headers: [("content-type", "text/html; charset=utf-8"), ("cache-control", "no-store")]
                                + securityHeaders, body: Array(DashboardPage.html.utf8))
    }

    static func asset(_ request: RoutedRequest) {
        guard request.head.method == .GET || request.head.method == .HEAD else {
            return request.writer.sendError(GatewayError(status: 405, type: "invalid_request_error", code: "method_not_allowed",
                                                         message: "\(request.head.method) is not allowed on \(request.path)."),
                                            dialect: .unrouted)
        }
        let (type, text): (String, String)
        switch request.path.dropFirst("/dashboard/assets/".count) {
        case "dashboard.js": (type, text) = ("text/javascript; charset=utf-8", DashboardScript.source)
        case "dashboard.css": (type, text) = ("text/css; charset=utf-8", DashboardStyle.source)
        default: return request.writer.sendError(.notFound("No dashboard asset \(request.path)."), dialect: .unrouted)
        }
        // The assets change only with the binary; revalidating is cheap.
        request.writer.send(status: 200, headers: [("content-type", type), ("cache-control", "no-cache")] + securityHeaders,
                            body: Array(text.utf8))
    }

    /// `POST /dashboard/session`: the credential is checked exactly as the
    /// admin API checks a bearer key (Authenticator.governanceActorOrKeyHolder):
    /// the master key, a credential, or a virtual key (its holder sees the
    /// "My key" view, GET /admin/me, and nothing else).
    static func signIn(_ request: RoutedRequest) {
        // JSON only: a cross-site HTML form cannot send it, so no other site
        // can sign a browser in with a credential of its choosing.
        let contentType = request.head.headers.first(name: "content-type")?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            return request.writer.sendError(GatewayError(status: 415, type: "invalid_request_error", code: "unsupported_media_type",
                message: "Sign in with a JSON body ({\"credential\": \"...\"}, content-type: application/json)."), dialect: .unrouted)
        }
        let bytes = request.body.map { Array($0.readableBytesView) } ?? []
        guard case .object(let body)? = try? JSONValue.parse(bytes), let credential = body["credential"]?.stringValue else {
            return request.writer.sendError(.invalidRequest("The body must be a JSON object with the credential: {\"credential\": \"...\"}."),
                                            dialect: .unrouted)
        }
        let generation = request.gateway.generations.pin()
        defer { generation.unpin() }
        let masterKey = generation.config.masterKey()
        let secret = credential.trimmingSpaces()
        switch Authenticator.governanceActorOrKeyHolder(HTTPHeaders([("authorization", "Bearer \(secret)")]), masterKey: masterKey,
                                                        runtime: request.gateway.services.governance, keys: generation.keys,
                                                        now: MonotonicClock.wallMicros() / 1_000_000) {
        case .failure(let error):
            request.writer.sendError(error, dialect: .unrouted)
        case .success(let actor):
            let (token, session) = request.gateway.dashboardSessions.create(secret: secret, actor: actor)
            request.writer.sendJSON(status: 200, sessionJSON(session).serialized(), extraHeaders: [
                ("set-cookie", DashboardCookie.set(token: token, secure: cameOverTLS(request))), ("cache-control", "no-store"),
            ])
        }
    }

    static func current(_ request: RoutedRequest) {
        guard let session = resolve(request) else {
            return request.writer.sendError(.authentication("Not signed in, or the session expired: sign in.", code: "invalid_session"),
                                            dialect: .unrouted)
        }
        request.writer.sendJSON(status: 200, sessionJSON(session).serialized(), extraHeaders: [("cache-control", "no-store")])
    }

    /// `DELETE /dashboard/session`: ends the session (with its CSRF token)
    /// and clears the cookie; 200 `{"signed_out": true}` also when there was
    /// no session.
    static func signOut(_ request: RoutedRequest) {
        let headers = request.head.headers
        if let token = DashboardCookie.token(in: headers), let session = resolve(request) {
            guard ConstantTime.equal(headers.first(name: "x-csrf-token") ?? "", session.csrfToken) else {
                return request.writer.sendError(.permission("Signing out needs the session's CSRF token in the x-csrf-token header.",
                                                            code: "csrf_required"), dialect: .unrouted)
            }
            request.gateway.dashboardSessions.end(token: token)
        }
        request.writer.sendJSON(status: 200, Array(#"{"signed_out":true}"#.utf8), extraHeaders: [
            ("set-cookie", DashboardCookie.clear(secure: cameOverTLS(request))), ("cache-control", "no-store"),
        ])
    }

    private static func resolve(_ request: RoutedRequest) -> DashboardSessions.Resolved? {
        guard let token = DashboardCookie.token(in: request.head.headers) else { return nil }
        let generation = request.gateway.generations.pin()
        defer { generation.unpin() }
        return request.gateway.dashboardSessions.resolve(token: token, masterKey: generation.config.masterKey(),
                                                         runtime: request.gateway.services.governance, keys: generation.keys)
    }

    /// whoami's fields, the CSRF token and the expiry.
    static func sessionJSON(_ session: DashboardSessions.Resolved) -> JSONValue {
        guard case .object(var object) = AdminRoutes.whoami(session.actor) else { return .null }
        object["csrf_token"] = .string(session.csrfToken)
        object["expires"] = .string(UTCCalendar.iso8601(session.expiresMicros / 1_000_000))
        return .object(object)
    }
}
