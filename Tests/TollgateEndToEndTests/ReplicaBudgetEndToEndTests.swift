import Foundation
import XCTest

/// The budget across replicas: three `tollgate serve` processes on one
/// PostgreSQL database, 1,000 concurrent requests spread over them against
/// a team budget that fits about a quarter: spent never passes the limit
/// (the documented bound across replicas is the single-process one, and
/// the mock never answers past max_tokens), it equals the costs the
/// responses report, nothing stays reserved, and the shared ledger has a
/// row per call, a success row per served one, and spent as its cost. A replica killed with -9
/// while it holds the room gives it back after `reclaim_after`.
final class ReplicaBudgetEndToEndTests: MockProviderTestCase {
    static let master = "tg-test-master-replica-budget"
    static let urlVariable = "TOLLGATE_TEST_GATEWAY_DB"
    static let team = "team/acme/payments:daily"
    static let reclaimAfter = 3

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

    func yaml(storage: String, teamAmount: String) -> String {
        TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: """
            plugins:
              - name: tagging
              - name: budget
                fail: closed
                config:
                  budgets:
                    - {scope: team/acme/payments, period: daily, amount: "\(teamAmount)"}
            """)
            .replacingOccurrences(of: "storage:\n  dir: \(storage)",
                                  with: "storage:\n  dir: \(storage)\n  backend: postgres\n  url_env: \(Self.urlVariable)\n"
                                      + "  pool_size: 8\n  reclaim_after: \(Self.reclaimAfter)")
    }

    func startReplicas(_ count: Int, teamAmount: String) throws {
        let directory = TestPaths.temporaryDirectory("replica-budget")
        let environment = ["TOLLGATE_TEST_MASTER": Self.master, Self.urlVariable: database.url]
        gateways = try (0..<count).map { i in
            let own = directory + "/gw\(i)"
            try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
            return try GatewayProcess(yaml: yaml(storage: own + "/data", teamAmount: teamAmount), directory: own, environment: environment)
        }
    }

    /// Polls until `condition` holds (the replicas refresh their cached
    /// counters every second), or fails after 15 s.
    func eventually(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("not within 15 s: \(what)")
    }

    /// Fires `count` requests split evenly over the gateways, all at once.
    func fireAcrossReplicas(_ count: Int, shape: @escaping (Int) -> BudgetLoad.Shape = BudgetLoad.mixedShape) throws -> [BudgetLoad.Outcome] {
        let per = count / gateways.count
        let results = NSLock()
        var outcomes: [BudgetLoad.Outcome] = []
        var failure: Error?
        DispatchQueue.concurrentPerform(iterations: gateways.count) { i in
            let n = i == gateways.count - 1 ? count - per * (gateways.count - 1) : per
            do {
                let got = try BudgetLoad.fire(port: gateways[i].port, count: n, first: i * per, shape: shape)
                results.withLock { outcomes += got }
            } catch {
                results.withLock { failure = error }
            }
        }
        if let failure { throw failure }
        return outcomes
    }

    func testThreeReplicasHoldOneBudgetUnderAThousandConcurrentRequests() throws {
        try startReplicas(3, teamAmount: "0.02")
        let outcomes = try fireAcrossReplicas(1_000)
        XCTAssertEqual(outcomes.count, 1_000)
        var served: Int64 = 0
        var sum: Int64 = 0
        for o in outcomes {
            switch o.status {
            case 200:
                served += 1
                sum += try XCTUnwrap(o.cost, "request \(o.index) completed without usage")
            case 429:
                XCTAssertEqual(o.errorType, "budget_exceeded", o.errorMessage ?? "")
            default:
                XCTFail("request \(o.index): status \(o.status) \(o.errorMessage ?? "")")
            }
        }
        print("replica budget e2e: \(served) served of 1000, spent \(sum) nanos")
        XCTAssertGreaterThan(served, 50)
        XCTAssertLessThan(served, 700, "the budget must refuse a good part of the load for the test to mean anything")
        XCTAssertLessThanOrEqual(sum, 20_000_000, "the served requests' costs fit the one budget, across three gateways")
        for gateway in gateways {
            try eventually("gateway \(gateway.port) sees spent == the served costs and nothing reserved") {
                let team = try XCTUnwrap(try BudgetLoad.budgets(port: gateway.port, master: Self.master)[Self.team])
                return team.spent == sum && team.reserved == 0 && team.limit == 20_000_000
            }
        }
        // One set of books: the shared ledger (read through any gateway's
        // config) has a success row per served call, a row per call, and
        // its cost is the budget's spent.
        try eventually("the shared ledger holds every gateway's rows") {
            let byOutcome = try spendByOutcome()
            return byOutcome.values.reduce(0) { $0 + $1.requests } == 1_000
        }
        let byOutcome = try spendByOutcome()
        XCTAssertEqual(byOutcome["success"]?.requests, Int(served), "\(byOutcome)")
        XCTAssertEqual(byOutcome.values.reduce(0) { $0 + $1.cost }, sum, "ledger sum == spent: \(byOutcome)")
    }

    /// `tollgate report spend --by outcome` from a gateway's config: the
    /// shared ledger through the read copy.
    func spendByOutcome() throws -> [String: (requests: Int, cost: Int64)] {
        let cli = ManagedProcess(executable: TestPaths.tollgateBinary,
                                 arguments: ["report", "spend", "--config", gateways[0].configPath, "--by", "outcome", "--format", "json"],
                                 environment: [Self.urlVariable: database.url])
        try cli.start()
        XCTAssertEqual(try cli.waitForExit(timeout: 60), 0, cli.stderr)
        let printed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(cli.stdout.joined(separator: "\n").utf8)) as? [String: Any])
        var result: [String: (requests: Int, cost: Int64)] = [:]
        for row in printed["groups"] as? [[String: Any]] ?? [] {
            guard let outcome = row["outcome"] as? String else { continue }
            result[outcome] = ((row["requests"] as? NSNumber)?.intValue ?? 0, (row["cost_nanos"] as? NSNumber)?.int64Value ?? 0)
        }
        return result
    }

    /// A replica holding the whole room dies mid-stream: the others are
    /// refused until `reclaim_after` passes, then have the full room again;
    /// what was settled before the kill is still spent.
    func testAKilledReplicasHoldsComeBackAfterTheReclaimTimeout() throws {
        // $0.002 a day: room for one slow request of 1,200 output tokens
        // (1,920,000 nanos reserved), not two.
        try startReplicas(3, teamAmount: "0.002")
        let (a, victim) = (gateways[0], gateways[2])
        let small = #"{"model":"small","max_tokens":4,"messages":[{"role":"user","content":"hi"}]}"#
        let settled = try HTTP.postJSON(port: a.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: small)
        XCTAssertEqual(settled.status, 200, settled.text)
        try eventually("the settled request shows on every gateway") {
            try gateways.allSatisfy { try BudgetLoad.budgets(port: $0.port, master: Self.master)[Self.team]?.spent ?? 0 > 0 }
        }
        let spentBefore = try XCTUnwrap(try BudgetLoad.budgets(port: a.port, master: Self.master)[Self.team]).spent

        // A slow stream on the victim takes the room; kill -9 mid-stream.
        let slow = #"{"model":"small","max_tokens":1200,"stream":true,"messages":[{"role":"user","content":"[[mock chunks=60 delay_ms=500 tokens=1200]] hold"}]}"#
        let holder = Thread {
            _ = try? HTTP.postJSON(port: victim.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: slow)
        }
        holder.start()
        try eventually("the victim holds the room") {
            try (BudgetLoad.budgets(port: a.port, master: Self.master)[Self.team]?.reserved ?? 0) > 0
        }
        let big = #"{"model":"small","max_tokens":1000,"messages":[{"role":"user","content":"big"}]}"#
        XCTAssertEqual(try HTTP.postJSON(port: a.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: big).status, 429,
                       "the room is held by the victim's stream")
        victim.process.signal(SIGKILL)
        let killedAt = Date()

        try eventually("a live replica serves a request needing most of the room again") {
            try HTTP.postJSON(port: a.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: big).status == 200
        }
        let waited = Date().timeIntervalSince(killedAt)
        XCTAssertGreaterThanOrEqual(waited, Double(Self.reclaimAfter) - 1, "reclaimed, not merely expired early")
        try eventually("nothing stays reserved after the reclaim, and what was settled before the kill is still spent") {
            let team = try XCTUnwrap(try BudgetLoad.budgets(port: gateways[1].port, master: Self.master)[Self.team])
            return team.reserved == 0 && team.spent > spentBefore
        }
    }
}
