import Foundation
import XCTest

/// An approved exception against the real binary: a feature grant is spent
/// to its limit, a team admin asks for more, the master key approves, and
/// the budget plugin admits requests under the raise. What was spent under
/// it agrees everywhere: the grant's counter, GET /admin/exceptions
/// (spent_under, from the raise's counter the plugin adds to), and the
/// ledger rows tagged with `exception_ids`.
final class GrantRaiseEndToEndTests: MockProviderTestCase {
    static let master = "raise-test-master"
    static let teamAdmin = "tg-payments-admin-secret"

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
        plugins:
          - name: tagging
          - name: budget
            fail: closed
        """
    }

    func chat(_ port: Int, key: String) throws -> HTTPResponse {
        try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: key,
                          json: #"{"model":"small","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#)
    }

    /// Requests until one is refused; returns how many were served and the refusal.
    func spendUntilRefused(_ port: Int, key: String) throws -> (served: Int, refusal: HTTPResponse) {
        for served in 0..<2_000 {
            let response = try chat(port, key: key)
            if response.status == 429 { return (served, response) }
            XCTAssertEqual(response.status, 200, response.text)
        }
        throw TestFailure("never refused")
    }

    func counterSpent(_ port: Int, _ name: String) throws -> Int64 {
        let counters = try admin(port, "GET", "/admin/counters", as: Self.master).json()["counters"] as? [[String: Any]] ?? []
        let counter = try XCTUnwrap(counters.first { $0["name"] as? String == name }, "no counter \(name)")
        return try XCTUnwrap((counter["spent"] as? NSNumber)?.int64Value)
    }

    func testRequestsAdmittedUnderAnApprovedExceptionAreCountedAsSpentUnderIt() throws {
        let storage = TestPaths.temporaryDirectory("raise-data")
        let gw = try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: Self.governance),
                                    directory: TestPaths.temporaryDirectory("raise-gw"), environment: ["TOLLGATE_TEST_MASTER": Self.master])
        var stopped = false
        defer { if !stopped { gw.stop() } }
        let grant = try admin(gw.port, "POST", "/admin/grants", as: Self.teamAdmin, """
            {"id": "checkout", "scope": "feature/acme/payments/checkout", "owner": "checkout-pm@example.com",
             "class": "production", "amount": "0.001", "period": "daily", "at_cap": "refuse", "renews": "2099-12-31"}
            """)
        XCTAssertEqual(grant.status, 201, grant.text)
        let key = try admin(gw.port, "POST", "/admin/keys", as: Self.teamAdmin,
                            #"{"id": "checkout-svc", "grant": "checkout", "class": "production"}"#)
        XCTAssertEqual(key.status, 201, key.text)
        let secret = try XCTUnwrap(try key.json()["key"] as? String)

        // The grant alone.
        let (servedBefore, first) = try spendUntilRefused(gw.port, key: secret)
        XCTAssertGreaterThan(servedBefore, 0)
        XCTAssertFalse(first.text.contains("limit includes"), first.text)
        let spentBefore = try counterSpent(gw.port, "grant:checkout:production")

        // Asked by the team admin, approved by another (the master key).
        let ends = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 86_400))
        let asked = try admin(gw.port, "POST", "/admin/exceptions", as: Self.teamAdmin, """
            {"grant": "checkout", "amount": "0.001", "ends": "\(ends)", "reason": "checkout launch doubles traffic this week"}
            """)
        XCTAssertEqual(asked.status, 201, asked.text)
        let id = try XCTUnwrap(try asked.json()["id"] as? String)
        let approved = try admin(gw.port, "POST", "/admin/exceptions/\(id)/approve", as: Self.master, "{}")
        XCTAssertEqual(approved.status, 200, approved.text)

        // Under the raise: more is served, then refused at the raised limit.
        let (servedUnder, second) = try spendUntilRefused(gw.port, key: secret)
        XCTAssertGreaterThan(servedUnder, 0)
        XCTAssertTrue(second.text.contains("limit includes +$0.001 from \(id) until "), second.text)
        let spentAfter = try counterSpent(gw.port, "grant:checkout:production")
        XCTAssertGreaterThan(spentAfter, spentBefore)
        XCTAssertLessThanOrEqual(spentAfter, 2_000_000, "never past amount + raise")

        // Every request after the grant was full needed the raise: what it
        // admitted is exactly what the grant's counter grew by.
        let shown = try admin(gw.port, "GET", "/admin/exceptions", as: Self.master).json()["exceptions"] as? [[String: Any]] ?? []
        let exception = try XCTUnwrap(shown.first { $0["id"] as? String == id })
        XCTAssertEqual(exception["status"] as? String, "active")
        XCTAssertEqual((exception["spent_under_nanos"] as? NSNumber)?.int64Value, spentAfter - spentBefore)

        let allocation = try admin(gw.port, "GET", "/admin/allocation", as: Self.master).json()
        let checkout = try XCTUnwrap((allocation["grants"] as? [[String: Any]])?.first { $0["id"] as? String == "checkout" })
        let bucket = try XCTUnwrap((checkout["buckets"] as? [[String: Any]])?.first)
        XCTAssertEqual((bucket["raised_nanos"] as? NSNumber)?.int64Value, 1_000_000)
        XCTAssertEqual((bucket["effective_nanos"] as? NSNumber)?.int64Value, 2_000_000)
        XCTAssertEqual((bucket["raises"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [id])

        // The ledger: the requests tagged with the raise, and their cost.
        gw.stop()
        stopped = true
        _ = try LedgerReader.waitForRows(storage + "/ledger.sqlite", count: servedBefore + servedUnder, by: "outcome")
        let groups = try LedgerReader.report(storage + "/ledger.sqlite", by: "exception").groups()
        let tagged = try XCTUnwrap(groups.first { $0["exception"] as? String == id }, "\(groups)")
        XCTAssertEqual(LedgerReader.int(tagged["requests"]), Int64(servedUnder))
        XCTAssertEqual(LedgerReader.int(tagged["cost_nanos"]), spentAfter - spentBefore)
    }
}
