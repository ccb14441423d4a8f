import Foundation
import XCTest

/// The chargeback invariant under a mixed load (two teams, three models,
/// both APIs, streams and not, upstream errors, concurrent clients): the
/// ledger's cost per team equals usage x catalog price recomputed here
/// from the mock provider's deterministic usage, and equals the budget
/// plugin's spent for the team when both plugins run.
final class LedgerInvariantEndToEndTests: XCTestCase {
    static var mock: MockProviderProcess!
    static let master = "ledger-invariant-master"
    static let searchKey = "tg-test-search-key"

    override class func setUp() {
        super.setUp()
        do { mock = try MockProviderProcess() } catch { XCTFail("mock provider: \(error)") }
    }

    override class func tearDown() {
        mock?.stop()
        super.tearDown()
    }

    /// Nano-dollars per million tokens (input, output), as in TestConfig.
    static let prices: [String: (input: Int64, output: Int64)] = [
        "small": (400_000_000, 1_600_000_000),
        "large": (8_000_000_000, 32_000_000_000),
        "claude-small": (800_000_000, 4_000_000_000),
    ]

    /// TestConfig's catalog and keys, with a second team (search) after
    /// payments' keys.
    static func yaml(storage: String, plugins: String) -> String {
        let base = TestConfig.yaml(mockPort: mock.port, storage: storage, plugins: plugins)
        let searchTeam = [
            "      - name: search",
            "        owner: search-lead@example.com",
            "        keys:",
            "          - {id: search-prod, sha256: \"\(TestConfig.sha256(searchKey))\", class: production}",
        ]
        var lines = base.components(separatedBy: "\n")
        if let last = lines.firstIndex(where: { $0.contains("{id: payments-old") }) {
            lines.insert(contentsOf: searchTeam, at: last + 1)
        }
        return lines.joined(separator: "\n")
    }

    struct Shot {
        var team: String
        var key: String
        var model: String
        var stream: Bool
        var maxTokens: Int
        var tokens: Int
        var fail: Bool
        var words: Int

        var content: String {
            let filler = (0..<words).map { "w\($0)" }.joined(separator: " ")
            return "invariant \(filler) [[mock tokens=\(tokens) chunks=3\(fail ? " fail=500" : "")]]"
        }

        var anthropic: Bool { model == "claude-small" }

        var body: String {
            let messages = #"[{"role":"user","content":"\#(content)"}]"#
            return #"{"model":"\#(model)","max_tokens":\#(maxTokens),"stream":\#(stream),"messages":\#(messages)}"#
        }

        /// What the mock will charge: ceil(prompt bytes / 4) (at least 1)
        /// in, min(tokens, max_tokens) out; nothing for a failed call.
        var expectedCost: Int64 {
            if fail { return 0 }
            let price = LedgerInvariantEndToEndTests.prices[model]!
            let input = max(1, Int64((content.utf8.count + 3) / 4))
            let output = Int64(min(tokens, maxTokens))
            return (input * price.input + output * price.output + 999_999) / 1_000_000
        }
    }

    static func load(count: Int) -> [Shot] {
        (0..<count).map { i in
            let payments = i % 3 != 0
            let model = ["small", "large", "claude-small"][i % 3 == 0 ? (i / 3) % 3 : i % 2 == 0 ? 0 : 2]
            return Shot(team: payments ? "payments" : "search", key: payments ? TestConfig.prodKey : searchKey, model: model,
                        stream: i % 4 == 1, maxTokens: [8, 64, 200][i % 3], tokens: [5, 40, 120, 16][i % 4],
                        fail: i % 11 == 7, words: (i * 7) % 50)
        }
    }

    /// Fires the load from 6 clients at once; returns the expected cost per
    /// team of what was answered.
    func fire(_ shots: [Shot], port: Int) -> [String: Int64] {
        let expected = NSLock()
        var perTeam: [String: Int64] = [:]
        DispatchQueue.concurrentPerform(iterations: 6) { worker in
            for index in stride(from: worker, to: shots.count, by: 6) {
                let shot = shots[index]
                let path = shot.anthropic ? "/v1/messages" : "/v1/chat/completions"
                let response = try? HTTP.postJSON(port: port, path: path, key: shot.key, json: shot.body,
                                                  headers: [("x-tollgate-feature", "invariant")])
                XCTAssertEqual(response?.status, shot.fail ? 500 : 200, "\(shot) -> \(response?.text ?? "no response")")
                if shot.stream, !shot.fail {
                    XCTAssertTrue(response?.text.contains(shot.anthropic ? "message_stop" : "[DONE]") == true, "\(shot)")
                }
                expected.lock()
                perTeam[shot.team, default: 0] += shot.expectedCost
                expected.unlock()
            }
        }
        return perTeam
    }

    func ledgerCostPerTeam(_ path: String, rows: Int) throws -> [String: Int64] {
        let groups = try LedgerReader.waitForRows(path, count: rows, by: "team")
        var out: [String: Int64] = [:]
        for group in groups {
            out[group["team"] as? String ?? "?"] = LedgerReader.int(group["cost_nanos"])
        }
        let estimated = try LedgerReader.report(path, by: "estimated").groups()
        XCTAssertEqual(estimated.map { $0["estimated"] as? String }, ["0"], "every figure is the provider's")
        return out
    }

    func testLedgerCostPerTeamIsUsageTimesPrice() throws {
        let storage = TestPaths.temporaryDirectory("invariant") + "/data"
        let plugins = """
            plugins:
              - name: tagging
            """
        let gw = try GatewayProcess(yaml: Self.yaml(storage: storage, plugins: plugins),
                                    directory: TestPaths.temporaryDirectory("invariant-gw"))
        defer { gw.stop() }
        let shots = Self.load(count: 90)
        let expected = fire(shots, port: gw.port)
        let ledger = try ledgerCostPerTeam(storage + "/ledger.sqlite", rows: shots.count)
        XCTAssertEqual(ledger, expected)
        XCTAssertEqual(Set(ledger.keys), ["payments", "search"])
    }

    func testLedgerEqualsBudgetSpentEqualsUsageTimesPrice() throws {
        let storage = TestPaths.temporaryDirectory("invariant") + "/data"
        let plugins = """
            plugins:
              - name: tagging
              - name: budget
                fail: closed
                config:
                  budgets:
                    - {scope: team/acme/payments, period: total, amount: "1000"}
                    - {scope: team/acme/search, period: total, amount: "1000"}
            """
        let gw = try GatewayProcess(yaml: Self.yaml(storage: storage, plugins: plugins),
                                    directory: TestPaths.temporaryDirectory("invariant-gw"),
                                    environment: ["TOLLGATE_TEST_MASTER": Self.master])
        defer { gw.stop() }
        let shots = Self.load(count: 90)
        let expected = fire(shots, port: gw.port)
        let ledger = try ledgerCostPerTeam(storage + "/ledger.sqlite", rows: shots.count)
        XCTAssertEqual(ledger, expected, "ledger vs usage x price")

        let budgets = try HTTP.request(port: gw.port, method: "GET", path: "/admin/budgets",
                                       headers: [("authorization", "Bearer \(Self.master)")]).json()
        var spent: [String: Int64] = [:]
        for budget in budgets["budgets"] as? [[String: Any]] ?? [] {
            guard let scope = budget["scope"] as? String, scope.hasPrefix("team/acme/") else { continue }
            spent[String(scope.dropFirst("team/acme/".count))] = (budget["spent_nanos"] as? NSNumber)?.int64Value
            XCTAssertEqual((budget["reserved_nanos"] as? NSNumber)?.int64Value, 0, "nothing stays reserved: \(budget)")
        }
        XCTAssertEqual(spent, ledger, "budget spent vs ledger, per team")
    }
}
