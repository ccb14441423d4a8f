import Foundation
import XCTest

/// Two `tollgate serve` processes on one PostgreSQL database (two replicas
/// behind a load balancer): a key minted through one's admin API works on
/// the other; a key revoked on one is refused by the other within the
/// refresh interval; an outcome posted to each counts in both gateways'
/// chargeback; calls served by each are in one shared ledger. Each keeps
/// its own storage.dir (its ledger file is the outbox shipped to the database).
final class ReplicasEndToEndTests: MockProviderTestCase {
    static let master = "tg-test-master-replicas"
    static let urlVariable = "TOLLGATE_TEST_GATEWAY_DB"
    /// The documented refresh interval is 1 s; the bound leaves room for a
    /// busy machine (a condition polled, never a sleep asserted on).
    static let propagationBound: TimeInterval = 10

    var database: TestPostgres!
    var gateways: [GatewayProcess] = []

    override func setUpWithError() throws {
        database = try TestPostgres.make()
    }

    override func tearDown() {
        for gateway in gateways { gateway.stop() }
        database?.drop()
        super.tearDown()
    }

    func yaml(storage: String) -> String {
        TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: """
            grants:
              - {id: acme, scope: org/acme, owner: cfo@example.com, amount: "1000", period: monthly}
              - {id: payments, scope: team/acme/payments, owner: lead@example.com, amount: "500", period: monthly}
            plugins:
              - name: tagging
            """)
            .replacingOccurrences(of: "storage:\n  dir: \(storage)",
                                  with: "storage:\n  dir: \(storage)\n  backend: postgres\n  url_env: \(Self.urlVariable)\n  pool_size: 4")
            .replacingOccurrences(of: "  - name: acme\n    teams:", with: "  - name: acme\n    outcome_metrics: [resolved_ticket]\n    teams:")
    }

    /// Starts `count` gateways at once (their migrations race for the lock).
    func startReplicas(_ count: Int) throws {
        let directory = TestPaths.temporaryDirectory("replicas")
        let environment = ["TOLLGATE_TEST_MASTER": Self.master, Self.urlVariable: database.url]
        var started = [Result<GatewayProcess, Error>?](repeating: nil, count: count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let own = directory + "/gw\(i)"
            try? FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
            let result = Result { try GatewayProcess(yaml: yaml(storage: own + "/data"), directory: own, environment: environment) }
            lock.lock()
            started[i] = result
            lock.unlock()
        }
        gateways = try started.map { try $0!.get() }
    }

    func chat(_ port: Int, key: String) throws -> HTTPResponse {
        try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: key,
                          json: #"{"model":"small","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#)
    }

    /// Polls `condition` until it holds or the bound passes.
    func eventually(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(Self.propagationBound)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("not within \(Self.propagationBound) s: \(what)")
    }

    func testTwoGatewaysOnOneDatabaseShareKeysRevocationsAndOutcomes() throws {
        try startReplicas(2)
        let (a, b) = (gateways[0].port, gateways[1].port)

        // A key minted on A works on B.
        let minted = try HTTP.admin(port: a, "POST", "/admin/keys", as: Self.master,
                                    #"{"id": "shared-svc", "team": "team/acme/payments", "class": "production"}"#)
        XCTAssertEqual(minted.status, 201, minted.text)
        let secret = try XCTUnwrap(try minted.json()["key"] as? String)
        XCTAssertEqual(try chat(a, key: secret).status, 200)
        try eventually("the key minted on A works on B") { try chat(b, key: secret).status == 200 }

        // Revoked on B: refused by A within the refresh interval.
        let revoked = try HTTP.admin(port: b, "DELETE", "/admin/keys/shared-svc", as: Self.master)
        XCTAssertEqual(revoked.status, 200, revoked.text)
        XCTAssertEqual(try chat(b, key: secret).status, 401)
        try eventually("the key revoked on B is refused by A") {
            let answer = try chat(a, key: secret)
            return answer.status == 401 && answer.text.contains("revoked")
        }
        // Both list the same runtime keys.
        let listed = try [a, b].map { try HTTP.admin(port: $0, "GET", "/admin/keys", as: Self.master).text }
        XCTAssertTrue(listed.allSatisfy { $0.contains("shared-svc") }, "\(listed)")

        // An outcome posted to each counts in both chargebacks.
        XCTAssertEqual(try chat(a, key: TestConfig.prodKey).status, 200)
        XCTAssertEqual(try chat(b, key: TestConfig.prodKey).status, 200)
        XCTAssertEqual(try HTTP.postJSON(port: a, path: "/v1/outcomes", key: TestConfig.prodKey,
                                         json: #"{"metric": "resolved_ticket", "count": 2}"#).status, 201)
        XCTAssertEqual(try HTTP.postJSON(port: b, path: "/v1/outcomes", key: TestConfig.prodKey,
                                         json: #"{"metric": "resolved_ticket", "count": 3}"#).status, 201)
        for port in [a, b] {
            let report = try HTTP.admin(port: port, "GET", "/admin/finance/chargeback?format=json", as: Self.master)
            XCTAssertEqual(report.status, 200, report.text)
            let rows = try XCTUnwrap(try report.json()["rows"] as? [[String: Any]], report.text)
            let payments = try XCTUnwrap(rows.first { $0["team"] as? String == "acme/payments" }, report.text)
            XCTAssertEqual(payments["outcomes"] as? Int, 5, "gateway on port \(port): \(payments)")
        }

        // The CLI's chargeback reads the shared outcomes too.
        let cli = ManagedProcess(executable: TestPaths.tollgateBinary,
                                 arguments: ["report", "chargeback", "--config", gateways[1].configPath, "--format", "json"],
                                 environment: [Self.urlVariable: database.url])
        try cli.start()
        XCTAssertEqual(try cli.waitForExit(timeout: 60), 0, cli.stderr)
        let printed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(cli.stdout.joined(separator: "\n").utf8)) as? [String: Any])
        let cliRow = (printed["rows"] as? [[String: Any]])?.first { $0["team"] as? String == "acme/payments" }
        XCTAssertEqual(cliRow?["outcomes"] as? Int, 5, "\(printed)")

        // The shared log verifies offline, from the config.
        let verify = ManagedProcess(executable: TestPaths.tollgateBinary,
                                    arguments: ["exceptions", "verify", "--config", gateways[0].configPath],
                                    environment: [Self.urlVariable: database.url])
        try verify.start()
        XCTAssertEqual(try verify.waitForExit(timeout: 60), 0, verify.stderr)
        XCTAssertTrue(verify.stdout.joined(separator: "\n").contains("2 events"), verify.stdout.joined(separator: "\n"))
        let migrate = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: ["migrate", "--config", gateways[1].configPath],
                                     environment: [Self.urlVariable: database.url])
        try migrate.start()
        XCTAssertEqual(try migrate.waitForExit(timeout: 60), 0, migrate.stderr)
        XCTAssertTrue(migrate.stdout.joined().contains("schema up to date"), migrate.stdout.joined(separator: "\n"))
    }

    /// The ledger on the shared database: calls served by either gateway
    /// are in one set of books — `tollgate report spend --config` (the CLI,
    /// reading the read copy it syncs), GET /admin/spend and the chargeback
    /// on each gateway all see every call of both, with the same cost.
    func testTwoGatewaysOnOneDatabaseKeepOneLedger() throws {
        try startReplicas(2)
        let (a, b) = (gateways[0].port, gateways[1].port)
        var served = 0
        for (port, count) in [(a, 5), (b, 3)] {
            for _ in 0..<count {
                XCTAssertEqual(try chat(port, key: TestConfig.prodKey).status, 200)
                served += 1
            }
        }
        // Each gateway's own view: its ledger_read ships its rows and syncs
        // the copy; the other's arrive within its ship interval (250 ms).
        var costs: [Int64] = []
        for port in [a, b] {
            try eventually("gateway on \(port) sees \(served) requests") {
                let report = try HTTP.admin(port: port, "GET", "/admin/finance/chargeback?format=json&by=team", as: Self.master)
                let rows = try report.json()["rows"] as? [[String: Any]] ?? []
                return (rows.first { $0["team"] as? String == "acme/payments" }?["requests"] as? Int) == served
            }
            let spend = try HTTP.admin(port: port, "GET", "/admin/spend?by=team&days=1", as: Self.master)
            XCTAssertEqual(spend.status, 200, spend.text)
            let series = try XCTUnwrap(try spend.json()["series"] as? [[String: Any]], spend.text)
            costs.append(try XCTUnwrap((series.first { $0["key"] as? String == "acme/payments" }?["total_nanos"] as? NSNumber)?.int64Value,
                                       spend.text))
        }
        XCTAssertEqual(costs[0], costs[1], "one set of books")
        XCTAssertGreaterThan(costs[0], 0)

        // The CLI, from the config: the shared ledger through its read copy.
        let cli = ManagedProcess(executable: TestPaths.tollgateBinary,
                                 arguments: ["report", "spend", "--config", gateways[1].configPath, "--by", "team", "--format", "json"],
                                 environment: [Self.urlVariable: database.url])
        try cli.start()
        XCTAssertEqual(try cli.waitForExit(timeout: 60), 0, cli.stderr)
        let printed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(cli.stdout.joined(separator: "\n").utf8)) as? [String: Any])
        let total = try XCTUnwrap(printed["total"] as? [String: Any], "\(printed)")
        XCTAssertEqual((total["requests"] as? NSNumber)?.intValue, served, "\(printed)")
        XCTAssertEqual((total["cost_nanos"] as? NSNumber)?.int64Value, costs[0], "\(printed)")
    }

    /// An embedded gateway's state moved in with `tollgate migrate
    /// --from-sqlite`: its minted key works on a gateway on the database,
    /// its outcomes count there.
    func testMigrateFromSQLiteMovesAnEmbeddedGatewaysStateIn() throws {
        let directory = TestPaths.temporaryDirectory("replicas-import")
        let sqliteYAML = yaml(storage: directory + "/data")
            .replacingOccurrences(of: "\n  backend: postgres\n  url_env: \(Self.urlVariable)\n  pool_size: 4", with: "")
        XCTAssertFalse(sqliteYAML.contains("backend: postgres"))
        let embedded = try GatewayProcess(yaml: sqliteYAML, directory: directory, environment: ["TOLLGATE_TEST_MASTER": Self.master])
        let minted = try HTTP.admin(port: embedded.port, "POST", "/admin/keys", as: Self.master,
                                    #"{"id": "moved-svc", "team": "team/acme/payments", "class": "production"}"#)
        XCTAssertEqual(minted.status, 201, minted.text)
        let secret = try XCTUnwrap(try minted.json()["key"] as? String)
        for _ in 0..<3 { XCTAssertEqual(try chat(embedded.port, key: secret).status, 200) }
        XCTAssertEqual(try HTTP.postJSON(port: embedded.port, path: "/v1/outcomes", key: secret,
                                         json: #"{"metric": "resolved_ticket", "count": 7}"#).status, 201)
        embedded.stop()

        let shared = TestPaths.temporaryDirectory("replicas-import-pg")
        let sharedConfig = shared + "/tollgate.yaml"
        try yaml(storage: directory + "/data").write(toFile: sharedConfig, atomically: true, encoding: .utf8)
        let migrate = ManagedProcess(executable: TestPaths.tollgateBinary,
                                     arguments: ["migrate", "--config", sharedConfig, "--from-sqlite", directory + "/data"],
                                     environment: [Self.urlVariable: database.url])
        try migrate.start()
        XCTAssertEqual(try migrate.waitForExit(timeout: 60), 0, migrate.stderr)
        let printed = migrate.stdout.joined(separator: "\n")
        XCTAssertTrue(printed.contains("applied migration 1 (governance_events)"), printed)
        XCTAssertTrue(printed.contains("copied 1 governance event(s)"), printed)
        XCTAssertTrue(printed.contains("copied 1 outcome(s)"), printed)
        XCTAssertTrue(printed.contains("copied the spent of 0 counter window(s)"), printed)
        XCTAssertTrue(printed.contains("3 row(s) in the file, 3 added to the database"), printed)

        // Again: the governance log and outcomes are not copied twice; the
        // ledger adds nothing.
        let again = ManagedProcess(executable: TestPaths.tollgateBinary,
                                   arguments: ["migrate", "--config", sharedConfig, "--from-sqlite", directory + "/data"],
                                   environment: [Self.urlVariable: database.url])
        try again.start()
        XCTAssertEqual(try again.waitForExit(timeout: 60), 0, again.stderr)
        let printedAgain = again.stdout.joined(separator: "\n")
        XCTAssertTrue(printedAgain.contains("copies into an empty store only"), printedAgain)
        XCTAssertTrue(printedAgain.contains("3 row(s) in the file, 0 added to the database"), printedAgain)

        gateways = [try GatewayProcess(yaml: try String(contentsOfFile: sharedConfig, encoding: .utf8), directory: shared,
                                       environment: ["TOLLGATE_TEST_MASTER": Self.master, Self.urlVariable: database.url])]
        XCTAssertEqual(try chat(gateways[0].port, key: secret).status, 200, "the key minted before the move works after it")
        let report = try HTTP.admin(port: gateways[0].port, "GET", "/admin/finance/chargeback?format=json", as: Self.master)
        let rows = try XCTUnwrap(try report.json()["rows"] as? [[String: Any]], report.text)
        let payments = rows.first { $0["team"] as? String == "acme/payments" }
        XCTAssertEqual(payments?["outcomes"] as? Int, 7, report.text)
        XCTAssertEqual(payments?["requests"] as? Int, 4,
                       "the embedded gateway's 3 ledger rows, shipped once, and the call above: \(report.text)")
    }

    func testServeRefusesToStartWithoutTheURLOrTheDatabase() throws {
        let directory = TestPaths.temporaryDirectory("replicas-refused")
        let config = directory + "/tollgate.yaml"
        try yaml(storage: directory + "/data").write(toFile: config, atomically: true, encoding: .utf8)
        let cases: [([String: String], String)] = [
            ([:], "\(Self.urlVariable) (storage.url_env) is unset or empty"),
            ([Self.urlVariable: "postgres://nobody:wrong@127.0.0.1:1/nothing?sslmode=disable"], "cannot connect to PostgreSQL at nobody@127.0.0.1:1/nothing"),
        ]
        for (environment, expected) in cases {
            let serve = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: ["serve", "--config", config, "--port", "0"],
                                       environment: environment.merging(["TOLLGATE_PLUGIN_DIR": TestPaths.buildDirectory]) { a, _ in a })
            try serve.start()
            XCTAssertEqual(try serve.waitForExit(timeout: 60), 1)
            XCTAssertTrue(serve.stderr.contains(expected), serve.stderr)
            XCTAssertFalse(serve.stderr.contains("wrong"), "the password is never printed: \(serve.stderr)")
        }
    }
}
