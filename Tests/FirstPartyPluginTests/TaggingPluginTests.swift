import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// libtollgate_tagging.so through the in-process loader: attribution,
/// the taxonomy, and the ledger rows it writes (read back with the real
/// `tollgate report spend`).
final class TaggingPluginTests: XCTestCase {
    static var buildDirectory: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while url.path.contains(".xctest") { url.deleteLastPathComponent() }
        return url
    }

    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "tollgate-tagging-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var ledgerPath: String { directory + "/ledger.sqlite" }

    /// The plugin with `config` (JSON text) plus an absolute ledger path
    /// (the fake host has no storage directory).
    func load(_ config: String = "{}") throws -> PluginUnderTest {
        var json = try JSONValue.parse(config)
        if case .object(var object) = json, object["ledger"] == nil {
            object["ledger"] = .object(JSONObject([("path", .string(ledgerPath))]))
            json = .object(object)
        }
        let plugin = try PluginUnderTest(libraryPath: Self.buildDirectory.appendingPathComponent("libtollgate_tagging.so").path,
                                         config: json)
        LedgerFixture.serve(plugin.host, at: ledgerPath)
        return plugin
    }

    // MARK: Attribution

    func testIdentityHeadersMetadataAndUserBecomeAttributes() throws {
        let plugin = try load()
        let call = FakeCall(headers: [("X-Tollgate-Feature", "checkout"), ("x-tollgate-environment", "prod"),
                                      ("x-tollgate-use-case", "autocomplete"), ("x-tollgate-tag-Cost-Center", "cc-42"),
                                      ("x-tollgate-tag-team", "someone-else"), ("x-unrelated", "1")],
                            identity: .init(keyID: "payments-prod", org: "acme", team: "payments",
                                            owner: "lead@example.com", keyClass: "production"),
                            metadata: [("feature", "from-metadata"), ("experiment", "exp-7"), ("user_id", "u-1")],
                            endUser: "u-1")
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.attribute("org"), "acme")
        XCTAssertEqual(call.attribute("team"), "payments", "a request cannot re-attribute itself")
        XCTAssertEqual(call.attribute("key_id"), "payments-prod")
        XCTAssertEqual(call.attribute("owner"), "lead@example.com")
        XCTAssertEqual(call.attribute("key_class"), "production")
        XCTAssertEqual(call.attribute("end_user"), "u-1")
        XCTAssertEqual(call.attribute("feature"), "checkout", "headers win over metadata")
        XCTAssertEqual(call.attribute("environment"), "prod")
        XCTAssertEqual(call.attribute("experiment"), "exp-7")
        XCTAssertEqual(call.attribute("use_case"), "autocomplete")
        XCTAssertEqual(call.attribute("cost_center"), "cc-42")
        XCTAssertNil(call.attribute("user_id"))
        XCTAssertNil(call.attribute("unrelated"))
        XCTAssertNil(call.attribute("untagged"))
        try plugin.postCall(call)
    }

    // MARK: Taxonomy

    let taxonomy = #"""
        {"on_missing": "reject",
         "required": {"production": ["feature", "environment"], "experimentation": ["experiment"]},
         "tags": {"feature": {"values": ["checkout", "search"]},
                  "environment": {"values": ["prod", "staging"], "default": "prod"},
                  "experiment": {"pattern": "exp-[0-9]+"}}}
        """#

    func testMissingRequiredTagIsA400NamingWhatAndWhatIsAllowed() throws {
        let plugin = try load(taxonomy)
        let call = FakeCall()
        let pre = try plugin.preCall(call)
        XCTAssertEqual(pre.verdict, .reject)
        let error = try XCTUnwrap(pre.error)
        XCTAssertEqual(error.status, 400)
        XCTAssertEqual(error.type, "invalid_request_error")
        XCTAssertEqual(error.code, "missing_tags")
        XCTAssertTrue(error.message.contains("production key"), error.message)
        XCTAssertTrue(error.message.contains("feature (send header x-tollgate-feature or metadata.feature; "
            + "allowed: one of checkout, search)"), error.message)
        XCTAssertFalse(error.message.contains("environment"), "environment has a default: \(error.message)")
        XCTAssertEqual(call.attribute("environment"), "prod")
        XCTAssertEqual(plugin.host.metricValue("tollgate_tagging_refused_total"), 1)
        try plugin.postCall(call, outcome: "rejected", status: 400)
    }

    func testInvalidValuesAreRefusedWithTheRule() throws {
        let plugin = try load(taxonomy)
        let call = FakeCall(headers: [("x-tollgate-feature", "checkout"), ("x-tollgate-environment", "qa")])
        let error = try XCTUnwrap(try plugin.preCall(call).error)
        XCTAssertEqual(error.code, "invalid_tags")
        XCTAssertTrue(error.message.contains(#"environment="qa" is not allowed (one of prod, staging)"#), error.message)
        try plugin.postCall(call, outcome: "rejected", status: 400)

        let lab = FakeCall(headers: [("x-tollgate-experiment", "exp-12x")], identity: .init(keyClass: "experimentation"),
                           requestID: "req-2")
        let labError = try XCTUnwrap(try plugin.preCall(lab).error)
        XCTAssertTrue(labError.message.contains("matching /exp-[0-9]+/"), labError.message)
        try plugin.postCall(lab, outcome: "rejected", status: 400)

        let good = FakeCall(headers: [("x-tollgate-experiment", "exp-12")], identity: .init(keyClass: "experimentation"),
                            requestID: "req-3")
        XCTAssertEqual(try plugin.preCall(good).verdict, .continue, "experimentation keys need only experiment")
        try plugin.postCall(good)
    }

    func testUntaggedPolicyLetsTheCallThroughTaggedUntagged() throws {
        let plugin = try load(taxonomy.replacingOccurrences(of: #""on_missing": "reject""#, with: #""on_missing": "untagged""#))
        let call = FakeCall(headers: [("x-tollgate-environment", "qa")])
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.attribute("feature"), "untagged")
        XCTAssertEqual(call.attribute("environment"), "untagged")
        XCTAssertEqual(Set((call.attribute("untagged") ?? "").split(separator: ",")), ["feature", "environment"])
        XCTAssertEqual(plugin.host.metricValue("tollgate_tagging_untagged_total", labels: ["feature"]), 1)
        try plugin.postCall(call)
    }

    func testPolicyPerOrgAndUntaggedIsTheDefault() throws {
        let plugin = try load(#"{"required": {"default": ["feature"]}, "orgs": {"strict-co": {"on_missing": "reject"}}}"#)
        let onboarding = FakeCall(identity: .init(org: "acme"))
        XCTAssertEqual(try plugin.preCall(onboarding).verdict, .continue)
        XCTAssertEqual(onboarding.attribute("feature"), "untagged")
        try plugin.postCall(onboarding)
        let strict = FakeCall(identity: .init(org: "strict-co"), requestID: "req-2")
        XCTAssertEqual(try plugin.preCall(strict).verdict, .reject)
        try plugin.postCall(strict, outcome: "rejected", status: 400)
    }

    func testConfigMistakesAreRefusedWithWhereAndWhat() throws {
        let cases: [(String, String)] = [
            (#"{"on_mising": "reject"}"#, "unknown key 'on_mising'; did you mean 'on_missing'?"),
            (#"{"on_missing": "maybe"}"#, "on_missing must be one of reject, untagged"),
            (#"{"tags": {"feature": {"pattern": "([a-z"}}}"#, "tags.feature.pattern"),
            (#"{"tags": {"feature": {"values": ["a"], "pattern": "b"}}}"#, "not both"),
            (#"{"tags": {"env": {"values": ["prod"], "default": "dev"}}}"#, #"tags.env.default: "dev" is not allowed by its own rule (one of prod)"#),
            (#"{"required": {"production": ["team"]}}"#, "comes from the key's identity"),
            (#"{"required": {"production": ["Feature"]}}"#, "is not a tag name"),
            (#"{"ledger": {"path": 7}}"#, "a file path"),
        ]
        for (config, expected) in cases {
            XCTAssertThrowsError(try load(config), config) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(config): \(error)")
            }
        }
    }

    // MARK: The ledger

    func testOneRowPerCallWithEveryOutcomeAndExactCost() throws {
        let plugin = try load(#"{"tags": {"environment": {"default": "prod"}}}"#)
        var expectedCost: Int64 = 0
        let success = FakeCall(stream: true, headers: [("x-tollgate-feature", "checkout"), ("x-tollgate-tag-cost-center", "cc1")],
                               requestID: "req-ok")
        try plugin.preCall(success)
        try plugin.onChunk(success, text: "hi")
        try plugin.postCall(success, usage: (in: 1200, out: 340, cached: 100))
        expectedCost += try XCTUnwrap(FakeHost.cost(price: FakeHost.defaultCatalog["small"]!, tokensIn: 1200,
                                                    tokensOut: 340, tokensCached: 100))

        let rejected = FakeCall(headers: [("x-tollgate-feature", "search")], requestID: "req-rejected")
        try plugin.preCall(rejected)
        rejected.decidedBy = "budget"
        rejected.outcomeDetail = "team budget exhausted"
        try plugin.postCall(rejected, outcome: "rejected", status: 429)

        let aborted = FakeCall(model: "large", stream: true, requestID: "req-aborted")
        try plugin.preCall(aborted)
        try plugin.onChunk(aborted, text: "partial")
        aborted.usageEstimated = true
        try plugin.postCall(aborted, usage: (in: 50, out: 7, cached: 0), outcome: "client_disconnect", status: 200)
        expectedCost += try XCTUnwrap(FakeHost.cost(price: FakeHost.defaultCatalog["large"]!, tokensIn: 50, tokensOut: 7,
                                                    tokensCached: 0))

        let upstreamError = FakeCall(requestID: "req-500")
        try plugin.preCall(upstreamError)
        try plugin.postCall(upstreamError, outcome: "upstream_error", status: 500)
        plugin.destroy()
        try LedgerFixture.write(plugin.host.ledgerRows, to: ledgerPath)

        let report = try Self.report(ledgerPath, by: "request_id,outcome,status,decided_by,feature,environment,"
            + "tag.cost_center,model,estimated,stream,key,class")
        let rows = Dictionary(uniqueKeysWithValues: try report.groups().map { ($0["request_id"] as? String ?? "", $0) })
        XCTAssertEqual(Set(rows.keys), ["req-ok", "req-rejected", "req-aborted", "req-500"])
        let ok = try XCTUnwrap(rows["req-ok"])
        XCTAssertEqual(ok["outcome"] as? String, "success")
        XCTAssertEqual(ok["status"] as? String, "200")
        XCTAssertEqual(ok["feature"] as? String, "checkout")
        XCTAssertEqual(ok["environment"] as? String, "prod")
        XCTAssertEqual(ok["tag.cost_center"] as? String, "cc1")
        XCTAssertEqual(ok["stream"] as? String, "1")
        XCTAssertEqual(ok["key"] as? String, "test-key")
        XCTAssertEqual(ok["class"] as? String, "production")
        XCTAssertEqual(Self.int(ok["tokens_in"]), 1200)
        XCTAssertEqual(Self.int(ok["tokens_out"]), 340)
        XCTAssertEqual(Self.int(ok["tokens_cached"]), 100)
        let rejectedRow = try XCTUnwrap(rows["req-rejected"])
        XCTAssertEqual(rejectedRow["decided_by"] as? String, "budget")
        XCTAssertEqual(rejectedRow["status"] as? String, "429")
        XCTAssertEqual(Self.int(rejectedRow["cost_nanos"]), 0)
        let abortedRow = try XCTUnwrap(rows["req-aborted"])
        XCTAssertEqual(abortedRow["estimated"] as? String, "1")
        XCTAssertEqual(abortedRow["model"] as? String, "large")
        XCTAssertEqual(abortedRow["outcome"] as? String, "client_disconnect")
        XCTAssertEqual(rows["req-500"]?["outcome"] as? String, "upstream_error")
        XCTAssertEqual(Self.int(report.total["cost_nanos"]), expectedCost)
        XCTAssertEqual(Self.int(report.total["requests"]), 4)
        XCTAssertEqual(plugin.host.metricValue("tollgate_ledger_rows_total", labels: ["success"]), 1)
    }

    func testConcurrentCallsAllReachTheLedger() throws {
        let plugin = try load()
        let threads = 8, perThread = 150
        let costs = Locked<Int64>(0)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                let call = FakeCall(headers: [("x-tollgate-feature", "f\(t % 3)")], requestID: "req-\(t)-\(i)")
                try! plugin.preCall(call)
                let usage = (in: Int64(100 + i), out: Int64(t + 1), cached: Int64(0))
                try! plugin.postCall(call, usage: usage)
                let cost = FakeHost.cost(price: FakeHost.defaultCatalog["small"]!, tokensIn: usage.in, tokensOut: usage.out,
                                         tokensCached: 0)!
                costs.withLock { $0 += cost }
            }
        }
        XCTAssertEqual(plugin.host.callsAwaitingPostCall, 0)
        plugin.destroy()
        try LedgerFixture.write(plugin.host.ledgerRows, to: ledgerPath)
        let report = try Self.report(ledgerPath, by: "feature")
        XCTAssertEqual(Self.int(report.total["requests"]), Int64(threads * perThread))
        XCTAssertEqual(Self.int(report.total["cost_nanos"]), costs.withLock { $0 })
        XCTAssertEqual(try report.groups().count, 3)
    }

    // MARK: Grants

    func testRowsRecordTheGrantPathAndTheOwnerOfTheDeepestGrant() throws {
        let plugin = try load()
        plugin.host.setGrants([
            FakeHost.grant(id: "acme", scope: "org/acme", owner: "cfo@x"),
            FakeHost.grant(id: "recs", scope: "team/acme/recs", parent: "acme", owner: "head@x"),
            FakeHost.grant(id: "recs-search", scope: "feature/acme/recs/search", parent: "recs", owner: "lead@x"),
        ])
        var costs: [String: Int64] = [:]
        for (id, path, tokensIn) in [("req-search", [0, 1, 2], Int64(1000)), ("req-recs", [0, 1], 300), ("req-org", [0], 70),
                                     ("req-none", [], 5)] {
            let call = FakeCall(headers: [("x-tollgate-feature", "search")], requestID: id)
            call.grantPath = path
            try plugin.preCall(call)
            try plugin.postCall(call, usage: (in: tokensIn, out: 10, cached: 0))
            costs[id] = try XCTUnwrap(FakeHost.cost(price: FakeHost.defaultCatalog["small"]!, tokensIn: tokensIn, tokensOut: 10,
                                                    tokensCached: 0))
        }
        plugin.destroy()
        try LedgerFixture.write(plugin.host.ledgerRows, to: ledgerPath)

        // Each row under every grant on its path.
        let byRequest = try Self.report(ledgerPath, by: "request_id,grant,grant_owner")
        var grantsOf: [String: Set<String>] = [:]
        var ownerOf: [String: String] = [:]
        for group in try byRequest.groups() {
            let request = try XCTUnwrap(group["request_id"] as? String)
            grantsOf[request, default: []].insert(group["grant"] as? String ?? "(none)")
            ownerOf[request] = group["grant_owner"] as? String ?? "(none)"
        }
        XCTAssertEqual(grantsOf, ["req-search": ["acme", "recs", "recs-search"], "req-recs": ["acme", "recs"],
                                  "req-org": ["acme"], "req-none": ["(none)"]])
        XCTAssertEqual(ownerOf, ["req-search": "lead@x", "req-recs": "head@x", "req-org": "cfo@x", "req-none": "(none)"],
                       "the owner of the deepest grant")
        XCTAssertEqual(Self.int(byRequest.total["requests"]), 4, "the total counts each request once")

        let byGrant = try Self.report(ledgerPath, by: "grant")
        let grantCost = Dictionary(uniqueKeysWithValues: try byGrant.groups().map {
            ($0["grant"] as? String ?? "(none)", Self.int($0["cost_nanos"]) ?? -1)
        })
        XCTAssertEqual(grantCost, ["acme": costs["req-search"]! + costs["req-recs"]! + costs["req-org"]!,
                                   "recs": costs["req-search"]! + costs["req-recs"]!, "recs-search": costs["req-search"]!,
                                   "(none)": costs["req-none"]!], "grants nest: a parent includes its children")
        XCTAssertEqual(Self.int(byGrant.total["cost_nanos"]), costs.values.reduce(0, +))
    }

    func testAHostOlderThanTheLedgerABIIsRefused() throws {
        // The ledger is the host's since ABI 1.6: on an older host the
        // plugin would have nowhere to write, so it does not load.
        XCTAssertThrowsError(try PluginUnderTest(libraryPath: Self.buildDirectory.appendingPathComponent("libtollgate_tagging.so").path,
                                                 config: .object(JSONObject()), hostMinor: 5))
    }

    func testRowsGoThroughTheHostAndARefusedAppendIsCountedAndLogged() throws {
        let plugin = try load()
        let call = FakeCall(requestID: "req-1")
        try plugin.preCall(call)
        try plugin.postCall(call, usage: (in: 10, out: 1, cached: 0))
        let row = try XCTUnwrap(plugin.host.ledgerRows.first)
        XCTAssertEqual(row["request_id"], .string("req-1"))
        XCTAssertEqual(row["outcome"], .string("success"))
        XCTAssertEqual(row["grant_ids"], .array([]))
        XCTAssertEqual(plugin.host.metricValue("tollgate_ledger_rows_total", labels: ["success"]), 1)

        plugin.host.setLedgerEnabled(false)  // the host keeps no ledger (or is closing)
        let lost = FakeCall(requestID: "req-lost")
        try plugin.preCall(lost)
        try plugin.postCall(lost)
        XCTAssertEqual(plugin.host.ledgerRows.count, 1)
        XCTAssertEqual(plugin.host.metricValue("tollgate_ledger_write_errors_total"), 1)
        XCTAssertTrue(plugin.host.logs.contains { $0.message.contains("req-lost") && $0.message.contains("UNAVAILABLE") },
                      "\(plugin.host.logs)")
    }

    // MARK: Reading the ledger back

    struct Report {
        var object: [String: Any]
        var total: [String: Any] { object["total"] as? [String: Any] ?? [:] }
        func groups() throws -> [[String: Any]] { try XCTUnwrap(object["groups"] as? [[String: Any]]) }
    }

    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    /// `tollgate report spend --format json` on the ledger.
    static func report(_ path: String, by: String) throws -> Report {
        let process = Process()
        process.executableURL = buildDirectory.appendingPathComponent("tollgate")
        process.arguments = ["report", "spend", "--db", path, "--by", by, "--format", "json"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw NSError(domain: "report", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: message])
        }
        return Report(object: try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }
}
