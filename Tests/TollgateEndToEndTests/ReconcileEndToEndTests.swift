import Foundation
import XCTest

/// `tollgate reconcile` with the real binaries: traffic through the gateway
/// (ledger) to a standalone mock provider that bills it at the catalog's
/// prices, with a 10% markup planted on `large` and one call that goes
/// straight to the mock (a bypass). The report must show `small` matched,
/// the drift on `large` to the nano-dollar, and the bypass as unattributed.
final class ReconcileEndToEndTests: XCTestCase {
    static let adminKey = "sk-admin-reconcile-test"

    func run(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: arguments, environment: environment)
        try process.start()
        let status = try process.waitForExit(timeout: 60)
        return (status, process.stdout.joined(separator: "\n"), process.stderr)
    }

    static func day(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return String(formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))).prefix(10))
    }

    func testReconcileFindsThePlantedDriftAndTheBypass() throws {
        let dir = TestPaths.temporaryDirectory("reconcile")
        let configPath = dir + "/tollgate.yaml"
        // The mock prices from the gateway's config, read when a report is
        // asked for (the config is written once the mock's port is known).
        let mock = try MockProviderProcess(extraArguments: ["--config", configPath, "--invoice-markup", "mock-large-v1=1000",
                                                            "--admin-key", Self.adminKey])
        defer { mock.stop() }
        let medium = """
              - name: medium
                provider: openai
                base_url: http://127.0.0.1:\(mock.port)/v1
                upstream_model: mock-medium-v1
                price: {input_per_mtok: "2.00", output_per_mtok: "8.00"}
            """
        let gw = try GatewayProcess(yaml: TestConfig.yaml(mockPort: mock.port, storage: dir + "/data",
                                                          plugins: LedgerEndToEndTests.taggingFirst, extraModels: medium),
                                    directory: dir)
        defer { gw.stop() }
        XCTAssertEqual(gw.configPath, configPath)

        func chat(_ model: String, _ content: String, stream: Bool = false) throws -> Int {
            let json = #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"\#(content)"}]}"#
            return try HTTP.postJSON(port: gw.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: json,
                                     headers: [("x-tollgate-feature", "checkout")]).status
        }
        XCTAssertEqual(try chat("small", "hello reconcile"), 200)
        XCTAssertEqual(try chat("small", "cache me [[mock cached=2]]"), 200)
        XCTAssertEqual(try chat("small", "stream me", stream: true), 200)
        XCTAssertEqual(try chat("small", "boom [[mock fail=500]]"), 500)
        XCTAssertEqual(try chat("large", "the big one"), 200)
        XCTAssertEqual(try chat("large", "the big two [[mock tokens=40]]"), 200)
        let claude = try HTTP.postJSON(port: gw.port, path: "/v1/messages", key: TestConfig.prodKey,
                                       json: #"{"model":"claude-small","max_tokens":9,"metadata":{"feature":"search"},"messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(claude.status, 200, claude.text)
        // The bypass: straight to the provider with a key the gateway never saw.
        let bypass = try HTTP.postJSON(port: mock.port, path: "/v1/chat/completions", key: "sk-someone-elses-key",
                                       json: #"{"model":"mock-medium-v1","messages":[{"role":"user","content":"bypass call"}]}"#)
        XCTAssertEqual(bypass.status, 200)

        let ledger = dir + "/data/ledger.sqlite"
        _ = try LedgerReader.waitForRows(ledger, count: 7, by: "model")
        let spend = try LedgerReader.report(ledger, by: "provider,model")
        func ledgerCost(_ model: String) throws -> Int64 {
            let group = try spend.groups().first { $0["model"] as? String == model }
            return try XCTUnwrap(LedgerReader.int(group?["cost_nanos"]), "no ledger spend for \(model)")
        }
        let small = try ledgerCost("small"), large = try ledgerCost("large"), claudeCost = try ledgerCost("claude-small")
        XCTAssertGreaterThan(small, 0)

        let now = Int64(Date().timeIntervalSince1970)
        let today = Self.day(now)
        let range = ["--from", Self.day(now - 86_400), "--to", Self.day(now + 2 * 86_400)]
        let common = ["reconcile", "--config", configPath, "--base-url", "http://127.0.0.1:\(mock.port)"] + range
        let env = ["OPENAI_ADMIN_KEY": Self.adminKey, "ANTHROPIC_ADMIN_KEY": Self.adminKey]

        let openai = try run(common + ["--provider", "openai", "--format", "json"], environment: env)
        XCTAssertEqual(openai.status, 0, openai.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(openai.stdout.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(report["rows"] as? [[String: Any]])
        func row(_ model: String) throws -> [String: Any] {
            try XCTUnwrap(rows.first { $0["model"] as? String == model }, "no row for \(model) in \(rows)")
        }
        XCTAssertEqual(rows.count, 3, "small, large, medium: no Anthropic row, no row for the failed call: \(rows)")
        XCTAssertTrue(rows.allSatisfy { $0["day"] as? String == today }, "\(rows)")

        let smallRow = try row("small")
        XCTAssertEqual(smallRow["status"] as? String, "matched")
        XCTAssertEqual(LedgerReader.int(smallRow["ledger_cost_nanos"]), small)
        XCTAssertEqual(LedgerReader.int(smallRow["provider_cost_nanos"]), small, "catalog prices, rounded per call: no drift")
        XCTAssertEqual(LedgerReader.int(smallRow["drift_nanos"]), 0)
        XCTAssertEqual(LedgerReader.int(smallRow["ledger_tokens"]), LedgerReader.int(smallRow["provider_tokens"]))

        let markup = (large * 1000 + 5_000) / 10_000
        let largeRow = try row("large")
        XCTAssertEqual(largeRow["status"] as? String, "drift")
        XCTAssertEqual(LedgerReader.int(largeRow["ledger_cost_nanos"]), large)
        XCTAssertEqual(LedgerReader.int(largeRow["provider_cost_nanos"]), large + markup)
        XCTAssertEqual(LedgerReader.int(largeRow["drift_nanos"]), markup, "the planted 10%, to the nano-dollar")

        // "bypass call": 11 bytes, 3 tokens in, 16 out, at $2 / $8 per Mtok.
        let bypassCost: Int64 = (3 * 2_000_000_000 + 16 * 8_000_000_000 + 999_999) / 1_000_000
        let mediumRow = try row("medium")
        XCTAssertEqual(mediumRow["status"] as? String, "unattributed")
        XCTAssertEqual(LedgerReader.int(mediumRow["ledger_cost_nanos"]), 0)
        XCTAssertEqual(LedgerReader.int(mediumRow["provider_cost_nanos"]), bypassCost)
        XCTAssertEqual(LedgerReader.int(report["unattributed_nanos"]), bypassCost)

        let total = try XCTUnwrap(report["total"] as? [String: Any])
        XCTAssertEqual(LedgerReader.int(total["ledger_cost_nanos"]), small + large, "the ledger's OpenAI spend, exactly")
        XCTAssertEqual(LedgerReader.int(total["provider_cost_nanos"]), small + large + markup + bypassCost)

        let table = try run(common + ["--provider", "openai"], environment: env)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("spend on the provider account the gateway never saw: a bypass to chase"), table.stdout)
        XCTAssertTrue(table.stdout.contains("mock-medium-v1 -> medium"), table.stdout)

        let anthropic = try run(common + ["--provider", "anthropic", "--format", "csv"], environment: env)
        XCTAssertEqual(anthropic.status, 0, anthropic.stderr)
        // CSV lines end in CRLF (one Character in Swift: split on isNewline).
        let lines = anthropic.stdout.split(whereSeparator: \.isNewline).map(String.init)
        XCTAssertEqual(lines.count, 2, anthropic.stdout)
        let claudeLine = lines.count > 1 ? lines[1] : ""
        XCTAssertTrue(claudeLine.hasPrefix("\(today),claude-small,"), claudeLine)
        XCTAssertTrue(claudeLine.contains(",\(claudeCost),") && claudeLine.contains(",matched,"), claudeLine)

        // Mistakes say what is wrong and exit non-zero.
        let noKey = try run(common + ["--provider", "openai"], environment: ["OPENAI_ADMIN_KEY": ""])
        XCTAssertEqual(noKey.status, 1)
        XCTAssertTrue(noKey.stderr.contains("OPENAI_ADMIN_KEY is not set"), noKey.stderr)
        let wrongKey = try run(common + ["--provider", "openai"], environment: ["OPENAI_ADMIN_KEY": "sk-admin-wrong"])
        XCTAssertEqual(wrongKey.status, 1)
        XCTAssertTrue(wrongKey.stderr.contains("answered HTTP 401"), wrongKey.stderr)
        let unknown = try run(common + ["--provider", "gemini"], environment: env)
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("--provider must be openai or anthropic"), unknown.stderr)
        let csv = dir + "/bad.csv"
        try "date,model,cost_usd\n\(today),small,0.1\n\(today),large,1,5\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let badFile = try run(common + ["--provider", "openai", "--file", csv], environment: [:])
        XCTAssertEqual(badFile.status, 1)
        XCTAssertTrue(badFile.stderr.contains("bad.csv:3: 4 field(s) where the header has 3"), badFile.stderr)
    }
}
