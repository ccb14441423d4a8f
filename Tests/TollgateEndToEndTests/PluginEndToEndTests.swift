import Foundation
import XCTest

/// Verdicts and the post_call guarantee, with C test plugins compiled by the
/// system compiler and loaded by the real binary.
final class PluginEndToEndTests: XCTestCase {
    static var mock: MockProviderProcess!
    static var pluginDir: String!
    static var recorder: String!

    override class func setUp() {
        super.setUp()
        do {
            mock = try MockProviderProcess()
            pluginDir = TestPaths.temporaryDirectory("plugins")
            recorder = try CPluginBuilder.fixture("recorder", into: pluginDir)
        } catch {
            XCTFail("setup failed: \(error)")
        }
    }

    override class func tearDown() {
        mock?.stop()
        super.tearDown()
    }

    /// A gateway with recorder instances configured by `entries` (one
    /// YAML mapping per instance, `path` filled in).
    func gateway(_ entries: [String], log: String) throws -> GatewayProcess {
        let dir = TestPaths.temporaryDirectory("gw")
        var plugins = "plugins:\n"
        for entry in entries {
            // Entries are written "key: value | key: value" for readability.
            let lines = entry.replacingOccurrences(of: "LOG", with: log).replacingOccurrences(of: " | ", with: "\n    ")
            plugins += "  - path: \(Self.recorder!)\n    \(lines)\n"
        }
        return try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: dir + "/data", plugins: plugins),
                                  directory: dir)
    }

    func chat(_ port: Int, _ content: String, model: String = "small", stream: Bool = false,
              key: String = TestConfig.prodKey) throws -> HTTPResponse {
        let json = #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"\#(content)"}]}"#
        return try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: key, json: json)
    }

    func testRejectVerdictEndsTheChainAndEarlierPluginsGetPostCall() throws {
        let log = TestPaths.temporaryDirectory("log") + "/hooks.log"
        let gw = try gateway([
            #"id: first | config: {name: first, log: "LOG"}"#,
            #"id: gatekeeper | config: {name: gatekeeper, log: "LOG", action: reject, status: 429}"#,
            #"id: never | config: {name: never, log: "LOG"}"#,
        ], log: log)
        defer { gw.stop() }
        let before = try Self.mock.stats()["total"] as? Int ?? 0
        let response = try chat(gw.port, "hello")
        XCTAssertEqual(response.status, 429)
        XCTAssertEqual(response.header("retry-after"), "7")
        let error = try XCTUnwrap(try response.json()["error"] as? [String: Any])
        XCTAssertEqual(error["type"] as? String, "rate_limit_exceeded")
        XCTAssertEqual(error["code"] as? String, "test_reject")
        XCTAssertEqual(try Self.mock.stats()["total"] as? Int ?? 0, before, "a rejected call must not reach the upstream")

        let lines = try HookLog.wait(log, until: { $0.filter { $0.hasPrefix("post") }.count >= 2 })
        XCTAssertEqual(lines.filter { $0.hasPrefix("pre ") }.map { $0.split(separator: " ")[1] }, ["first", "gatekeeper"])
        // Reverse order, both with the outcome, and "never" never entered.
        let posts = lines.filter { $0.hasPrefix("post") }
        XCTAssertEqual(posts.map { $0.split(separator: " ")[1] }, ["gatekeeper", "first"])
        XCTAssertTrue(posts.allSatisfy { $0.split(separator: " ")[3] == "rejected" }, "\(posts)")
        XCTAssertFalse(lines.contains { $0.contains("never") })
    }

    func testRespondVerdictAnswersWithoutTheUpstream() throws {
        let log = TestPaths.temporaryDirectory("log") + "/hooks.log"
        let gw = try gateway([#"config: {name: cache, log: "LOG", action: respond}"#], log: log)
        defer { gw.stop() }
        let response = try chat(gw.port, "hello")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, #"{"synthetic":true}"#)
        let lines = try HookLog.wait(log, until: { $0.contains { $0.hasPrefix("post") } })
        XCTAssertTrue(lines.contains { $0.hasPrefix("post cache") && $0.contains(" responded ") })
        // Hook time per plugin and hook is on /metrics.
        let metrics = try HTTP.request(port: gw.port, method: "GET", path: "/metrics").text
        for hook in ["pre_call", "post_call"] {
            XCTAssertTrue(metrics.contains(#"tollgate_plugin_hook_duration_seconds_count{plugin="librecorder",hook="\#(hook)"} 1"#),
                          metrics)
        }
    }

    func testModifyVerdictsReachTheUpstreamAndTheClient() throws {
        let log = TestPaths.temporaryDirectory("log") + "/hooks.log"
        let gw = try gateway([
            #"id: router | config: {name: router, log: "LOG", action: set_model, model: large, stamp: v7}"#,
            #"id: redactor | config: {name: redactor, log: "LOG", redact: secret}"#,
            #"id: shouter | config: {name: shouter, log: "LOG", upper_chunks: 1}"#,
        ], log: log)
        defer { gw.stop() }
        let response = try chat(gw.port, "my secret is safe [[mock echo=1]]")
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("x-tollgate-model"), "large")
        XCTAssertEqual(response.header("x-test-stamp"), "v7")
        let upstream = try XCTUnwrap(try Self.mock.receivedRequests().last)
        XCTAssertEqual(upstream["model"] as? String, "mock-large-v1")
        let sent = ((upstream["messages"] as? [[String: Any]])?.first?["content"] as? String) ?? ""
        XCTAssertFalse(sent.contains("secret"), "the redacted word reached the upstream: \(sent)")
        XCTAssertTrue(sent.contains("[REDACTED]"))
        // The chunk hook rewrote the (non-stream) body's text.
        let content = (((try response.json()["choices"]) as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
        XCTAssertEqual(content?.hasPrefix("<<"), true, content ?? "")

        // Streams: every text event is rewritten.
        let stream = try chat(gw.port, "stream it", stream: true)
        let texts = SSE.dataLines(stream.body).filter { $0.contains("\"content\":\"") && !$0.contains("\"content\":\"\"") }
        XCTAssertFalse(texts.isEmpty)
        XCTAssertTrue(texts.allSatisfy { $0.contains("<<") }, "\(texts)")
    }

    /// TOKENS_OUT in on_chunk of a whole answer: the provider's count when
    /// it sent one (the text is not read for an estimate then), else the
    /// estimate from the text.
    func testRunningOutputTokensOfAWholeAnswer() throws {
        let log = TestPaths.temporaryDirectory("log") + "/hooks.log"
        let gw = try gateway([#"id: counter | config: {name: counter, log: "LOG"}"#], log: log)
        defer { gw.stop() }
        // 40 tokens "tok0 tok1 ... tok39": 229 bytes, which the estimate
        // (4 bytes a token, rounded up) makes 58.
        for usage in [1, 0] {
            let response = try chat(gw.port, "count these [[mock tokens=40 usage=\(usage)]]")
            XCTAssertEqual(response.status, 200, response.text)
        }
        let chunks = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("chunk ") }
        let counts = chunks.compactMap { $0.split(separator: " ").last.flatMap { Int64($0) } }
        XCTAssertEqual(counts, [40, 58], "the provider's count when it sent one, else the estimate from the text: \(chunks)")
    }

    func testAPluginCannotRouteAKeyOutOfItsScope() throws {
        let log = TestPaths.temporaryDirectory("log") + "/hooks.log"
        let gw = try gateway([#"config: {name: upsell, log: "LOG", action: set_model, model: large}"#], log: log)
        defer { gw.stop() }
        let response = try chat(gw.port, "hello", key: TestConfig.labKey)
        XCTAssertEqual(response.status, 403, response.text)
        XCTAssertTrue(response.text.contains("large"))
        let lines = try HookLog.wait(log, until: { $0.contains { $0.hasPrefix("post") } })
        XCTAssertTrue(lines.contains { $0.hasPrefix("post upsell") && $0.contains(" rejected 403 ") }, "\(lines)")
    }

    func testFailPolicies() throws {
        let log = TestPaths.temporaryDirectory("log") + "/hooks.log"
        let closed = try gateway([#"fail: closed | config: {name: strict, log: "LOG", action: error}"#], log: log)
        let failed = try chat(closed.port, "hello")
        closed.stop()
        XCTAssertEqual(failed.status, 503)
        XCTAssertEqual(((try failed.json()["error"]) as? [String: Any])?["type"] as? String, "plugin_error")

        let open = try gateway([#"fail: open | config: {name: lenient, log: "LOG", action: error}"#], log: log)
        defer { open.stop() }
        XCTAssertEqual(try chat(open.port, "hello").status, 200)
    }

    func testChunkAbortAfterTheFirstByteEndsWithATerminalEvent() throws {
        let log = TestPaths.temporaryDirectory("log") + "/hooks.log"
        let gw = try gateway([#"config: {name: censor, log: "LOG", abort_after: 2}"#], log: log)
        defer { gw.stop() }
        let response = try chat(gw.port, "a long answer [[mock chunks=10]]", stream: true)
        XCTAssertEqual(response.status, 200)
        let data = SSE.dataLines(response.body)
        XCTAssertTrue(data.last?.contains("\"error\"") == true, "\(data)")
        XCTAssertFalse(data.contains("[DONE]"))
        let lines = try HookLog.wait(log, until: { $0.contains { $0.hasPrefix("post") } })
        XCTAssertTrue(lines.contains { $0.hasPrefix("post censor") && $0.contains(" aborted ") }, "\(lines)")
    }

    /// Every plugin whose pre_call ran gets exactly one post_call: on
    /// success, upstream error, reject by a later plugin, client disconnect.
    func testPostCallExactlyOnceForEveryEnteredPlugin() throws {
        let log = TestPaths.temporaryDirectory("log") + "/hooks.log"
        let gw = try gateway([
            #"id: a | config: {name: a, log: "LOG"}"#,
            #"id: b | config: {name: b, log: "LOG"}"#,
        ], log: log)
        // success, stream success, upstream 500
        XCTAssertEqual(try chat(gw.port, "ok").status, 200)
        XCTAssertEqual(try chat(gw.port, "ok", stream: true).status, 200)
        XCTAssertEqual(try chat(gw.port, "boom [[mock fail=500]]").status, 500)
        XCTAssertEqual(try chat(gw.port, "cut [[mock fail=cut chunks=6]]", stream: true).status, 200)
        // client disconnect mid-stream
        let connection = try HTTPConnection(port: gw.port)
        let body = #"{"model":"small","stream":true,"messages":[{"role":"user","content":"slow [[mock chunks=40 delay_ms=50]]"}]}"#
        try connection.send(method: "POST", path: "/v1/chat/completions",
                            headers: [("authorization", "Bearer \(TestConfig.prodKey)"), ("content-type", "application/json")],
                            body: Array(body.utf8))
        _ = try connection.readResponse(onChunk: { _ in false })  // first chunk, then hang up
        close(connection.fd)
        _ = try HookLog.wait(log, until: { $0.filter { $0.hasPrefix("post") }.count >= 10 })
        gw.stop()

        let rejectLog = TestPaths.temporaryDirectory("log") + "/reject.log"
        let rejecting = try gateway([
            #"id: a | config: {name: a, log: "LOG"}"#,
            #"id: b | config: {name: b, log: "LOG", action: reject}"#,
        ], log: rejectLog)
        defer { rejecting.stop() }
        XCTAssertEqual(try chat(rejecting.port, "no").status, 429)

        for path in [log, rejectLog] {
            let lines = try HookLog.wait(path, until: { lines in
                let pre = lines.filter { $0.hasPrefix("pre ") }.count
                return pre > 0 && lines.filter { $0.hasPrefix("post ") }.count == pre
            })
            var counts: [String: Int] = [:]
            for line in lines {
                let f = line.split(separator: " ").map(String.init)
                guard f.count >= 3 else { continue }
                if f[0] == "pre" { counts["\(f[1]) \(f[2])", default: 0] += 1 }
                if f[0] == "post" { counts["\(f[1]) \(f[2])", default: 0] -= 1 }
            }
            XCTAssertTrue(counts.values.allSatisfy { $0 == 0 }, "unpaired hooks in \(path): \(counts)\n\(lines.joined(separator: "\n"))")
        }
        let outcomes = Set(try HookLog.read(log).filter { $0.hasPrefix("post a") }.map { String($0.split(separator: " ")[3]) })
        XCTAssertEqual(outcomes, ["success", "upstream_error", "upstream_failure", "client_disconnect"])
        let destroyed = try HookLog.read(log).filter { $0.hasPrefix("destroy") }
        XCTAssertEqual(destroyed.count, 2, "a graceful stop destroys every instance")
    }
}

/// Reads the recorder plugin's hook log.
enum HookLog {
    static func read(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }

    /// Polls (bounded) until `condition` holds on the log's lines.
    static func wait(_ path: String, timeout: TimeInterval = 15, until condition: ([String]) -> Bool) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let lines = try read(path)
            if condition(lines) { return lines }
            if Date() > deadline { throw TestFailure("log \(path) did not reach the expected state:\n\(lines.joined(separator: "\n"))") }
            usleep(20_000)
        }
    }
}
