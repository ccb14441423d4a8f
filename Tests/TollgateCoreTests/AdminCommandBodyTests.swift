import Foundation
import XCTest
@testable import TollgateCLI
@testable import TollgateConfig
@testable import TollgateHost
import TollgateJSON
import TollgateUnits

/// The bodies `tollgate grant`, `key`, `exception` and `burst` send, and
/// the admin client's endpoint, requests and errors (with a fake transport).
final class AdminCommandBodyTests: XCTestCase {
    func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    // MARK: grant create

    func testCreateSendsTheYAMLKeysInOrderWithAMonthlyDefault() throws {
        var f = GrantFields()
        f.id = "checkout"
        f.scope = "feature/acme/payments/checkout"
        f.parent = "payments"
        f.owner = "dev@example.com"
        f.amount = "$500"
        f.tpm = 5000
        f.renews = "2027-06-30"
        f.rationale = "Launch"
        f.onExpiry = "grace"
        f.graceDays = 7
        f.atCap = "refuse"
        XCTAssertEqual(try GrantBody.create(f).jsonString,
                       #"{"id":"checkout","scope":"feature/acme/payments/checkout","parent":"payments","owner":"dev@example.com","amount":"500","period":"monthly","tpm":5000,"renews":"2027-06-30","rationale":{"text":"Launch"},"on_expiry":"grace","grace_days":7,"at_cap":"refuse"}"#)
    }

    func testCreateWithOneAmountPerClass() throws {
        var f = GrantFields()
        f.id = "g"
        f.scope = "team/acme/web"
        f.owner = "o"
        f.production = "400"
        f.experimentation = "100.5"
        f.period = "quarterly"
        f.grantClass = "both"
        XCTAssertEqual(try GrantBody.create(f).jsonString,
                       #"{"id":"g","scope":"team/acme/web","owner":"o","class":"both","amount":{"production":"400","experimentation":"100.5"},"period":"quarterly"}"#)
    }

    func testCreateRefusesWhatTheGatewayWouldBeforeSending() {
        var f = GrantFields()
        f.id = "g"
        XCTAssertThrowsError(try GrantBody.create(f)) { error in
            XCTAssertEqual("\(error)", "grant create needs --scope, --owner, --amount (or --production and --experimentation)")
        }
        f.scope = "org/acme"
        f.owner = "o"
        f.amount = "1,000"
        XCTAssertThrowsError(try GrantBody.create(f)) { XCTAssertTrue("\($0)".hasPrefix("--amount '1,000': expected a plain decimal"), "\($0)") }
        f.amount = "0.0000000001"
        XCTAssertThrowsError(try GrantBody.create(f)) { XCTAssertTrue("\($0)".contains("at most 9 decimal places"), "\($0)") }
        f.amount = "10"
        f.production = "5"
        XCTAssertThrowsError(try GrantBody.create(f)) { XCTAssertTrue("\($0)".contains("not both"), "\($0)") }
        f.production = nil
        f.onExpiry = "grace"
        XCTAssertThrowsError(try GrantBody.create(f)) { XCTAssertTrue("\($0)".contains("needs --grace-days"), "\($0)") }
        f.onExpiry = "refuse"
        f.graceDays = 3
        XCTAssertThrowsError(try GrantBody.create(f)) { XCTAssertTrue("\($0)".contains("needs --on-expiry grace"), "\($0)") }
    }

    /// What the CLI builds, the gateway's own decoder accepts.
    func testTheGatewayDecodesWhatCreateBuilds() throws {
        var f = GrantFields()
        f.id = "checkout"
        f.scope = "feature/acme/payments/checkout"
        f.owner = "dev@example.com"
        f.production = "300"
        f.experimentation = "50"
        f.rpm = 60
        f.review = "2027-03-31"
        f.rationale = "Launch | phase 2"
        f.forecast = "$250/mo"
        f.priority = 3
        f.renews = "2027-06-30"
        f.onExpiry = "grace"
        f.graceDays = 7
        let grant = try GovernanceRequests.grant(try GrantBody.create(f)).get()
        XCTAssertEqual(grant.id, "checkout")
        XCTAssertEqual(grant.buckets.map(\.amountNanos), [300_000_000_000, 50_000_000_000])
        XCTAssertEqual(grant.rpm, 60)
        XCTAssertEqual(grant.rationale.text, "Launch | phase 2")
        XCTAssertEqual(grant.rationale.forecast, "$250/mo")
        XCTAssertEqual(grant.rationale.priority, 3)
        XCTAssertEqual(grant.onExpiry, .grace(days: 7))
    }

    // MARK: grant update

    func testUpdateSendsOnlyTheFieldsGiven() throws {
        var f = GrantFields()
        f.amount = "750"
        f.review = "2027-09-30"
        XCTAssertEqual(try GrantBody.update(f).jsonString, #"{"amount":"750","review":"2027-09-30"}"#)
        f = GrantFields()
        f.clear = ["tpm", "review"]
        f.rpm = 10
        XCTAssertEqual(try GrantBody.update(f).jsonString, #"{"rpm":10,"tpm":null,"review":null}"#)
    }

    func testUpdateToRefuseDropsTheStoredGraceDays() throws {
        var f = GrantFields()
        f.onExpiry = "refuse"
        XCTAssertEqual(try GrantBody.update(f).jsonString, #"{"on_expiry":"refuse","grace_days":null}"#)
        f.clear = ["grace_days"]
        XCTAssertEqual(try GrantBody.update(f).jsonString, #"{"on_expiry":"refuse","grace_days":null}"#)
        // The merged grant decodes: the patch removes grace_days with the grace.
        let stored = try json(#"{"id":"g","scope":"org/a","owner":"o","amount":"1","period":"monthly","renews":"2027-01-01","on_expiry":"grace","grace_days":5}"#)
        let merged = GovernanceRequests.merge(stored, try GrantBody.update(f))
        XCTAssertEqual(try GovernanceRequests.grant(merged).get().onExpiry, .refuse)
    }

    func testUpdateKeepsTheRationalePartsNotGiven() throws {
        let current = try json(#"{"id":"g","rationale":{"text":"Launch","trailing_usage":"$200/mo","forecast":null,"priority":2}}"#)
        var f = GrantFields()
        f.forecast = "$300/mo"
        XCTAssertEqual(try GrantBody.update(f, current: current).jsonString,
                       #"{"rationale":{"text":"Launch","trailing_usage":"$200/mo","forecast":"$300/mo","priority":2}}"#)
        f = GrantFields()
        f.rationale = "Relaunch"
        XCTAssertEqual(try GrantBody.update(f, current: try json(#"{"rationale":"Launch"}"#)).jsonString,
                       #"{"rationale":{"text":"Relaunch"}}"#)
        f = GrantFields()
        f.priority = 1
        XCTAssertEqual(try GrantBody.update(f, current: try json(#"{"rationale":"Launch"}"#)).jsonString,
                       #"{"rationale":{"text":"Launch","priority":1}}"#)
    }

    func testUpdateRefusesNothingImmutableAndUnknownClears() {
        XCTAssertThrowsError(try GrantBody.update(GrantFields())) { XCTAssertTrue("\($0)".contains("nothing to change"), "\($0)") }
        var f = GrantFields()
        f.scope = "org/x"
        XCTAssertThrowsError(try GrantBody.update(f)) { XCTAssertTrue("\($0)".contains("cannot change"), "\($0)") }
        f = GrantFields()
        f.clear = ["owner"]
        XCTAssertThrowsError(try GrantBody.update(f)) { XCTAssertTrue("\($0)".contains("--clear owner"), "\($0)") }
        f = GrantFields()
        f.tpm = 5
        f.clear = ["tpm"]
        XCTAssertThrowsError(try GrantBody.update(f)) { XCTAssertTrue("\($0)".contains("together"), "\($0)") }
    }

    // MARK: keys and revocations

    func testKeyBody() throws {
        XCTAssertEqual(try KeyBody.create(KeyFields(id: "bot", keyClass: "production", team: "acme/payments", grant: "checkout",
                                                    models: "small, large,", expires: "2027-01-31", owner: "ci")).jsonString,
                       #"{"id":"bot","team":"team/acme/payments","grant":"checkout","class":"production","models":["small","large"],"expires":"2027-01-31","owner":"ci"}"#)
        XCTAssertEqual(try KeyBody.create(KeyFields(id: "bot", keyClass: "experimentation", team: "team/acme/web")).jsonString,
                       #"{"id":"bot","team":"team/acme/web","class":"experimentation"}"#)
        XCTAssertThrowsError(try KeyBody.create(KeyFields(id: "bot", keyClass: "production", team: "acme")))
        XCTAssertThrowsError(try KeyBody.create(KeyFields(id: "bot", keyClass: "production", models: " , ")))
        // The gateway's decoder reads it.
        let request = try GovernanceRequests.key(try KeyBody.create(KeyFields(id: "bot", keyClass: "production",
                                                                               team: "acme/payments", models: "a,b"))).get()
        XCTAssertEqual(request.team?.description, "team/acme/payments")
        XCTAssertEqual(request.models, ["a", "b"])
        XCTAssertNil(RevokeBody.make(reason: nil))
        XCTAssertEqual(RevokeBody.make(reason: "left the team")?.jsonString, #"{"reason":"left the team"}"#)
    }

    // MARK: exceptions and burst draws

    func testExceptionRequestSendsTheAPIsKeys() throws {
        let amount = RaiseFields(grant: "recs", raiseClass: "production", amount: "$6", starts: "2026-12-24", ends: "2026-12-31",
                                 reason: "holiday campaign doubles homepage traffic", useCase: "campaign")
        XCTAssertEqual(try RaiseBody.request(amount).jsonString,
                       #"{"grant":"recs","class":"production","amount":"6","starts":"2026-12-24","ends":"2026-12-31","reason":"holiday campaign doubles homepage traffic","use_case":"campaign"}"#)
        let percent = RaiseFields(grant: "recs", percent: 25, ends: "2026-12-31T18:00:00Z", reason: "  re-index after the outage ")
        XCTAssertEqual(try RaiseBody.request(percent).jsonString,
                       #"{"grant":"recs","percent":25,"ends":"2026-12-31T18:00:00Z","reason":"re-index after the outage"}"#)
        XCTAssertEqual(try RaiseBody.draw(RaiseFields(grant: "recs", amount: "3", ends: "2026-12-05", reason: "launch day")).jsonString,
                       #"{"grant":"recs","amount":"3","ends":"2026-12-05","reason":"launch day"}"#)
    }

    func testExceptionBodiesRefuseBeforeSending() {
        func refusal(_ make: () throws -> JSONValue) -> String {
            do { return "sent \(try make().jsonString)" } catch { return "\(error)" }
        }
        let base = RaiseFields(grant: "recs", ends: "2026-12-31", reason: "a campaign")
        XCTAssertEqual(refusal { try RaiseBody.request(base) }, "give the raise as --amount USD or --percent N (of the grant's amount)")
        var both = base
        both.amount = "5"
        both.percent = 10
        XCTAssertEqual(refusal { try RaiseBody.request(both) }, "give --amount or --percent, not both")
        XCTAssertEqual(refusal { try RaiseBody.draw(both) }, "a burst draw is an amount: give --amount USD")
        var bad = base
        bad.amount = "1,000"
        XCTAssertTrue(refusal { try RaiseBody.request(bad) }.hasPrefix("--amount '1,000': expected a plain decimal"))
        bad.amount = "0"
        XCTAssertEqual(refusal { try RaiseBody.request(bad) }, "--amount '0': a raise is more than zero")
        bad.amount = nil
        bad.percent = 0
        XCTAssertEqual(refusal { try RaiseBody.request(bad) }, "--percent 0: a whole percentage from 1 to 1000")
        var silent = base
        silent.amount = "5"
        silent.reason = "   "
        XCTAssertTrue(refusal { try RaiseBody.request(silent) }.hasPrefix("--reason: say why"))
        XCTAssertEqual(DecisionBody.approve(condition: nil).jsonString, "{}")
        XCTAssertEqual(DecisionBody.approve(condition: "campaign pages only").jsonString, #"{"condition":"campaign pages only"}"#)
        XCTAssertEqual(try DecisionBody.deny(reason: "use the burst pool").jsonString, #"{"reason":"use the burst pool"}"#)
        XCTAssertThrowsError(try DecisionBody.deny(reason: " "))
    }

    func testExceptionPaths() throws {
        XCTAssertEqual(try ExceptionQuery.listPath(status: nil), "/admin/exceptions")
        XCTAssertEqual(try ExceptionQuery.listPath(status: "pending, active,"), "/admin/exceptions?status=pending,active")
        XCTAssertThrowsError(try ExceptionQuery.listPath(status: "pending,open")) {
            XCTAssertEqual("\($0)", "--status: 'open' is not a status (pending, approved, active, lapsed, denied, expired)")
        }
        XCTAssertThrowsError(try ExceptionQuery.listPath(status: ","))
        XCTAssertEqual(ExceptionQuery.entryPath("exc-0001", "approve"), "/admin/exceptions/exc-0001/approve")
        XCTAssertEqual(ExceptionQuery.entryPath("a/b"), "/admin/exceptions/a%2Fb")
    }

    /// What the CLI builds, the gateway's registry accepts (and reads as meant).
    func testTheGatewayAcceptsWhatRequestAndDrawBuild() throws {
        let directory = NSTemporaryDirectory() + "cli-exceptions-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now: Int64 = 1_790_000_000  // 2026-09-21T14:13:20Z
        let registry = try GovernanceRegistry(store: SQLiteGovernanceStore(directory: directory), clock: { now })
        XCTAssertEqual(registry.configure(try ConfigLoader.parse(yaml: ExceptionWorkflowTests.yaml, file: "/cfg/t.yaml")), [])
        let request = try registry.requestException(try RaiseBody.request(RaiseFields(
            grant: "recs", raiseClass: "production", percent: 10, starts: "2026-09-24", ends: "2026-09-30",
            reason: "holiday campaign doubles homepage traffic", useCase: "campaign")), by: .master)
        XCTAssertEqual(request.bucket, "production")
        XCTAssertEqual(request.amountNanos, 40_000_000_000)  // 10% of $400
        XCTAssertEqual(UTCCalendar.iso8601(request.startsAt), "2026-09-24T00:00:00Z")
        XCTAssertEqual(UTCCalendar.iso8601(request.endsAt), "2026-10-01T00:00:00Z")  // through the 30th
        XCTAssertEqual(request.useCase, "campaign")
        let draw = try registry.drawBurst(try RaiseBody.draw(RaiseFields(
            grant: "recs", raiseClass: "experimentation", amount: "30", ends: "2026-09-25",
            reason: "launch day of the new carousel widget")), by: .master)
        XCTAssertTrue(draw.immediate)
        XCTAssertEqual(draw.amountNanos, 30_000_000_000)
        XCTAssertEqual(draw.pool, "acme")
    }

    // MARK: the client

    func testEndpointPrecedence() {
        let env = ["TOLLGATE_URL": "http://gw:9000/", "TOLLGATE_CREDENTIAL": "cred", "TOLLGATE_MASTER_KEY": "master"]
        XCTAssertEqual(AdminEndpoint.resolve(url: nil, credential: nil, environment: [:]),
                       AdminEndpoint(baseURL: "http://127.0.0.1:4000", credential: nil))
        XCTAssertEqual(AdminEndpoint.resolve(url: nil, credential: nil, environment: env),
                       AdminEndpoint(baseURL: "http://gw:9000", credential: "cred"))
        XCTAssertEqual(AdminEndpoint.resolve(url: nil, credential: nil, environment: ["TOLLGATE_MASTER_KEY": "master"]).credential, "master")
        XCTAssertEqual(AdminEndpoint.resolve(url: "https://x.example/base/", credential: "flag", environment: env),
                       AdminEndpoint(baseURL: "https://x.example/base", credential: "flag"))
        XCTAssertEqual(AdminEndpoint.resolve(url: "", credential: "", environment: ["TOLLGATE_CREDENTIAL": ""]),
                       AdminEndpoint(baseURL: "http://127.0.0.1:4000", credential: nil))
        XCTAssertEqual(AdminEndpoint(baseURL: "http://x.example/base", credential: nil).url("/admin/grants")?.absoluteString,
                       "http://x.example/base/admin/grants")
        XCTAssertNil(AdminEndpoint(baseURL: "ftp://x", credential: nil).url("/admin/grants"))
        XCTAssertNil(AdminEndpoint(baseURL: "127.0.0.1:4000", credential: nil).url("/admin/grants"))
    }

    func testRequestsCarryTheCredentialAsBearerAndTheBody() throws {
        let seen = RequestLog()
        let client = AdminClient(endpoint: AdminEndpoint(baseURL: "http://gw:4000", credential: "s3cret")) { request in
            seen.append(request)
            return .success((201, Array(#"{"id":"g"}"#.utf8)))
        }
        let answer = try client.json("POST", "/admin/grants", body: .object(JSONObject([("id", .string("g"))])))
        XCTAssertEqual(answer["id"]?.stringValue, "g")
        let request = try XCTUnwrap(seen.requests.first)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.url.absoluteString, "http://gw:4000/admin/grants")
        XCTAssertTrue(request.headers.contains { $0 == ("Authorization", "Bearer s3cret") })
        XCTAssertTrue(request.headers.contains { $0 == ("Content-Type", "application/json") })
        XCTAssertEqual(request.body, Array(#"{"id":"g"}"#.utf8))
        _ = try client.send("DELETE", "/admin/keys/" + AdminClient.pathSegment("a b/c"))
        XCTAssertEqual(seen.requests.last?.url.absoluteString, "http://gw:4000/admin/keys/a%20b%2Fc")
        XCTAssertNil(seen.requests.last?.body)
        XCTAssertFalse(seen.requests.last!.headers.contains { $0.0 == "Content-Type" })
        let anonymous = AdminClient(endpoint: AdminEndpoint(baseURL: "http://gw:4000", credential: nil)) { request in
            seen.append(request)
            return .success((200, Array("{}".utf8)))
        }
        _ = try anonymous.get("/admin/whoami")
        XCTAssertFalse(seen.requests.last!.headers.contains { $0.0 == "Authorization" })
    }

    func testServerErrorsCarryTheMessageAndNeverTheCredential() {
        let body = Array(#"{"error":{"message":"grant 'x' is declared in the config file","type":"permission_error","code":"governance_forbidden"}}"#.utf8)
        let client = AdminClient(endpoint: AdminEndpoint(baseURL: "http://gw:4000", credential: "s3cret")) { _ in .success((403, body)) }
        XCTAssertThrowsError(try client.json("DELETE", "/admin/grants/x")) { error in
            let e = error as? AdminClientError
            XCTAssertEqual(e, .server(status: 403, message: "grant 'x' is declared in the config file", code: "governance_forbidden"))
            XCTAssertEqual(e?.exitCode, 1)
            XCTAssertEqual("\(error)", "grant 'x' is declared in the config file (HTTP 403, governance_forbidden)")
            XCTAssertFalse("\(error)".contains("s3cret"))
        }
        // A body that is not the admin API's error: its start.
        XCTAssertEqual(AdminClientError.fromResponse(status: 502, body: Array("Bad Gateway\n".utf8), path: "/admin/grants", sentCredential: true),
                       .server(status: 502, message: "Bad Gateway", code: nil))
        // Hints: no credential given, no budget plugin.
        let unauthorized = AdminClientError.fromResponse(
            status: 401, body: Array(#"{"error":{"message":"Admin endpoints need the master key.","code":"invalid_master_key"}}"#.utf8),
            path: "/admin/grants", sentCredential: false)
        XCTAssertTrue("\(unauthorized)".contains("no credential given"), "\(unauthorized)")
        let noPlugin = AdminClientError.fromResponse(
            status: 404, body: Array(#"{"error":{"message":"No admin route for GET /admin/allocation.","code":"not_found"}}"#.utf8),
            path: "/admin/allocation", sentCredential: true)
        XCTAssertTrue("\(noPlugin)".contains("budget plugin"), "\(noPlugin)")
    }

    func testUnreachableGatewayIsExitCodeTwoAndNamesTheURL() {
        let client = AdminClient(endpoint: AdminEndpoint(baseURL: "http://127.0.0.1:1", credential: "s3cret"), timeout: 5)
        XCTAssertThrowsError(try client.get("/admin/whoami")) { error in
            guard case .connection(let url, _)? = error as? AdminClientError else { return XCTFail("\(error)") }
            XCTAssertEqual(url, "http://127.0.0.1:1")
            XCTAssertEqual((error as? AdminClientError)?.exitCode, 2)
            XCTAssertTrue("\(error)".hasPrefix("cannot reach the gateway at http://127.0.0.1:1"), "\(error)")
            XCTAssertFalse("\(error)".contains("s3cret"))
        }
        let bad = AdminClient(endpoint: AdminEndpoint(baseURL: "gateway", credential: nil)) { _ in .success((200, [])) }
        XCTAssertThrowsError(try bad.get("/admin/whoami")) { XCTAssertEqual(($0 as? AdminClientError)?.exitCode, 2) }
    }
}

/// Requests a fake transport saw (it may be called from any thread).
private final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [AdminRequest] = []
    func append(_ r: AdminRequest) { lock.lock(); seen.append(r); lock.unlock() }
    var requests: [AdminRequest] { lock.lock(); defer { lock.unlock() }; return seen }
}
