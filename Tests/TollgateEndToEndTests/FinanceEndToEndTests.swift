import Foundation
import XCTest

/// Outcomes, forecasts and the finance reports against the real gateway:
/// outcomes posted with a team's key are durable across a restart, bad ones
/// get a 400 naming the field; a team admin submits its own forecast only;
/// `tollgate report chargeback` and GET /admin/finance/chargeback print the
/// same figures, which equal the ledger's.
final class FinanceEndToEndTests: XCTestCase {
    static let master = "tg-test-master-finance"
    static let adminSecret = "tg-test-finance-payments-admin"
    static let viewerSecret = "tg-test-finance-viewer"

    static var mock: MockProviderProcess!
    static var gateway: GatewayProcess!
    static var directory = ""
    static var yaml = ""

    override class func setUp() {
        super.setUp()
        do {
            mock = try MockProviderProcess()
            directory = TestPaths.temporaryDirectory("finance")
            let extra = """
                grants:
                  - {id: acme, scope: org/acme, owner: cfo@example.com, amount: "1000", period: monthly}
                  - {id: payments, scope: team/acme/payments, owner: lead@example.com, amount: "500", period: monthly}
                credentials:
                  - {id: payments-admin, role: team_admin, scope: team/acme/payments, owner: lead@example.com,
                     sha256: "\(TestConfig.sha256(adminSecret))"}
                  - {id: acme-viewer, role: viewer, scope: org/acme, owner: finance@example.com,
                     sha256: "\(TestConfig.sha256(viewerSecret))"}
                plugins:
                  - name: tagging
                """
            yaml = TestConfig.yaml(mockPort: mock.port, storage: directory + "/data", plugins: extra)
                .replacingOccurrences(of: "  - name: acme\n    teams:", with: "  - name: acme\n    outcome_metrics: [resolved_ticket, merged_pr]\n    teams:")
                .replacingOccurrences(of: "        owner: lead@example.com\n        keys:",
                                      with: "        owner: lead@example.com\n        outcomes: [resolved_ticket]\n        cost_center: CC-42\n        keys:")
            try startGateway()
        } catch {
            XCTFail("could not start the gateway: \(error)")
        }
    }

    static func startGateway() throws {
        gateway = try GatewayProcess(yaml: yaml, directory: directory, environment: ["TOLLGATE_TEST_MASTER": master])
    }

    override class func tearDown() {
        gateway?.stop()
        mock?.stop()
        super.tearDown()
    }

    var port: Int { Self.gateway.port }

    func outcome(_ json: String, key: String = TestConfig.prodKey) throws -> HTTPResponse {
        try HTTP.postJSON(port: port, path: "/v1/outcomes", key: key, json: json)
    }

    func tollgate(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: arguments, environment: [:])
        try process.start()
        let status = try process.waitForExit(timeout: 60)
        return (status, process.stdout.joined(separator: "\n"), process.stderr)
    }

    func json(_ response: HTTPResponse) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], response.text)
    }

    func testOutcomesForecastsAndTheChargebackAgree() throws {
        // Spend: three calls with the payments key.
        for _ in 0..<3 {
            let call = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                         json: #"{"model":"small","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#)
            XCTAssertEqual(call.status, 200, call.text)
        }
        // Outcomes.
        let good = try outcome(#"{"metric":"resolved_ticket","count":4,"feature":"refunds"}"#)
        XCTAssertEqual(good.status, 201, good.text)
        XCTAssertEqual(try json(good)["grant_ids"] as? [String], ["acme", "payments"])
        XCTAssertEqual(try outcome(#"{"metric":"resolved_ticket","count":2}"#).status, 201)
        for (body, field) in [(#"{"metric":"merged_pr","count":1}"#, "metric"), (#"{"metric":"resolved_ticket","count":-1}"#, "count"),
                              (#"{"metric":"nope","count":1}"#, "metric")] {
            let refused = try outcome(body)
            XCTAssertEqual(refused.status, 400, refused.text)
            let error = try json(refused)["error"] as? [String: Any]
            XCTAssertEqual(error?["param"] as? String, field, refused.text)
        }
        XCTAssertEqual(try outcome(#"{"metric":"resolved_ticket","count":1}"#, key: "tg-wrong").status, 401)

        // Forecasts: the team admin's own team only; a viewer reads.
        let submit = try admin("POST", "/admin/forecasts", as: Self.adminSecret,
                               #"{"team":"acme/payments","period":"current","amount":"5","events":["launch"]}"#)
        XCTAssertEqual(submit.status, 201, submit.text)
        XCTAssertEqual(try admin("POST", "/admin/forecasts", as: Self.viewerSecret,
                                 #"{"team":"acme/payments","period":"current","amount":"5"}"#).status, 403)
        let listed = try json(try admin("GET", "/admin/forecasts", as: Self.viewerSecret))
        XCTAssertEqual((listed["forecasts"] as? [[String: Any]])?.first?["amount"] as? String, "$5.00")

        // A restart keeps outcomes and forecasts.
        Self.gateway.stop()
        try Self.startGateway()
        let served = try json(try admin("GET", "/admin/finance/chargeback?format=json", as: Self.viewerSecret))
        let rows = try XCTUnwrap(served["rows"] as? [[String: Any]])
        let payments = try XCTUnwrap(rows.first { $0["team"] as? String == "acme/payments" }, "\(served)")
        XCTAssertEqual(payments["outcomes"] as? Int, 6)
        XCTAssertEqual(payments["cost_center"] as? String, "CC-42")
        XCTAssertEqual(payments["requests"] as? Int, 3)

        // The ledger's own sum, the CLI and the endpoint agree to the nano-dollar.
        let spend = try tollgate(["report", "spend", "--db", Self.directory + "/data/ledger.sqlite", "--format", "json"])
        XCTAssertEqual(spend.status, 0, spend.err)
        let ledgerTotal = try XCTUnwrap(((try JSONSerialization.jsonObject(with: Data(spend.out.utf8)) as? [String: Any])?["total"]
            as? [String: Any])?["cost_nanos"] as? Int)
        XCTAssertGreaterThan(ledgerTotal, 0)
        // Read from the daily rollup (the tagging plugin's trigger kept it) or
        // from the rows: the same report, byte for byte.
        for by in ["", "grant,team", "day,org,team,feature,model,provider,owner,class,grant_owner"] {
            let db = ["report", "spend", "--db", Self.directory + "/data/ledger.sqlite", "--format", "json"] + (by.isEmpty ? [] : ["--by", by])
            let rollup = try tollgate(db), rows = try tollgate(db + ["--no-rollup"])
            XCTAssertEqual(rollup.status, 0, rollup.err)
            XCTAssertEqual(rollup.out, rows.out, "--by \(by)")
        }
        XCTAssertEqual(payments["spend_nanos"] as? Int, ledgerTotal)
        XCTAssertEqual(payments["cost_per_outcome_nanos"] as? Int, (ledgerTotal * 2 + 6) / 12)
        let cli = try tollgate(["report", "chargeback", "--config", Self.gateway.configPath, "--format", "json"])
        XCTAssertEqual(cli.status, 0, cli.err)
        let cliJSON = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(cli.out.utf8)) as? [String: Any])
        XCTAssertEqual(NSDictionary(dictionary: cliJSON), NSDictionary(dictionary: served), "the CLI and the endpoint print the same report")

        let csv = try admin("GET", "/admin/finance/chargeback?format=csv&by=grant", as: Self.viewerSecret)
        XCTAssertEqual(csv.status, 200)
        XCTAssertTrue(csv.text.hasPrefix("grant,cost_center,requests,spend,spend_nanos,"), csv.text)
        let forecast = try tollgate(["report", "forecast", "--config", Self.gateway.configPath])
        XCTAssertEqual(forecast.status, 0, forecast.err)
        XCTAssertTrue(forecast.out.contains("acme/payments") && forecast.out.contains("$5.00") && forecast.out.contains("launch"), forecast.out)
        // The FOCUS download: every mandatory column, BilledCost adding up to the ledger.
        let focus = try admin("GET", "/admin/finance/focus", as: Self.viewerSecret)
        XCTAssertEqual(focus.status, 200, focus.text)
        XCTAssertTrue(focus.header("content-disposition")?.contains("attachment") ?? false)
        let lines = focus.text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }).map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        for column in ["BilledCost", "BillingAccountId", "BillingCurrency", "ChargePeriodStart", "ServiceCategory", "x_Team"] {
            XCTAssertTrue(header.contains(column), "\(column) missing from \(header)")
        }
        let billed = try XCTUnwrap(header.firstIndex(of: "BilledCost"))
        let nanos = lines.dropFirst().map { line -> Int in
            let text = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)[billed]
            let parts = text.split(separator: ".").map(String.init)
            let fraction = parts.count > 1 ? parts[1] + String(repeating: "0", count: 9 - parts[1].count) : "0"
            return Int(parts[0])! * 1_000_000_000 + Int(fraction)!
        }.reduce(0, +)
        XCTAssertEqual(nanos, ledgerTotal, "the FOCUS export adds up to the ledger to the nano-dollar")
        // A key holder reads only /admin/me.
        XCTAssertEqual(try admin("GET", "/admin/finance/chargeback", as: TestConfig.prodKey).status, 403)
        let badPeriod = try admin("GET", "/admin/finance/chargeback?period=2026-13", as: Self.viewerSecret)
        XCTAssertEqual(badPeriod.status, 400, badPeriod.text)
        let badGrouping = try admin("GET", "/admin/finance/chargeback?by=nope", as: Self.viewerSecret)
        XCTAssertEqual(badGrouping.status, 400, badGrouping.text)
        XCTAssertEqual((try json(badGrouping)["error"] as? [String: Any])?["param"] as? String, "by", badGrouping.text)
    }

    func admin(_ method: String, _ path: String, as credential: String, _ json: String? = nil) throws -> HTTPResponse {
        try HTTP.admin(port: port, method, path, as: credential, json)
    }
}
