import Foundation
import XCTest

/// The exception workflow against the real binary: a request refused by its
/// grant stays refused while an exception is pending or denied, passes once
/// an approver (not the requester) approved one, and is recorded under it —
/// in the ledger and as the exception's spent — to the nano-dollar; a burst
/// draw within the borrowing limit works at once; the log survives a restart
/// with its hash chain intact.
final class ExceptionEndToEndTests: MockProviderTestCase {
    static let master = "exception-test-master"
    static let teamAdmin = "tg-payments-admin-secret"
    static let approver = "tg-chair-secret"

    static var governance: String {
        """
        grants:
          - {id: acme, scope: org/acme, owner: cfo@example.com, amount: "1000", period: monthly}
          - id: payments
            scope: team/acme/payments
            owner: lead@example.com
            class: both
            amount: {production: "0.001", experimentation: "0.001"}
            period: monthly
            at_cap: refuse
        exceptions: {max_raise_percent: 1000, min_reason_length: 10}
        burst_pools:
          - {org: acme, amount: "0.02", borrow_limits: {payments: "0.01"}}
        credentials:
          - {id: payments-admin, role: team_admin, scope: team/acme/payments, owner: lead@example.com, sha256: "\(TestConfig.sha256(teamAdmin))"}
          - {id: chair, role: approver, scope: org/acme, owner: chair@example.com, sha256: "\(TestConfig.sha256(approver))"}
        plugins:
          - name: tagging
          - name: budget
            fail: closed
        """
    }

    func startGateway(storage: String) throws -> GatewayProcess {
        try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: Self.governance),
                           directory: TestPaths.temporaryDirectory("exception-gw"), environment: ["TOLLGATE_TEST_MASTER": Self.master])
    }

    /// Reserves up to ~$0.0017 (1,000 output tokens of `small`): more than
    /// the team's $0.001 of production.
    func bigRequest(_ port: Int, key: String = TestConfig.prodKey) throws -> HTTPResponse {
        try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: key,
                          json: #"{"model":"small","max_tokens":1000,"messages":[{"role":"user","content":"hi"}]}"#)
    }

    static var tomorrow: String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date().addingTimeInterval(86_400))
    }

    func testAnApprovedExceptionAdmitsWhatWasRefusedAndTheSpendUnderItIsRecorded() throws {
        let storage = TestPaths.temporaryDirectory("exception-data")
        var gw = try startGateway(storage: storage)
        XCTAssertEqual(try bigRequest(gw.port).status, 429, "the grant alone cannot take it")

        let filed = try admin(gw.port, "POST", "/admin/exceptions", as: Self.teamAdmin, """
            {"grant": "payments", "class": "production", "amount": "0.01", "ends": "\(Self.tomorrow)",
             "reason": "month-end reconciliation batch", "use_case": "reconciliation"}
            """)
        XCTAssertEqual(filed.status, 201, filed.text)
        let id = try XCTUnwrap(try filed.json()["id"] as? String)
        XCTAssertEqual(try filed.json()["status"] as? String, "pending")
        XCTAssertEqual(try bigRequest(gw.port).status, 429, "a pending exception admits nothing")

        // No reason: a 400 naming the field. The requester cannot approve.
        let noReason = try admin(gw.port, "POST", "/admin/exceptions", as: Self.teamAdmin,
                                 #"{"grant": "payments", "class": "production", "amount": "0.001", "ends": "\#(Self.tomorrow)"}"#)
        XCTAssertEqual(noReason.status, 400)
        XCTAssertTrue(noReason.text.contains("reason:"), noReason.text)
        let selfApproval = try admin(gw.port, "POST", "/admin/exceptions/\(id)/approve", as: Self.teamAdmin, "{}")
        XCTAssertEqual(selfApproval.status, 403, selfApproval.text)

        // A second request, denied: still refused.
        let other = try admin(gw.port, "POST", "/admin/exceptions", as: Self.teamAdmin, """
            {"grant": "payments", "class": "experimentation", "amount": "0.01", "ends": "\(Self.tomorrow)", "reason": "a hackathon sandbox"}
            """)
        let otherID = try XCTUnwrap(try other.json()["id"] as? String)
        XCTAssertEqual(try admin(gw.port, "POST", "/admin/exceptions/\(otherID)/deny", as: Self.approver,
                                 #"{"reason": "use the sandbox org"}"#).status, 200)
        XCTAssertEqual(try bigRequest(gw.port, key: TestConfig.labKey).status, 429, "a denied exception admits nothing")

        let approved = try admin(gw.port, "POST", "/admin/exceptions/\(id)/approve", as: Self.approver,
                                 #"{"condition": "batch jobs only"}"#)
        XCTAssertEqual(approved.status, 200, approved.text)
        XCTAssertEqual(try approved.json()["status"] as? String, "active")
        let admitted = try bigRequest(gw.port)
        XCTAssertEqual(admitted.status, 200, admitted.text)
        let usage = try XCTUnwrap(try admitted.json()["usage"] as? [String: Any])
        let cost = ((usage["prompt_tokens"] as? NSNumber)?.int64Value ?? 0) * 400
            + ((usage["completion_tokens"] as? NSNumber)?.int64Value ?? 0) * 1600

        let log = try admin(gw.port, "GET", "/admin/exceptions", as: Self.approver).json()["exceptions"] as? [[String: Any]] ?? []
        let entry = try XCTUnwrap(log.first { $0["id"] as? String == id })
        XCTAssertEqual((entry["spent_under_nanos"] as? NSNumber)?.int64Value, cost, "the exception shows what was spent under it")
        XCTAssertEqual(entry["decided_by"] as? String, "credential:chair")
        XCTAssertEqual(entry["condition"] as? String, "batch jobs only")
        XCTAssertEqual(log.first { $0["id"] as? String == otherID }?["status"] as? String, "denied")

        // A burst draw within the team's limit: granted at once.
        let draw = try admin(gw.port, "POST", "/admin/burst/draws", as: Self.teamAdmin, """
            {"grant": "payments", "class": "production", "amount": "0.005", "ends": "\(Self.tomorrow)", "reason": "launch of the new checkout"}
            """)
        XCTAssertEqual(draw.status, 201, draw.text)
        let tooMuch = try admin(gw.port, "POST", "/admin/burst/draws", as: Self.teamAdmin, """
            {"grant": "payments", "class": "production", "amount": "0.008", "ends": "\(Self.tomorrow)", "reason": "second wave of the launch"}
            """)
        XCTAssertEqual(tooMuch.status, 202, "above the borrowing limit: filed for an approver. \(tooMuch.text)")

        // The ledger says the same, and the log survives a restart intact.
        gw.stop()
        let groups = try LedgerReader.waitForRows(storage + "/ledger.sqlite", count: 1, by: "exception")
        XCTAssertEqual(groups.first { $0["exception"] as? String == id }.flatMap { LedgerReader.int($0["cost_nanos"]) }, cost)
        gw = try startGateway(storage: storage)
        defer { gw.stop() }
        let verify = try admin(gw.port, "GET", "/admin/exceptions/verify", as: Self.master).json()
        XCTAssertEqual(verify["intact"] as? Bool, true, "\(verify)")
        XCTAssertEqual((verify["events"] as? NSNumber)?.intValue, 6)
        XCTAssertEqual(try bigRequest(gw.port).status, 200, "the approved exception still holds after a restart")
    }
}
