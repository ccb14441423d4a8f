import Foundation
import XCTest

/// `tollgate grant`, `key`, `whoami` and `allocation` against the real
/// gateway (with the budget plugin): a team admin mints a grant and a key,
/// the key proxies, the revoked key gets 401; the allocation table in
/// every format.
final class GrantCLIEndToEndTests: XCTestCase {
    static let master = "tg-test-master-cli"
    static let adminSecret = "tg-test-payments-admin"
    static let viewerSecret = "tg-test-acme-viewer"

    static var mock: MockProviderProcess!
    static var gateway: GatewayProcess!
    var url: String { "http://127.0.0.1:\(Self.gateway.port)" }

    override class func setUp() {
        super.setUp()
        do {
            mock = try MockProviderProcess()
            let dir = TestPaths.temporaryDirectory("grant-cli")
            let governance = """
                grants:
                  - {id: acme, scope: org/acme, owner: cfo@example.com, amount: "1000", period: monthly, tpm: 100000}
                  - id: payments
                    scope: team/acme/payments
                    parent: acme
                    owner: lead@example.com
                    amount: "500"
                    period: monthly
                    rationale: {text: "Checkout and refunds", forecast: "$450/mo"}
                credentials:
                  - {id: payments-admin, role: team_admin, scope: team/acme/payments, owner: lead@example.com,
                     sha256: "\(TestConfig.sha256(adminSecret))"}
                  - {id: acme-viewer, role: viewer, scope: org/acme, owner: finance@example.com,
                     sha256: "\(TestConfig.sha256(viewerSecret))"}
                capacity:
                  pools:
                    - {provider: openai, tpm: 400000, committed: "800", period: monthly}
                plugins:
                  - name: budget
                    fail: closed
                """
            gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: mock.port, storage: dir + "/data", plugins: governance),
                                         directory: dir, environment: ["TOLLGATE_TEST_MASTER": master])
        } catch {
            XCTFail("could not start the gateway: \(error)")
        }
    }

    override class func tearDown() {
        gateway?.stop()
        mock?.stop()
        super.tearDown()
    }

    struct Run {
        var status: Int32
        var stdout: [String]
        var stderr: String
        var text: String { stdout.joined(separator: "\n") }
    }

    /// Runs `tollgate ARGS` with the given credential in TOLLGATE_CREDENTIAL
    /// (none from the test's own environment leaks in).
    func tollgate(_ arguments: [String], credential: String?, url: String? = nil) throws -> Run {
        let environment = ["TOLLGATE_URL": url ?? self.url, "TOLLGATE_CREDENTIAL": credential ?? "", "TOLLGATE_MASTER_KEY": ""]
        let process = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: arguments, environment: environment)
        try process.start()
        let status = try process.waitForExit(timeout: 60)
        let run = Run(status: status, stdout: process.stdout, stderr: process.stderr)
        for secret in [Self.master, Self.adminSecret, Self.viewerSecret] {
            XCTAssertFalse(run.text.contains(secret) || run.stderr.contains(secret), "\(arguments) printed a credential")
        }
        return run
    }

    func chat(key: String) throws -> HTTPResponse {
        try HTTP.postJSON(port: Self.gateway.port, path: "/v1/chat/completions", key: key,
                          json: #"{"model":"small","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#)
    }

    func testATeamAdminMintsAGrantAndAKeyThatWorksUntilRevoked() throws {
        let whoami = try tollgate(["whoami"], credential: Self.adminSecret)
        XCTAssertEqual(whoami.status, 0, whoami.stderr)
        XCTAssertTrue(whoami.text.contains("team_admin"), whoami.text)
        XCTAssertTrue(whoami.text.contains("team/acme/payments"), whoami.text)

        // The credential may also come as --credential.
        let created = try tollgate(["grant", "create", "--id", "payments-checkout", "--scope", "feature/acme/payments/checkout",
                                    "--parent", "payments", "--owner", "dev@example.com", "--amount", "100",
                                    "--rationale", "Checkout launch", "--tpm", "5000", "--credential", Self.adminSecret],
                                   credential: nil)
        XCTAssertEqual(created.status, 0, created.stderr)
        XCTAssertTrue(created.text.contains("feature/acme/payments/checkout"), created.text)
        XCTAssertTrue(created.text.contains("$100.00 monthly"), created.text)
        XCTAssertTrue(created.text.contains("by credential:payments-admin"), created.text)

        let updated = try tollgate(["grant", "update", "payments-checkout", "--forecast", "$90/mo", "--format", "json"],
                                   credential: Self.adminSecret)
        XCTAssertEqual(updated.status, 0, updated.stderr)
        let grant = try JSONSerialization.jsonObject(with: Data(updated.text.utf8)) as? [String: Any]
        let rationale = grant?["rationale"] as? [String: Any]
        XCTAssertEqual(rationale?["text"] as? String, "Checkout launch", "the rationale's other parts are kept")
        XCTAssertEqual(rationale?["forecast"] as? String, "$90/mo")

        let key = try tollgate(["key", "create", "--id", "checkout-bot", "--grant", "payments-checkout", "--class", "production",
                                "--models", "small,claude-small"], credential: Self.adminSecret)
        XCTAssertEqual(key.status, 0, key.stderr)
        XCTAssertEqual(key.stdout.count, 1, "the secret alone on stdout: \(key.stdout)")
        let secret = try XCTUnwrap(key.stdout.first)
        XCTAssertTrue(secret.hasPrefix("tg-") && !secret.contains(" "), secret)
        XCTAssertTrue(key.stderr.contains("Key 'checkout-bot' minted (production, acme/payments, grant payments-checkout"), key.stderr)
        XCTAssertTrue(key.stderr.contains("shown once"), key.stderr)

        let allowed = try chat(key: secret)
        XCTAssertEqual(allowed.status, 200, allowed.text)

        let keys = try tollgate(["key", "list"], credential: Self.adminSecret)
        XCTAssertEqual(keys.status, 0, keys.stderr)
        XCTAssertTrue(keys.stdout.contains { $0.hasPrefix("checkout-bot ") && $0.hasSuffix("active") }, keys.text)

        let revoked = try tollgate(["key", "revoke", "checkout-bot", "--reason", "end-to-end test"], credential: Self.adminSecret)
        XCTAssertEqual(revoked.status, 0, revoked.stderr)
        XCTAssertTrue(revoked.text.hasPrefix("Key 'checkout-bot' revoked (revoked at "), revoked.text)

        let refused = try chat(key: secret)
        XCTAssertEqual(refused.status, 401, refused.text)
        XCTAssertTrue(refused.text.contains("revoked"), refused.text)

        let list = try tollgate(["grant", "list"], credential: Self.adminSecret)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains { $0.hasPrefix("payments ") }, list.text)
        XCTAssertTrue(list.stdout.contains { $0.hasPrefix("  payments-checkout ") && $0.contains("5000") }, list.text)
        let listJSON = try tollgate(["grant", "list", "--format", "json"], credential: Self.viewerSecret)
        XCTAssertEqual(listJSON.status, 0, listJSON.stderr)
        let table = try JSONSerialization.jsonObject(with: Data(listJSON.text.utf8)) as? [String: Any]
        let ids = (table?["grants"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        XCTAssertEqual(ids.map(Set.init), ["acme", "payments", "payments-checkout"])

        let shown = try tollgate(["grant", "show", "payments-checkout"], credential: Self.viewerSecret)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("forecast          $90/mo"), shown.text)

        let gone = try tollgate(["grant", "revoke", "payments-checkout", "--reason", "done"], credential: Self.adminSecret)
        XCTAssertEqual(gone.status, 0, gone.stderr)
        XCTAssertTrue(gone.text.hasPrefix("Grant 'payments-checkout' revoked by credential:payments-admin at "), gone.text)
    }

    func testRefusalsPrintTheGatewaysMessageAndExitOne() throws {
        // A team admin cannot mint a team grant: the committee's, in the file.
        let teamGrant = try tollgate(["grant", "create", "--id", "payments-extra", "--scope", "team/acme/payments",
                                      "--owner", "lead@example.com", "--amount", "10"], credential: Self.adminSecret)
        XCTAssertEqual(teamGrant.status, 1)
        XCTAssertTrue(teamGrant.stderr.contains("a team admin mints grants below its team"), teamGrant.stderr)
        XCTAssertTrue(teamGrant.stderr.contains("HTTP 403"), teamGrant.stderr)
        XCTAssertTrue(teamGrant.stdout.isEmpty)

        // A viewer reads only.
        let viewer = try tollgate(["key", "create", "--id", "nope", "--team", "acme/payments", "--class", "production"],
                                  credential: Self.viewerSecret)
        XCTAssertEqual(viewer.status, 1)
        XCTAssertTrue(viewer.stderr.contains("is a viewer"), viewer.stderr)
        XCTAssertTrue(viewer.stdout.isEmpty, "no secret line on a refusal")

        let unknown = try tollgate(["grant", "show", "no-such-grant"], credential: Self.adminSecret)
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("No grant 'no-such-grant'"), unknown.stderr)

        let wrongKey = try tollgate(["whoami"], credential: "tg-not-a-credential")
        XCTAssertEqual(wrongKey.status, 1)
        XCTAssertTrue(wrongKey.stderr.contains("HTTP 401"), wrongKey.stderr)
        XCTAssertFalse(wrongKey.stderr.contains("tg-not-a-credential"))

        // Options checked before anything is sent: a usage error.
        let badAmount = try tollgate(["grant", "create", "--id", "x", "--scope", "org/acme", "--owner", "o", "--amount", "1e3"],
                                     credential: Self.master)
        XCTAssertEqual(badAmount.status, 64)
        XCTAssertTrue(badAmount.stderr.contains("--amount '1e3'"), badAmount.stderr)
    }

    func testAllocationInEveryFormat() throws {
        let spend = try chat(key: TestConfig.prodKey)
        XCTAssertEqual(spend.status, 200, spend.text)

        let table = try tollgate(["allocation"], credential: Self.viewerSecret)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout[0].hasPrefix("Allocation as of "), table.text)
        let acme = try XCTUnwrap(table.stdout.first { $0.hasPrefix("acme ") }, table.text)
        XCTAssertTrue(acme.contains("org/acme") && acme.contains("$1000.00/monthly") && acme.contains("100000"), acme)
        let payments = try XCTUnwrap(table.stdout.first { $0.hasPrefix("  payments ") }, table.text)
        XCTAssertTrue(payments.contains("team/acme/payments") && payments.contains("$500.00/monthly"), payments)
        XCTAssertTrue(table.stdout.contains("Capacity"), table.text)
        XCTAssertTrue(table.text.contains("tokens per minute  allocated 100000 of 400000 purchased (25%)"), table.text)
        XCTAssertTrue(table.text.contains("monthly spend      allocated $1000.00 of $800.00 committed (125%)"), table.text)

        let markdown = try tollgate(["allocation", "--format", "markdown"], credential: Self.master)
        XCTAssertEqual(markdown.status, 0, markdown.stderr)
        XCTAssertTrue(markdown.stdout[0].hasPrefix("## Allocation as of "), markdown.text)
        XCTAssertTrue(markdown.stdout.contains { $0.hasPrefix("| &nbsp;&nbsp;↳ payments |") && $0.contains("Checkout and refunds; forecast: $450/mo") },
                      markdown.text)
        XCTAssertTrue(markdown.text.contains("**Capacity:**"), markdown.text)

        let csv = try tollgate(["allocation", "--format", "csv"], credential: Self.master)
        XCTAssertEqual(csv.status, 0, csv.stderr)
        // CRLF records (one Character in Swift: split on the string).
        let records = csv.text.components(separatedBy: "\r\n")
        XCTAssertTrue(records[0].hasPrefix("grant,parent,depth,scope,"), csv.text)
        let row = try XCTUnwrap(records.first { $0.hasPrefix("payments,acme,1,team/acme/payments,team,lead@example.com,both,all,") },
                                csv.text)
        let spentNanos = row.split(separator: ",", omittingEmptySubsequences: false)[15]
        XCTAssertGreaterThan(Int(spentNanos) ?? 0, 0, "the request's spend shows: \(row)")
        XCTAssertTrue(row.contains(",Checkout and refunds,,$450/mo,"), row)

        let json = try tollgate(["allocation", "--format", "json"], credential: Self.master)
        XCTAssertEqual(json.status, 0, json.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [String: Any]
        XCTAssertNotNil(document?["capacity"] as? [String: Any])
        XCTAssertTrue(((document?["grants"] as? [[String: Any]]) ?? []).contains { $0["id"] as? String == "payments" })

        // A team admin sees its team's grants, not the org's.
        let team = try tollgate(["allocation"], credential: Self.adminSecret)
        XCTAssertEqual(team.status, 0, team.stderr)
        XCTAssertFalse(team.stdout.contains { $0.hasPrefix("acme ") }, team.text)
        XCTAssertTrue(team.stdout.contains { $0.hasPrefix("  payments ") }, team.text)
    }

    func testAnUnreachableGatewayExitsTwoNamingTheURL() throws {
        let run = try tollgate(["grant", "list"], credential: Self.master, url: "http://127.0.0.1:1")
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("cannot reach the gateway at http://127.0.0.1:1"), run.stderr)
    }

    func testTheMasterKeyMintsForAnyTeam() throws {
        let whoami = try tollgate(["whoami", "--format", "json"], credential: Self.master)
        XCTAssertEqual(whoami.status, 0, whoami.stderr)
        XCTAssertTrue(whoami.text.contains("\"role\": \"admin\""), whoami.text)
        let key = try tollgate(["key", "create", "--id", "master-minted", "--team", "acme/payments", "--class", "experimentation",
                                "--owner", "ops@example.com"], credential: Self.master)
        XCTAssertEqual(key.status, 0, key.stderr)
        let response = try HTTP.postJSON(port: Self.gateway.port, path: "/v1/chat/completions", key: try XCTUnwrap(key.stdout.first),
                                         json: #"{"model":"small","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(response.status, 200, response.text)
    }
}
