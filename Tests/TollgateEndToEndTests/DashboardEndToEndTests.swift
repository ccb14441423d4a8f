import Foundation
import XCTest

/// The dashboard against the real binary: the page and its assets with
/// their content types; sign-in with each kind of credential sets a
/// session cookie (HttpOnly, SameSite=Strict); the cookie alone reads the
/// admin API, a change by cookie needs the session's CSRF token; a wrong
/// credential is a 401; signing out ends the session; GET /admin/alerts
/// shows each credential the alerts of its scope; a virtual key signs in
/// to its own view (GET /admin/me, figures equal to /admin/allocation's)
/// and is refused every other admin route; a revoked key cannot sign in.
final class DashboardEndToEndTests: XCTestCase {
    static var mock: MockProviderProcess!
    static var gateway: GatewayProcess!
    static let master = "dashboard-test-master"
    static let teamAdmin = "tg-dash-payments-admin"
    static let otherTeamAdmin = "tg-dash-search-admin"
    static let viewer = "tg-dash-finance"
    static let approver = "tg-dash-chair"

    override class func setUp() {
        super.setUp()
        do {
            mock = try MockProviderProcess()
            let governance = """
            grants:
              - {id: acme, scope: org/acme, owner: cfo@example.com, amount: "1000", period: monthly, renews: 2099-12-31}
              - {id: payments, scope: team/acme/payments, owner: lead@example.com, amount: "50", period: monthly, renews: 2099-12-31}
            credentials:
              - {id: payments-admin, role: team_admin, scope: team/acme/payments, owner: lead@example.com, sha256: "\(TestConfig.sha256(teamAdmin))"}
              - {id: search-admin, role: team_admin, scope: team/acme/search, owner: search@example.com, sha256: "\(TestConfig.sha256(otherTeamAdmin))"}
              - {id: finance, role: viewer, scope: org/acme, owner: fp@example.com, sha256: "\(TestConfig.sha256(viewer))"}
              - {id: chair, role: approver, scope: org/acme, owner: chair@example.com, sha256: "\(TestConfig.sha256(approver))"}
            plugins:
              - name: budget
                fail: closed
            """
            // A second team, for a team admin who must not see payments' alerts.
            let yaml = TestConfig.yaml(mockPort: mock.port, storage: TestPaths.temporaryDirectory("dash-data"), plugins: governance)
                .replacingOccurrences(of: "    teams:\n", with: "    teams:\n      - {name: search, owner: search@example.com}\n")
            gateway = try GatewayProcess(yaml: yaml,
                                         directory: TestPaths.temporaryDirectory("dash-gw"), environment: ["TOLLGATE_TEST_MASTER": master])
        } catch {
            FileHandle.standardError.write(Data("dashboard gateway: \(error)\n".utf8))
            XCTFail("start: \(error)")
        }
    }

    override class func tearDown() {
        gateway?.stop()
        mock?.stop()
        super.tearDown()
    }

    var port: Int { Self.gateway.port }

    struct Session {
        var cookie: String
        var csrf: String
        var setCookie: String
        var json: [String: Any]
    }

    func signIn(_ credential: String, headers: [(String, String)] = [], line: UInt = #line) throws -> Session {
        let response = try HTTP.postJSON(port: port, path: "/dashboard/session", key: nil,
                                         json: #"{"credential": "\#(credential)"}"#, headers: headers)
        XCTAssertEqual(response.status, 200, response.text, line: line)
        let setCookie = try XCTUnwrap(response.header("set-cookie"), line: line)
        let pair = try XCTUnwrap(setCookie.split(separator: ";").first.map(String.init), line: line)
        let json = try response.json()
        return Session(cookie: pair, csrf: try XCTUnwrap(json["csrf_token"] as? String, line: line), setCookie: setCookie, json: json)
    }

    func request(_ method: String, _ path: String, cookie: String? = nil, csrf: String? = nil, bearer: String? = nil,
                 json: String? = nil) throws -> HTTPResponse {
        var headers: [(String, String)] = []
        if let cookie { headers.append(("cookie", "theme=light; " + cookie)) }
        if let csrf { headers.append(("x-csrf-token", csrf)) }
        if let bearer { headers.append(("authorization", "Bearer \(bearer)")) }
        if json != nil { headers.append(("content-type", "application/json")) }
        return try HTTP.request(port: port, method: method, path: path, headers: headers, body: Array((json ?? "").utf8))
    }

    /// A raise of the payments grant for the next ten days.
    static var exceptionBody: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        let ends = formatter.string(from: Date().addingTimeInterval(10 * 86_400))
        return #"{"grant": "payments", "amount": "5", "ends": "\#(ends)", "reason": "quarter-end batch of invoices to summarise"}"#
    }

    func testThePageAndItsAssetsAreServedWithTheirContentTypes() throws {
        let page = try request("GET", "/dashboard")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.header("content-type"), "text/html; charset=utf-8")
        XCTAssertTrue(page.text.contains(#"<script src="/dashboard/assets/dashboard.js" defer></script>"#))
        XCTAssertTrue(page.text.contains(#"<link rel="stylesheet" href="/dashboard/assets/dashboard.css">"#))
        XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "nothing is loaded from elsewhere")
        let csp = try XCTUnwrap(page.header("content-security-policy"))
        XCTAssertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), csp)
        XCTAssertEqual(page.header("x-content-type-options"), "nosniff")

        let script = try request("GET", "/dashboard/assets/dashboard.js")
        XCTAssertEqual(script.status, 200)
        XCTAssertEqual(script.header("content-type"), "text/javascript; charset=utf-8")
        XCTAssertTrue(script.text.contains("/admin/allocation"))
        // The chargeback view: its tab, its routes, its exports, the first-paint mark.
        XCTAssertTrue(page.text.contains(#"data-view="chargeback""#) && page.text.contains(#"id="view-chargeback""#))
        for route in ["/admin/finance/chargeback", "/admin/finance/forecast", "/admin/forecasts", "/admin/finance/focus?period=",
                      "tollgate:first-view"] {
            XCTAssertTrue(script.text.contains(route), route)
        }
        let style = try request("GET", "/dashboard/assets/dashboard.css")
        XCTAssertEqual(style.status, 200)
        XCTAssertEqual(style.header("content-type"), "text/css; charset=utf-8")
        XCTAssertEqual(try request("GET", "/dashboard/assets/nothing.js").status, 404)
        XCTAssertEqual(try request("GET", "/dashboard/").status, 200)
    }

    func testEachKindOfCredentialSignsInWithAStrictHttpOnlyCookie() throws {
        for (credential, role, id) in [(Self.master, "admin", nil), (Self.approver, "approver", "chair"),
                                       (Self.teamAdmin, "team_admin", "payments-admin"), (Self.viewer, "viewer", "finance")] {
            let session = try signIn(credential)
            let attributes = session.setCookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            XCTAssertTrue(session.cookie.hasPrefix("tollgate_session="), session.setCookie)
            XCTAssertEqual(session.cookie.count, "tollgate_session=".count + 64)
            XCTAssertTrue(attributes.contains("HttpOnly"), session.setCookie)
            XCTAssertTrue(attributes.contains("SameSite=Strict"), session.setCookie)
            XCTAssertTrue(attributes.contains("Path=/"), session.setCookie)
            XCTAssertFalse(attributes.contains("Secure"), "plain HTTP: " + session.setCookie)
            XCTAssertEqual(session.json["role"] as? String, role)
            XCTAssertEqual(session.json["id"] as? String, id)
            XCTAssertEqual(session.csrf.count, 64)
            XCTAssertFalse(session.setCookie.contains(session.csrf), "the CSRF token is not in the cookie")

            let again = try request("GET", "/dashboard/session", cookie: session.cookie)
            XCTAssertEqual(again.status, 200, again.text)
            XCTAssertEqual(try again.json()["csrf_token"] as? String, session.csrf)
            let whoami = try request("GET", "/admin/whoami", cookie: session.cookie)
            XCTAssertEqual(try whoami.json()["role"] as? String, role)
        }
        // Behind a TLS-terminating proxy the cookie is Secure.
        let secure = try signIn(Self.viewer, headers: [("x-forwarded-proto", "https")])
        XCTAssertTrue(secure.setCookie.hasSuffix("; Secure"), secure.setCookie)
    }

    func testTheCookieAloneReadsTheAdminAPIWithTheSameFigures() throws {
        let session = try signIn(Self.viewer)
        let byCookie = try request("GET", "/admin/allocation", cookie: session.cookie)
        XCTAssertEqual(byCookie.status, 200, byCookie.text)
        let byBearer = try request("GET", "/admin/allocation", bearer: Self.viewer)
        let grants = { (r: HTTPResponse) in ((try r.json()["grants"] as? [[String: Any]]) ?? []).map { $0["id"] as? String ?? "" } }
        XCTAssertEqual(try grants(byCookie), ["acme", "payments"])
        XCTAssertEqual(try grants(byCookie), try grants(byBearer))
        // The team admin's cookie sees its team only, as its key does.
        let admin = try signIn(Self.teamAdmin)
        XCTAssertEqual(try grants(try request("GET", "/admin/allocation", cookie: admin.cookie)), ["payments"])
        // A read is not a change: no CSRF token needed.
        XCTAssertEqual(try request("GET", "/admin/exceptions", cookie: admin.cookie).status, 200)
        // Master-key routes stay the master key's.
        XCTAssertEqual(try request("GET", "/admin/counters", cookie: admin.cookie).status, 403)
        let master = try signIn(Self.master)
        XCTAssertEqual(try request("GET", "/admin/counters", cookie: master.cookie).status, 200)
    }

    func testAChangeByCookieNeedsTheSessionsCSRFToken() throws {
        let admin = try signIn(Self.teamAdmin)
        let missing = try request("POST", "/admin/exceptions", cookie: admin.cookie, json: Self.exceptionBody)
        XCTAssertEqual(missing.status, 403, missing.text)
        XCTAssertEqual(missing.header("x-tollgate-error-code"), "csrf_required")
        XCTAssertTrue(missing.text.contains("x-csrf-token"), missing.text)
        let other = try signIn(Self.teamAdmin)
        let wrong = try request("POST", "/admin/exceptions", cookie: admin.cookie, csrf: other.csrf, json: Self.exceptionBody)
        XCTAssertEqual(wrong.status, 403, "another session's token is not this one's")
        let filed = try request("POST", "/admin/exceptions", cookie: admin.cookie, csrf: admin.csrf, json: Self.exceptionBody)
        XCTAssertEqual(filed.status, 201, filed.text)
        XCTAssertEqual(try filed.json()["requested_by"] as? String, "credential:payments-admin")

        // The approver decides it the same way.
        let id = try XCTUnwrap(try filed.json()["id"] as? String)
        let chair = try signIn(Self.approver)
        XCTAssertEqual(try request("POST", "/admin/exceptions/\(id)/approve", cookie: chair.cookie, json: "{}").status, 403)
        let approved = try request("POST", "/admin/exceptions/\(id)/approve", cookie: chair.cookie, csrf: chair.csrf,
                                   json: #"{"condition": "invoices only"}"#)
        XCTAssertEqual(approved.status, 200, approved.text)
        XCTAssertEqual(try approved.json()["decided_by"] as? String, "credential:chair")

        // Bearer calls are unchanged: no CSRF token.
        let byBearer = try request("POST", "/admin/exceptions", bearer: Self.teamAdmin, json: Self.exceptionBody)
        XCTAssertEqual(byBearer.status, 201, byBearer.text)
        // A bearer key wins over a cookie sent with it.
        let both = try request("POST", "/admin/exceptions", cookie: admin.cookie, bearer: Self.teamAdmin, json: Self.exceptionBody)
        XCTAssertEqual(both.status, 201, both.text)
    }

    func testAVirtualKeySignsInAndSeesItsKeyAndTheGrantsAboveItOnly() throws {
        // Some spend on the payments grants first.
        let chat = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                     json: #"{"model": "small", "messages": [{"role": "user", "content": "hello"}]}"#)
        XCTAssertEqual(chat.status, 200, chat.text)

        let session = try signIn(TestConfig.prodKey)
        XCTAssertEqual(session.json["role"] as? String, "key_holder")
        XCTAssertEqual(session.json["id"] as? String, "payments-prod")
        XCTAssertEqual(session.json["class"] as? String, "production")

        let me = try request("GET", "/admin/me", cookie: session.cookie)
        XCTAssertEqual(me.status, 200, me.text)
        let body = try me.json()
        let key = try XCTUnwrap(body["key"] as? [String: Any])
        XCTAssertEqual(key["id"] as? String, "payments-prod")
        XCTAssertEqual(key["org"] as? String, "acme")
        XCTAssertEqual(key["team"] as? String, "payments")
        XCTAssertEqual(key["class"] as? String, "production")
        XCTAssertEqual(body["figures"] as? Bool, true)
        let grants = try XCTUnwrap(body["grants"] as? [[String: Any]])
        XCTAssertEqual(grants.map { $0["id"] as? String }, ["acme", "payments"])

        // The figures are /admin/allocation's, grant for grant.
        let allocation = try request("GET", "/admin/allocation", bearer: Self.master)
        XCTAssertEqual(allocation.status, 200, allocation.text)
        let all = try XCTUnwrap(try allocation.json()["grants"] as? [[String: Any]])
        for grant in grants {
            let figures = try XCTUnwrap(grant["allocation"] as? [String: Any], "\(grant)")
            let same = try XCTUnwrap(all.first { $0["id"] as? String == grant["id"] as? String })
            XCTAssertEqual(figures as NSDictionary, same as NSDictionary)
            XCTAssertTrue((grant["at_cap"] as? String ?? "").contains("hard tier"), "\(grant)")
            let ask = try XCTUnwrap(grant["ask"] as? [String: Any])
            XCTAssertTrue((ask["command"] as? String ?? "").hasPrefix("tollgate exception request --grant \(grant["id"]!)"))
            XCTAssertEqual(ask["owner"] as? String, grant["owner"] as? String)
        }
        let paymentsSpent = ((grants[1]["allocation"] as? [String: Any])?["buckets"] as? [[String: Any]])?.first?["spent_nanos"] as? Int
        XCTAssertGreaterThan(paymentsSpent ?? 0, 0, "the request above was charged")

        // Every other admin route is closed to the key holder: by cookie and as a bearer key.
        for path in ["/admin/allocation", "/admin/grants", "/admin/whoami", "/admin/exceptions", "/admin/counters"] {
            let refused = try request("GET", path, cookie: session.cookie)
            XCTAssertEqual(refused.status, 403, path + ": " + refused.text)
            XCTAssertEqual((try refused.json()["error"] as? [String: Any])?["code"] as? String, "key_holder_forbidden", path)
        }
        let minting = try request("POST", "/admin/keys", cookie: session.cookie, csrf: session.csrf, json: #"{"id": "x", "class": "production"}"#)
        XCTAssertEqual(minting.status, 403, minting.text)
        XCTAssertEqual(try request("GET", "/admin/allocation", bearer: TestConfig.prodKey).status, 403)
        XCTAssertEqual(try request("GET", "/admin/me", bearer: TestConfig.prodKey).status, 200)

        // The master key may look at any key; a credential may not call it.
        let lab = try request("GET", "/admin/me?key=payments-lab", bearer: Self.master)
        XCTAssertEqual(lab.status, 200, lab.text)
        XCTAssertEqual((try lab.json()["key"] as? [String: Any])?["class"] as? String, "experimentation")
        XCTAssertTrue(((try lab.json()["grants"] as? [[String: Any]])?.first?["at_cap"] as? String ?? "").hasPrefix("Refused at 100%"))
        XCTAssertEqual(try request("GET", "/admin/me", bearer: Self.viewer).status, 403)
    }

    func testARevokedKeyCannotSignInAndItsSessionEnds() throws {
        let minted = try request("POST", "/admin/keys", bearer: Self.teamAdmin, json: #"{"id": "dash-me-key", "class": "experimentation"}"#)
        XCTAssertEqual(minted.status, 201, minted.text)
        let secret = try XCTUnwrap(try minted.json()["key"] as? String)
        let session = try signIn(secret)
        XCTAssertEqual(try request("GET", "/admin/me", cookie: session.cookie).status, 200)

        XCTAssertEqual(try request("DELETE", "/admin/keys/dash-me-key", bearer: Self.teamAdmin, json: #"{"reason": "left the team"}"#).status, 200)
        let ended = try request("GET", "/admin/me", cookie: session.cookie)
        XCTAssertEqual(ended.status, 401, ended.text)
        XCTAssertEqual((try ended.json()["error"] as? [String: Any])?["code"] as? String, "invalid_session")
        let again = try HTTP.postJSON(port: port, path: "/dashboard/session", key: nil, json: #"{"credential": "\#(secret)"}"#)
        XCTAssertEqual(again.status, 401, again.text)
        XCTAssertNil(again.header("set-cookie"))
        let error = try XCTUnwrap(try again.json()["error"] as? [String: Any])
        XCTAssertEqual(error["code"] as? String, "revoked_api_key")
        XCTAssertTrue((error["message"] as? String ?? "").hasPrefix("This API key (dash-me-key) was revoked"), "\(error)")
    }

    func testAWrongCredentialIsRefusedAtSignIn() throws {
        let wrong = try HTTP.postJSON(port: port, path: "/dashboard/session", key: nil, json: #"{"credential": "tg-guess"}"#)
        XCTAssertEqual(wrong.status, 401, wrong.text)
        XCTAssertNil(wrong.header("set-cookie"))
        let error = try XCTUnwrap(try wrong.json()["error"] as? [String: Any])
        XCTAssertEqual(error["code"] as? String, "invalid_credential")
        XCTAssertEqual(error["message"] as? String, "This key is neither the master key nor a credential.")
        // A virtual key signs in (its holder's view), but not an expired one.
        let expired = try HTTP.postJSON(port: port, path: "/dashboard/session", key: nil,
                                        json: #"{"credential": "\#(TestConfig.expiredKey)"}"#)
        XCTAssertEqual(expired.status, 401, expired.text)
        XCTAssertEqual((try expired.json()["error"] as? [String: Any])?["code"] as? String, "expired_api_key")
        XCTAssertEqual(try HTTP.postJSON(port: port, path: "/dashboard/session", key: nil, json: #"{"key": "x"}"#).status, 400)
        // Not JSON (what a cross-site form would send): refused.
        let form = try HTTP.request(port: port, path: "/dashboard/session", headers: [("content-type", "application/x-www-form-urlencoded")],
                                    body: Array("credential=\(Self.viewer)".utf8))
        XCTAssertEqual(form.status, 415, form.text)
        XCTAssertNil(form.header("set-cookie"))
        // An unknown or made-up cookie is no session.
        let made = try request("GET", "/admin/allocation", cookie: "tollgate_session=" + String(repeating: "a", count: 64))
        XCTAssertEqual(made.status, 401)
        XCTAssertEqual(made.header("x-tollgate-error-code"), "invalid_session")
        XCTAssertEqual(try request("GET", "/dashboard/session").status, 401)
    }

    func testSigningOutEndsTheSession() throws {
        let session = try signIn(Self.viewer)
        XCTAssertEqual(try request("GET", "/admin/allocation", cookie: session.cookie).status, 200)
        let noToken = try request("DELETE", "/dashboard/session", cookie: session.cookie)
        XCTAssertEqual(noToken.status, 403, noToken.text)
        XCTAssertEqual(try request("GET", "/admin/allocation", cookie: session.cookie).status, 200, "still signed in")
        let out = try request("DELETE", "/dashboard/session", cookie: session.cookie, csrf: session.csrf)
        XCTAssertEqual(out.status, 200, out.text)
        let cleared = try XCTUnwrap(out.header("set-cookie"))
        XCTAssertTrue(cleared.hasPrefix("tollgate_session=;") && cleared.contains("Max-Age=0"), cleared)
        let after = try request("GET", "/admin/allocation", cookie: session.cookie)
        XCTAssertEqual(after.status, 401, after.text)
        XCTAssertEqual(after.header("x-tollgate-error-code"), "invalid_session")
        XCTAssertEqual(try request("GET", "/dashboard/session", cookie: session.cookie).status, 401)
        XCTAssertEqual(try request("DELETE", "/dashboard/session", cookie: session.cookie).status, 200, "signing out twice is fine")
    }

    func testAlertsAreShownToTheCredentialsWhoseScopeTheyAreIn() throws {
        let filed = try request("POST", "/admin/exceptions", bearer: Self.teamAdmin, json: Self.exceptionBody)
        XCTAssertEqual(filed.status, 201, filed.text)
        let id = try XCTUnwrap(try filed.json()["id"] as? String)
        func alerts(_ credential: String) throws -> [[String: Any]] {
            let response = try request("GET", "/admin/alerts", bearer: credential)
            XCTAssertEqual(response.status, 200, response.text)
            return try response.json()["alerts"] as? [[String: Any]] ?? []
        }
        func mine(_ list: [[String: Any]]) -> [[String: Any]] {
            list.filter { ($0["details"] as? [String: Any])?["id"] as? String == id }
        }
        let seen = mine(try alerts(Self.master))
        XCTAssertEqual(seen.count, 1)
        XCTAssertEqual(seen.first?["kind"] as? String, "exception_requested")
        XCTAssertEqual(seen.first?["severity"] as? String, "warning")
        XCTAssertEqual(seen.first?["subject"] as? String, "payments")
        XCTAssertEqual(seen.first?["sinks"] as? [String], ["log"])
        XCTAssertNotNil(seen.first?["at"] as? String)
        XCTAssertEqual(mine(try alerts(Self.teamAdmin)).count, 1)
        XCTAssertEqual(mine(try alerts(Self.viewer)).count, 1)
        XCTAssertEqual(mine(try alerts(Self.approver)).count, 1)
        XCTAssertEqual(try alerts(Self.otherTeamAdmin).count, 0, "another team's admin sees none of payments' alerts")
        // By cookie too, newest first, and limited.
        let session = try signIn(Self.viewer)
        let limited = try request("GET", "/admin/alerts?limit=1", cookie: session.cookie)
        XCTAssertEqual((try limited.json()["alerts"] as? [Any])?.count, 1)
        XCTAssertEqual(try request("GET", "/admin/alerts?limit=0", bearer: Self.master).status, 400)
        XCTAssertEqual(try request("GET", "/admin/alerts").status, 401)
    }
}
