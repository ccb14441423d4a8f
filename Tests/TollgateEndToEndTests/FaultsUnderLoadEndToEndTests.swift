import Foundation
import XCTest

/// Faults injected under concurrent load, against the real binary: for
/// each, what the clients see, and what the ledger and the counters say
/// afterwards. The invariants, whatever the fault: every request is
/// answered (no hang), every healthy request succeeds, the ledger has one
/// row per request, its cost equals the budget's spent to the nano-dollar,
/// nothing stays reserved, and the gateway serves normally after.
final class FaultsUnderLoadEndToEndTests: MockProviderTestCase {
    static let master = "faults-under-load-master"
    static let team = "team/acme/payments:daily"

    static let plugins = """
        plugins:
          - name: tagging
          - name: budget
            fail: closed
            config:
              budgets:
                - {scope: team/acme/payments, period: daily, amount: "100"}
                - {scope: org/acme, period: monthly, amount: "1000"}
          - name: ratelimit
            config:
              limits:
                - {scope: key/*, rpm: 100000, tpm: 100000000}
        """

    func startGateway(storage: String) throws -> GatewayProcess {
        try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: Self.plugins),
                           directory: TestPaths.temporaryDirectory("faults-gw"), environment: ["TOLLGATE_TEST_MASTER": Self.master])
    }

    /// The books after a load: ledger rows, their cost, the budget.
    func checkBooks(port: Int, storage: String, requests: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let groups = try LedgerReader.waitForRows(storage + "/ledger.sqlite", count: requests, by: "outcome")
        let rows = groups.reduce(Int64(0)) { $0 + (LedgerReader.int($1["requests"]) ?? 0) }
        let cost = groups.reduce(Int64(0)) { $0 + (LedgerReader.int($1["cost_nanos"]) ?? 0) }
        XCTAssertEqual(rows, Int64(requests), "one ledger row per request: \(groups)", file: file, line: line)
        let budget = try XCTUnwrap(try BudgetLoad.budgets(port: port, master: Self.master)[Self.team], file: file, line: line)
        XCTAssertEqual(budget.spent, cost, "the ledger's cost is the budget's spent", file: file, line: line)
        XCTAssertEqual(budget.reserved, 0, "nothing stays reserved", file: file, line: line)
    }

    /// Every provider fault the mock acts out, mixed with healthy calls
    /// (streams and not), all at once.
    func testEveryProviderFaultUnderLoadKeepsTheBooks() throws {
        let storage = TestPaths.temporaryDirectory("faults-data")
        let gateway = try startGateway(storage: storage)
        defer { gateway.stop() }
        let faults = ["500", "503", "429", "stall", "stall-after-first", "cut", "bad-json"]
        let count = 140
        let shape: (Int) -> BudgetLoad.Shape = { i in
            var s = BudgetLoad.mixedShape(i)
            // Every other request is healthy; the rest cycle through the
            // faults, streams and not.
            s.fail = i % 2 == 0 ? nil : faults[(i / 2) % faults.count]
            s.stream = (i / 2) % 2 == 0
            return s
        }
        let started = Date()
        let outcomes = try BudgetLoad.fire(port: gateway.port, count: count, shape: shape)
        print("faults under load: \(count) requests answered in \(Int(Date().timeIntervalSince(started))) s")
        var byFault: [String: [Int]] = [:]
        for o in outcomes {
            let fault = shape(o.index).fail
            byFault[(fault ?? "healthy") + (shape(o.index).stream ? "/stream" : ""), default: []].append(o.status)
            XCTAssertNotEqual(o.status, 0, "request \(o.index) (\(fault ?? "healthy")) got no answer: \(o.errorMessage ?? "")")
            if fault == nil {
                XCTAssertEqual(o.status, 200, "healthy request \(o.index): \(o.errorMessage ?? "")")
                XCTAssertNotNil(o.cost, "healthy request \(o.index) has usage")
            }
        }
        print("faults under load, statuses: \(byFault.mapValues { Dictionary($0.map { ($0, 1) }, uniquingKeysWith: +) })")
        // What the clients see for the faults that fail before the first byte.
        for suffix in ["", "/stream"] {
            XCTAssertEqual(Set(byFault["stall" + suffix] ?? []), [504], "a provider that never answers: 504 after first_byte_ms")
            XCTAssertEqual(Set(byFault["500" + suffix] ?? []), [500], "the provider's 5xx, after the retries")
            XCTAssertEqual(Set(byFault["429" + suffix] ?? []), [429], "the provider's 429, after the retries")
        }
        try checkBooks(port: gateway.port, storage: storage, requests: count)
        // And it serves normally after.
        let after = try HTTP.postJSON(port: gateway.port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                      json: #"{"model":"small","max_tokens":8,"messages":[{"role":"user","content":"still there?"}]}"#)
        XCTAssertEqual(after.status, 200, after.text)
    }
}
