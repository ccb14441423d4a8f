import Foundation
import XCTest

/// Grants against the real binary: a team admin delegates (a feature grant
/// and a key inside it) without the master key, cannot exceed its grant or
/// leave its team; what it minted survives a restart and a reload;
/// revocation takes effect on the next request; a thousand concurrent
/// requests on the delegated grant never pass its limit, and the allocation
/// table, the counters and the ledger agree to the nano-dollar.
final class GrantEndToEndTests: MockProviderTestCase {
    static let master = "grant-test-master"
    static let teamAdmin = "tg-payments-admin-secret"
    static let viewer = "tg-finance-viewer-secret"

    static var governance: String {
        """
        grants:
          - {id: acme, scope: org/acme, owner: cfo@example.com, amount: "1000", period: monthly, renews: 2099-12-31}
          - id: payments
            scope: team/acme/payments
            owner: lead@example.com
            amount: {production: "50", experimentation: "1"}
            period: monthly
            renews: 2099-12-31
        credentials:
          - {id: payments-admin, role: team_admin, scope: team/acme/payments, owner: lead@example.com, sha256: "\(TestConfig.sha256(teamAdmin))"}
          - {id: finance, role: viewer, scope: org/acme, owner: fp@example.com, sha256: "\(TestConfig.sha256(viewer))"}
        plugins:
          - name: tagging
          - name: budget
            fail: closed
        """
    }

    func startGateway(storage: String) throws -> GatewayProcess {
        try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: Self.governance),
                           directory: TestPaths.temporaryDirectory("grant-gw"), environment: ["TOLLGATE_TEST_MASTER": Self.master])
    }

    func chat(_ port: Int, key: String, feature: String? = nil, maxTokens: Int = 16) throws -> HTTPResponse {
        try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: key,
                          json: #"{"model":"small","max_tokens":\#(maxTokens),"messages":[{"role":"user","content":"hi"}]}"#,
                          headers: feature.map { [("x-tollgate-feature", $0)] } ?? [])
    }

    /// Mints the feature grant and a key inside it as the team admin.
    func delegate(_ port: Int, amount: String, period: String = "daily") throws -> String {
        let grant = try admin(port, "POST", "/admin/grants", as: Self.teamAdmin, """
            {"id": "checkout", "scope": "feature/acme/payments/checkout", "owner": "checkout-pm@example.com",
             "class": "production", "amount": "\(amount)", "period": "\(period)", "at_cap": "refuse", "renews": "2099-12-31",
             "rationale": {"text": "checkout assistant launch"}}
            """)
        XCTAssertEqual(grant.status, 201, grant.text)
        XCTAssertEqual(try grant.json()["created_by"] as? String, "credential:payments-admin")
        let key = try admin(port, "POST", "/admin/keys", as: Self.teamAdmin,
                            #"{"id": "checkout-svc", "grant": "checkout", "class": "production"}"#)
        XCTAssertEqual(key.status, 201, key.text)
        return try XCTUnwrap(try key.json()["key"] as? String)
    }

    func testATeamAdminDelegatesWithinItsGrantAndWhatItMintsSurvivesRestartAndReload() throws {
        let storage = TestPaths.temporaryDirectory("grant-data")
        var gw = try startGateway(storage: storage)
        let secret = try delegate(gw.port, amount: "1")
        XCTAssertEqual(try chat(gw.port, key: secret).status, 200)

        // Not past what the team's grant has left to carve ($50 of production,
        // $1 x 31 days already carved), not outside its team, not a team grant,
        // not as a viewer.
        let tooBig = try admin(gw.port, "POST", "/admin/grants", as: Self.teamAdmin,
                               #"{"id": "big", "scope": "feature/acme/payments/big", "owner": "x", "class": "production", "amount": "1", "period": "daily"}"#)
        XCTAssertEqual(tooBig.status, 409, tooBig.text)
        XCTAssertTrue(tooBig.text.contains("the children of grant 'payments' add up to"), tooBig.text)
        let otherTeam = try admin(gw.port, "POST", "/admin/grants", as: Self.teamAdmin,
                                  #"{"id": "x", "scope": "feature/acme/search/x", "owner": "x", "amount": "1", "period": "daily"}"#)
        XCTAssertEqual(otherTeam.status, 403, otherTeam.text)
        let teamLevel = try admin(gw.port, "POST", "/admin/grants", as: Self.teamAdmin,
                                  #"{"id": "y", "scope": "team/acme/payments", "owner": "x", "amount": "1", "period": "daily"}"#)
        XCTAssertEqual(teamLevel.status, 403, teamLevel.text)
        XCTAssertEqual(try admin(gw.port, "POST", "/admin/keys", as: Self.viewer, #"{"id": "v", "class": "production"}"#).status, 403)
        let badField = try admin(gw.port, "POST", "/admin/grants", as: Self.teamAdmin,
                                 #"{"id": "z", "scope": "feature/acme/payments/z", "owner": "x", "amount": "1", "perid": "daily"}"#)
        XCTAssertEqual(badField.status, 400)
        XCTAssertTrue(badField.text.contains("did you mean 'period'"), badField.text)
        // The core's own admin routes stay the master key's.
        XCTAssertEqual(try admin(gw.port, "GET", "/admin/counters", as: Self.teamAdmin).status, 403)

        // A restart: the minted grant and key are still there.
        gw.stop()
        gw = try startGateway(storage: storage)
        defer { gw.stop() }
        XCTAssertEqual(try chat(gw.port, key: secret).status, 200, "a minted key survives a restart")
        let grants = try admin(gw.port, "GET", "/admin/grants", as: Self.viewer).json()["grants"] as? [[String: Any]] ?? []
        let checkout = try XCTUnwrap(grants.first { $0["id"] as? String == "checkout" })
        XCTAssertEqual(checkout["source"] as? String, "minted")
        XCTAssertEqual(checkout["parent"] as? String, "payments")
        // A reload: still there.
        XCTAssertEqual(try admin(gw.port, "POST", "/admin/reload", as: Self.master).status, 200)
        XCTAssertEqual(try chat(gw.port, key: secret).status, 200, "a minted key survives a reload")
        let allocation = try admin(gw.port, "GET", "/admin/allocation", as: Self.teamAdmin).json()
        let ids = (allocation["grants"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertEqual(Set(ids), ["payments", "checkout"], "a team admin sees its team's grants")

        // Revocation takes effect on the next request.
        XCTAssertEqual(try admin(gw.port, "DELETE", "/admin/keys/checkout-svc", as: Self.teamAdmin).status, 200)
        let revokedKey = try chat(gw.port, key: secret)
        XCTAssertEqual(revokedKey.status, 401)
        XCTAssertTrue(revokedKey.text.contains("revoked_api_key"), revokedKey.text)
        XCTAssertEqual(try chat(gw.port, key: TestConfig.prodKey, feature: "checkout").status, 200)
        XCTAssertEqual(try admin(gw.port, "DELETE", "/admin/grants/checkout", as: Self.teamAdmin).status, 200)
        let revokedGrant = try chat(gw.port, key: TestConfig.prodKey, feature: "checkout")
        XCTAssertEqual(revokedGrant.status, 403, revokedGrant.text)
        XCTAssertTrue(revokedGrant.text.contains("grant_revoked"), revokedGrant.text)
        XCTAssertEqual(try chat(gw.port, key: TestConfig.prodKey, feature: "search").status, 200, "the rest of the team is not affected")
    }

    func testAThousandConcurrentRequestsOnADelegatedGrantSettleWithinItsLimitAndEveryFigureAgrees() throws {
        let storage = TestPaths.temporaryDirectory("grant-load")
        let gw = try startGateway(storage: storage)
        // $0.01 a day: a fraction of the load fits.
        let secret = try delegate(gw.port, amount: "0.01")
        let outcomes = try BudgetLoad.fire(port: gw.port, count: 1000, key: secret)
        var served: Int64 = 0
        var spent: Int64 = 0
        for outcome in outcomes {
            switch outcome.status {
            case 200:
                served += 1
                spent += try XCTUnwrap(outcome.cost, "request \(outcome.index) completed without usage")
            case 429:
                XCTAssertEqual(outcome.errorType, "budget_exceeded")
                XCTAssertTrue(outcome.errorMessage?.contains("'checkout'") == true, outcome.errorMessage ?? "")
            default:
                XCTFail("request \(outcome.index): \(outcome.status) \(outcome.errorMessage ?? "")")
            }
        }
        XCTAssertGreaterThan(served, 0)
        XCTAssertLessThan(served, 900, "the grant must fit only a fraction of the load for the test to mean anything")
        XCTAssertLessThanOrEqual(spent, 10_000_000, "spent never passes the grant's limit (at_cap: refuse)")

        // The counters, the allocation table and the ledger all say the same.
        let counters = try admin(gw.port, "GET", "/admin/counters", as: Self.master).json()["counters"] as? [[String: Any]] ?? []
        func counter(_ name: String) -> (spent: Int64, reserved: Int64)? {
            counters.first { $0["name"] as? String == name }.map {
                (($0["spent"] as? NSNumber)?.int64Value ?? -1, ($0["reserved"] as? NSNumber)?.int64Value ?? -1)
            }
        }
        let feature = try XCTUnwrap(counter("grant:checkout:production"))
        XCTAssertEqual(feature.spent, spent, "the grant's counter holds exactly what the responses cost")
        XCTAssertEqual(feature.reserved, 0, "nothing stays in flight")
        XCTAssertEqual(counter("grant:payments:production")?.spent, spent, "the parent is charged the same")
        XCTAssertEqual(counter("grant:acme:all")?.spent, spent, "and the org")

        let allocation = try admin(gw.port, "GET", "/admin/allocation", as: Self.viewer).json()
        let rows = allocation["grants"] as? [[String: Any]] ?? []
        let checkout = try XCTUnwrap(rows.first { $0["id"] as? String == "checkout" })
        let bucket = try XCTUnwrap((checkout["buckets"] as? [[String: Any]])?.first)
        XCTAssertEqual((bucket["spent_nanos"] as? NSNumber)?.int64Value, spent)
        XCTAssertEqual((bucket["amount_nanos"] as? NSNumber)?.int64Value, 10_000_000)
        XCTAssertEqual(checkout["owner"] as? String, "checkout-pm@example.com")

        gw.stop()  // flushes the ledger
        let groups = try LedgerReader.waitForRows(storage + "/ledger.sqlite", count: 1, by: "grant")
        let ledgerSpent = groups.first { $0["grant"] as? String == "checkout" }.flatMap { LedgerReader.int($0["cost_nanos"]) }
        XCTAssertEqual(ledgerSpent, spent, "the ledger's rows for the grant add up to its spent")
        let fromRows = try LedgerReader.report(storage + "/ledger.sqlite", by: "grant,grant_owner,team", extra: ["--no-rollup"])
        let rollup = try LedgerReader.report(storage + "/ledger.sqlite", by: "grant,grant_owner,team")
        XCTAssertEqual(NSDictionary(dictionary: rollup.object), NSDictionary(dictionary: fromRows.object), "the daily rollup answers as the rows do")
    }

    func testClassesAndLevelsBindInTurnAndTheRefusalNamesTheGrantAndItsOwner() throws {
        let storage = TestPaths.temporaryDirectory("grant-classes")
        let gw = try startGateway(storage: storage)
        defer { gw.stop() }
        // The experimentation share of the team is $1 a month: one request
        // with a huge max_tokens cannot fit it, while production can.
        let lab = try chat(gw.port, key: TestConfig.labKey, maxTokens: 4096)
        XCTAssertEqual(lab.status, 200, lab.text)
        // small: 4096 x $1.60/Mtok = $0.0066 per request at most: fits $1.
        let setup = try admin(gw.port, "POST", "/admin/grants", as: Self.teamAdmin, """
            {"id": "lab-exp", "scope": "experiment/acme/payments/ab1", "owner": "scientist@example.com",
             "class": "experimentation", "amount": "0.001", "period": "daily"}
            """)
        XCTAssertEqual(setup.status, 201, setup.text)
        let refused = try HTTP.postJSON(port: gw.port, path: "/v1/chat/completions", key: TestConfig.labKey,
                                        json: #"{"model":"small","max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}"#,
                                        headers: [("x-tollgate-experiment", "ab1")])
        XCTAssertEqual(refused.status, 429, refused.text)
        XCTAssertEqual(refused.header("x-tollgate-grant"), "lab-exp")
        XCTAssertTrue(refused.text.contains("scientist@example.com"), "the refusal names the owner: \(refused.text)")
        XCTAssertTrue(refused.text.contains("tollgate exception request --grant lab-exp"), refused.text)
        // Production traffic with the same experiment tag is not on that grant.
        XCTAssertEqual(try HTTP.postJSON(port: gw.port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                         json: #"{"model":"small","max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}"#,
                                         headers: [("x-tollgate-experiment", "ab1")]).status, 200)
    }
}
