import Foundation
import XCTest

/// The ledger the tagging plugin writes, through the real binary: one row
/// per request that reached the gateway with a valid key, whatever its
/// outcome; nothing lost on SIGTERM; committed rows kept on SIGKILL.
final class LedgerEndToEndTests: XCTestCase {
    static var mock: MockProviderProcess!

    override class func setUp() {
        super.setUp()
        do { mock = try MockProviderProcess() } catch { XCTFail("mock provider: \(error)") }
    }

    override class func tearDown() {
        mock?.stop()
        super.tearDown()
    }

    static let taggingFirst = """
        plugins:
          - name: tagging
            config:
              on_missing: reject
              required: {production: [feature]}
              tags:
                environment: {values: [prod, staging], default: prod}
        """

    func startGateway(plugins: String = LedgerEndToEndTests.taggingFirst) throws -> (GatewayProcess, ledger: String) {
        let dir = TestPaths.temporaryDirectory("ledger")
        let gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: dir + "/data", plugins: plugins),
                                         directory: dir)
        return (gateway, dir + "/data/ledger.sqlite")
    }

    func chat(_ port: Int, _ content: String, model: String = "small", stream: Bool = false, key: String = TestConfig.prodKey,
              feature: String? = "checkout") throws -> HTTPResponse {
        let json = #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"\#(content)"}]}"#
        return try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: key, json: json,
                                 headers: feature.map { [("x-tollgate-feature", $0)] } ?? [])
    }

    func testEveryRequestWithAValidKeyGetsARow() throws {
        let (gw, ledger) = try startGateway()
        defer { gw.stop() }
        var ids: [String: String] = [:]  // label -> x-request-id
        func record(_ label: String, _ response: HTTPResponse, _ status: Int) {
            XCTAssertEqual(response.status, status, "\(label): \(response.text)")
            ids[label] = response.header("x-request-id")
        }
        record("ok", try chat(gw.port, "hello ledger"), 200)
        record("stream", try chat(gw.port, "stream it", stream: true), 200)
        let anthropic = try HTTP.postJSON(port: gw.port, path: "/v1/messages", key: TestConfig.prodKey,
                                          json: #"{"model":"claude-small","max_tokens":9,"stream":true,"metadata":{"feature":"search"},"messages":[{"role":"user","content":"hi"}]}"#)
        record("anthropic", anthropic, 200)
        record("upstream500", try chat(gw.port, "boom [[mock fail=500]]"), 500)
        record("untagged", try chat(gw.port, "no feature", feature: nil), 400)
        record("scope", try chat(gw.port, "too big", model: "large", key: TestConfig.labKey), 403)
        record("cut", try chat(gw.port, "cut [[mock fail=cut chunks=6]]", stream: true), 200)
        XCTAssertEqual(try chat(gw.port, "who?", key: "tg-not-a-key").status, 401)
        // A client that hangs up mid-stream.
        let connection = try HTTPConnection(port: gw.port)
        let body = #"{"model":"small","stream":true,"messages":[{"role":"user","content":"slow [[mock chunks=40 delay_ms=50]]"}]}"#
        try connection.send(method: "POST", path: "/v1/chat/completions",
                            headers: [("authorization", "Bearer \(TestConfig.prodKey)"), ("content-type", "application/json"),
                                      ("x-tollgate-feature", "checkout")], body: Array(body.utf8))
        _ = try connection.readResponse(onChunk: { _ in false })
        close(connection.fd)

        let rows = try LedgerReader.waitForRows(ledger, count: 8,
                                                by: "request_id,outcome,status,decided_by,feature,environment,model,key,stream,estimated")
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0["request_id"] as? String ?? "?", $0) })
        XCTAssertEqual(rows.count, 8, "one row per request with a valid key, none for the bad key")
        func row(_ label: String) throws -> [String: Any] {
            let id = try XCTUnwrap(ids[label], "no x-request-id for \(label)")
            return try XCTUnwrap(byID[id], "no ledger row for \(label) (\(id))")
        }
        let ok = try row("ok")
        XCTAssertEqual(ok["outcome"] as? String, "success")
        XCTAssertEqual(ok["feature"] as? String, "checkout")
        XCTAssertEqual(ok["environment"] as? String, "prod")
        XCTAssertEqual(ok["key"] as? String, "payments-prod")
        // The mock's usage: ceil(12 bytes / 4) in, 16 out, at 0.40 / 1.60 per Mtok.
        XCTAssertEqual(LedgerReader.int(ok["tokens_in"]), 3)
        XCTAssertEqual(LedgerReader.int(ok["tokens_out"]), 16)
        let expectedCost: Int64 = (3 * 400_000_000 + 16 * 1_600_000_000 + 999_999) / 1_000_000
        XCTAssertEqual(LedgerReader.int(ok["cost_nanos"]), expectedCost)
        XCTAssertEqual(try row("stream")["stream"] as? String, "1")
        XCTAssertEqual(try row("stream")["estimated"] as? String, "0", "OpenAI streams carry measured usage")
        let claude = try row("anthropic")
        XCTAssertEqual(claude["feature"] as? String, "search", "body metadata is a tag source")
        XCTAssertEqual(claude["model"] as? String, "claude-small")
        XCTAssertEqual(LedgerReader.int(claude["tokens_out"]), 9)
        XCTAssertEqual(try row("upstream500")["outcome"] as? String, "upstream_error")
        XCTAssertEqual(try row("upstream500")["status"] as? String, "500")
        let untagged = try row("untagged")
        XCTAssertEqual(untagged["outcome"] as? String, "rejected")
        XCTAssertEqual(untagged["decided_by"] as? String, "tagging")
        XCTAssertEqual(untagged["status"] as? String, "400")
        XCTAssertEqual(LedgerReader.int(untagged["cost_nanos"]), 0)
        let scope = try row("scope")
        XCTAssertEqual(scope["decided_by"] as? String, "core")
        XCTAssertEqual(scope["key"] as? String, "payments-lab")
        XCTAssertEqual(try row("cut")["outcome"] as? String, "upstream_failure")
        XCTAssertTrue(rows.contains { $0["outcome"] as? String == "client_disconnect" }, "\(rows)")

        // The daily rollup, kept by the ledger's trigger as the writer
        // inserted these rows (refused ones, no model, no feature among
        // them), answers as the rows do.
        for by in ["", "day,org,team,feature,model,provider,owner,class,grant_owner", "grant,month,class"] {
            let rollup = try LedgerReader.report(ledger, by: by)
            let fromRows = try LedgerReader.report(ledger, by: by, extra: ["--no-rollup"])
            XCTAssertEqual(NSDictionary(dictionary: rollup.object), NSDictionary(dictionary: fromRows.object), "--by \(by)")
            XCTAssertEqual(LedgerReader.int(rollup.total["requests"]), 8)
        }
    }

    /// An Anthropic stream cut mid-way (by the upstream, or by the client)
    /// is billed for what was produced, marked estimated: message_start's
    /// placeholder output count (1) is not the final usage. A stream the
    /// client hung up on keeps the status it was sent (200).
    func testCutAnthropicStreamsAreEstimatedFromWhatWasProduced() throws {
        let (gw, ledger) = try startGateway()
        defer { gw.stop() }
        func messages(_ prompt: String) -> String {
            #"{"model":"claude-small","max_tokens":200,"stream":true,"metadata":{"feature":"search"},"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        }
        let cut = try HTTP.postJSON(port: gw.port, path: "/v1/messages", key: TestConfig.prodKey,
                                    json: messages("cut [[mock fail=cut chunks=20 tokens=40]]"))
        XCTAssertEqual(cut.status, 200, cut.text)
        let cutID = try XCTUnwrap(cut.header("x-request-id"))

        let connection = try HTTPConnection(port: gw.port)
        try connection.send(method: "POST", path: "/v1/messages",
                            headers: [("x-api-key", TestConfig.prodKey), ("content-type", "application/json")],
                            body: Array(messages("slow [[mock chunks=40 tokens=40 delay_ms=40]]").utf8))
        var deltas = 0
        let hungUp = try connection.readResponse(onChunk: { chunk in
            deltas += String(decoding: chunk, as: UTF8.self).components(separatedBy: "text_delta").count - 1
            return deltas < 10
        })
        close(connection.fd)
        let hungUpID = try XCTUnwrap(hungUp.header("x-request-id"))

        let rows = try LedgerReader.waitForRows(ledger, count: 2, by: "request_id,outcome,status,estimated")
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0["request_id"] as? String ?? "?", $0) })
        let cutRow = try XCTUnwrap(byID[cutID], "\(rows)")
        XCTAssertEqual(cutRow["outcome"] as? String, "upstream_failure")
        XCTAssertEqual(cutRow["estimated"] as? String, "1", "no message_delta arrived: the output count is an estimate")
        XCTAssertGreaterThan(LedgerReader.int(cutRow["tokens_out"]) ?? 0, 5, "billed for the ~20 tokens sent, not 1: \(cutRow)")
        let hungUpRow = try XCTUnwrap(byID[hungUpID], "\(rows)")
        XCTAssertEqual(hungUpRow["outcome"] as? String, "client_disconnect")
        XCTAssertEqual(hungUpRow["status"] as? String, "200", "the client was sent 200 before it hung up")
        XCTAssertEqual(hungUpRow["estimated"] as? String, "1")
        XCTAssertGreaterThanOrEqual(LedgerReader.int(hungUpRow["tokens_out"]) ?? 0, 10, "at least the deltas delivered: \(hungUpRow)")
    }

    /// Two pipelined requests: the second, a slow stream the client hangs
    /// up on, is recorded as a disconnect (the first response's end used to
    /// reset the connection's handler under it, and the hang-up was lost).
    func testAHangUpDuringAPipelinedSecondCallReachesThatCall() throws {
        let (gw, ledger) = try startGateway()
        defer { gw.stop() }
        let connection = try HTTPConnection(port: gw.port)
        let headers = [("authorization", "Bearer \(TestConfig.prodKey)"), ("content-type", "application/json"),
                       ("x-tollgate-feature", "checkout")]
        let first = #"{"model":"small","messages":[{"role":"user","content":"first"}]}"#
        let second = #"{"model":"small","stream":true,"messages":[{"role":"user","content":"second [[mock chunks=40 delay_ms=50]]"}]}"#
        try connection.send(method: "POST", path: "/v1/chat/completions", headers: headers, body: Array(first.utf8))
        try connection.send(method: "POST", path: "/v1/chat/completions", headers: headers, body: Array(second.utf8))
        XCTAssertEqual(try connection.readResponse().status, 200)
        let streamed = try connection.readResponse(onChunk: { _ in false })
        let secondID = try XCTUnwrap(streamed.header("x-request-id"))
        close(connection.fd)
        let rows = try LedgerReader.waitForRows(ledger, count: 2, by: "request_id,outcome")
        let row = try XCTUnwrap(rows.first { $0["request_id"] as? String == secondID }, "\(rows)")
        XCTAssertEqual(row["outcome"] as? String, "client_disconnect")
    }

    func testSIGTERMLosesNoRow() throws {
        let (gw, ledger) = try startGateway()
        // A stream still running when the signal arrives is drained, and
        // its row written, before the process exits.
        let slow = try HTTPConnection(port: gw.port)
        let body = #"{"model":"small","stream":true,"messages":[{"role":"user","content":"slow [[mock chunks=40 delay_ms=50]]"}]}"#
        try slow.send(method: "POST", path: "/v1/chat/completions",
                      headers: [("authorization", "Bearer \(TestConfig.prodKey)"), ("content-type", "application/json"),
                                ("x-tollgate-feature", "checkout")], body: Array(body.utf8))
        _ = try slow.readHead()
        let count = 40
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<count / 4 {
                XCTAssertEqual(try? chat(gw.port, "burst \(worker) \(i)").status, 200)
            }
        }
        gw.process.signal(SIGTERM)
        // The stream in flight is finished, not cut, by a graceful stop.
        var streamed: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(slow.fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            streamed.append(contentsOf: buffer[0..<n])
            if String(decoding: streamed, as: UTF8.self).contains("[DONE]") { break }
        }
        XCTAssertTrue(String(decoding: streamed, as: UTF8.self).contains("[DONE]"), "the in-flight stream was cut")
        XCTAssertEqual(try gw.process.waitForExit(timeout: 30), 0)
        let report = try LedgerReader.report(ledger, by: "outcome")
        XCTAssertEqual(LedgerReader.int(report.total["requests"]), Int64(count + 1),
                       "every request answered before or during shutdown has its row: \(report.object)")
    }

    func testCommittedRowsSurviveSIGKILL() throws {
        let (gw, ledger) = try startGateway()
        for i in 0..<25 { XCTAssertEqual(try chat(gw.port, "row \(i)").status, 200) }
        // A response completes only once its row is committed (the host binds
        // the row to the call, as a settle): no waiting for the writer here.
        let before = try LedgerReader.report(ledger, by: "request_id").groups()
        XCTAssertEqual(before.count, 25, "every answered request is in the file already")
        gw.process.signal(SIGKILL)
        _ = try gw.process.waitForExit(timeout: 30)
        let after = try LedgerReader.report(ledger, by: "request_id")
        XCTAssertEqual(Set(try after.groups().map { $0["request_id"] as? String ?? "" }),
                       Set(before.map { $0["request_id"] as? String ?? "" }))
        XCTAssertEqual(LedgerReader.int(after.total["requests"]), 25)
    }
}

/// Reads a ledger with the real `tollgate report spend --format json`.
enum LedgerReader {
    struct Report {
        var object: [String: Any]
        var total: [String: Any] { object["total"] as? [String: Any] ?? [:] }
        func groups() throws -> [[String: Any]] {
            guard let groups = object["groups"] as? [[String: Any]] else { throw TestFailure("no groups in \(object)") }
            return groups
        }
    }

    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    static func report(_ path: String, by: String, extra: [String] = []) throws -> Report {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.tollgateBinary)
        process.arguments = ["report", "spend", "--db", path, "--by", by, "--format", "json"] + extra
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("report failed: " + String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("report is not a JSON object")
        }
        return Report(object: object)
    }

    /// Polls (bounded) until the ledger holds at least `count` rows: rows
    /// are committed by the writer thread shortly after the response.
    static func waitForRows(_ path: String, count: Int, by: String, timeout: TimeInterval = 15) throws -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no ledger yet"
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path), let report = try? report(path, by: by) {
                if (int(report.total["requests"]) ?? 0) >= Int64(count) { return try report.groups() }
                last = "\(report.object)"
            }
            usleep(50_000)
        }
        throw TestFailure("the ledger did not reach \(count) rows: \(last)")
    }
}
