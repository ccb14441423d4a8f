import Foundation
import XCTest

/// The same calls with the upstream on the gateway's NIO HTTP/1.1 client.
final class ProxyOnNIOEndToEndTests: ProxyEndToEndTests {
    override class var upstreamTransport: String? { "nio" }
    // Linux's XCTest runs only the test methods a class declares itself.
    override func testOpenAINonStream() throws { try super.testOpenAINonStream() }
    override func testMockHeaderDirectivesReachAMockOnThisMachine() throws { try super.testMockHeaderDirectivesReachAMockOnThisMachine() }
    override func testOpenAIStreamHidesTheUsageChunkUnlessAsked() throws { try super.testOpenAIStreamHidesTheUsageChunkUnlessAsked() }
    override func testAnthropicNonStreamAndStream() throws { try super.testAnthropicNonStreamAndStream() }
    override func testUpstreamErrorsPassThroughByteForByte() throws { try super.testUpstreamErrorsPassThroughByteForByte() }
    override func testAuthenticationAndScopeErrors() throws { try super.testAuthenticationAndScopeErrors() }
    override func testModelsListShowsOnlyWhatTheKeyMayUse() throws { try super.testModelsListShowsOnlyWhatTheKeyMayUse() }
    override func testHealthReadinessAndMetrics() throws { try super.testHealthReadinessAndMetrics() }
    override func testUpstreamUnreachableIs502AndStallIs504() throws { try super.testUpstreamUnreachableIs502AndStallIs504() }
}

/// The real binary, in front of the real mock provider, over loopback, on
/// the default upstream transport (and, through `ProxyOnNIOEndToEndTests`,
/// on the other one).
class ProxyEndToEndTests: XCTestCase {
    static var mock: MockProviderProcess!
    static var gateway: GatewayProcess!
    var port: Int { Self.gateway.port }
    /// `transport:` for the openai provider; nil: the default.
    class var upstreamTransport: String? { nil }

    override class func setUp() {
        super.setUp()
        do {
            mock = try MockProviderProcess()
            let dir = TestPaths.temporaryDirectory("proxy")
            gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: mock.port, storage: dir + "/data")
                                            + TestConfig.providers(transport: upstreamTransport), directory: dir)
        } catch {
            XCTFail("could not start the gateway: \(error)")
        }
    }

    override class func tearDown() {
        gateway?.stop()
        mock?.stop()
        super.tearDown()
    }

    func testOpenAINonStream() throws {
        let response = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                         json: #"{"model":"small","max_tokens":12,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there"}]}"#)
        XCTAssertEqual(response.status, 200, response.text)
        let json = try response.json()
        XCTAssertEqual(json["object"] as? String, "chat.completion")
        let usage = try XCTUnwrap(json["usage"] as? [String: Any])
        XCTAssertEqual(usage["completion_tokens"] as? Int, 12, "the mock caps output at max_tokens")
        XCTAssertEqual(response.header("x-tollgate-model"), "small")
        XCTAssertNotNil(response.header("x-request-id"))
        // The catalog's upstream model id is what reached the provider.
        let received = try Self.mock.receivedRequests().last
        XCTAssertEqual(received?["model"] as? String, "mock-small-v1")
    }

    func testMockHeaderDirectivesReachAMockOnThisMachine() throws {
        // docs/mock-provider.md's x-mock-* headers work through the gateway.
        let response = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                         json: #"{"model":"small","messages":[{"role":"user","content":"hello there"}]}"#,
                                         headers: [("X-Mock-Tokens", "3")])
        XCTAssertEqual(response.status, 200, response.text)
        let usage = try XCTUnwrap(try response.json()["usage"] as? [String: Any])
        XCTAssertEqual(usage["completion_tokens"] as? Int, 3)
    }

    func testOpenAIStreamHidesTheUsageChunkUnlessAsked() throws {
        let plain = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                      json: #"{"model":"small","stream":true,"messages":[{"role":"user","content":"stream please"}]}"#)
        XCTAssertEqual(plain.status, 200)
        XCTAssertEqual(plain.header("content-type")?.hasPrefix("text/event-stream"), true)
        let lines = SSE.dataLines(plain.body)
        XCTAssertEqual(lines.last, "[DONE]")
        XCTAssertFalse(lines.contains { $0.contains("\"usage\":{") }, "usage chunk leaked to a client that did not ask")
        // The gateway asked the provider for usage on the client's behalf.
        let upstream = try Self.mock.receivedRequests().last
        XCTAssertEqual((upstream?["stream_options"] as? [String: Any])?["include_usage"] as? Bool, true)

        let asked = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                      json: #"{"model":"small","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"stream please"}]}"#)
        XCTAssertTrue(SSE.dataLines(asked.body).contains { $0.contains("\"usage\":{") })
    }

    func testAnthropicNonStreamAndStream() throws {
        let body = #"{"model":"claude-small","max_tokens":20,"system":"terse","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"#
        let response = try HTTP.request(port: port, path: "/v1/messages",
                                        headers: [("x-api-key", TestConfig.prodKey), ("content-type", "application/json"),
                                                  ("anthropic-version", "2023-06-01")], body: Array(body.utf8))
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(try response.json()["type"] as? String, "message")

        let streamBody = body.replacingOccurrences(of: #""max_tokens":20"#, with: #""max_tokens":20,"stream":true"#)
        let stream = try HTTP.request(port: port, path: "/v1/messages",
                                      headers: [("x-api-key", TestConfig.prodKey), ("content-type", "application/json")],
                                      body: Array(streamBody.utf8))
        XCTAssertEqual(stream.status, 200)
        let names = SSE.eventNames(stream.body)
        XCTAssertEqual(names.first, "message_start")
        XCTAssertEqual(names.last, "message_stop")
        XCTAssertTrue(names.contains("content_block_delta"))
    }

    func testUpstreamErrorsPassThroughByteForByte() throws {
        for failure in ["429", "500"] {
            let json = #"{"model":"small","messages":[{"role":"user","content":"x [[mock fail=\#(failure)]]"}]}"#
            // The same request as the gateway forwards it (upstream model id).
            let upstreamJSON = json.replacingOccurrences(of: #""model":"small""#, with: #""model":"mock-small-v1""#)
            let direct = try HTTP.request(port: Self.mock.port, path: "/v1/chat/completions",
                                          headers: [("content-type", "application/json")], body: Array(upstreamJSON.utf8))
            let through = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: json)
            XCTAssertEqual(through.status, direct.status)
            XCTAssertEqual(through.status, Int(failure))
            // Response ids may differ per call; the structure must not.
            XCTAssertEqual(try Self.normalized(through), try Self.normalized(direct))
            if failure == "429" { XCTAssertEqual(through.header("retry-after"), direct.header("retry-after")) }
        }
    }

    static func normalized(_ response: HTTPResponse) throws -> String {
        response.text.replacingOccurrences(of: #"req_[0-9a-f]+"#, with: "ID", options: .regularExpression)
    }

    func testAuthenticationAndScopeErrors() throws {
        let chat = #"{"model":"small","messages":[{"role":"user","content":"hi"}]}"#
        let missing = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: nil, json: chat)
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(((try missing.json()["error"]) as? [String: Any])?["type"] as? String, "authentication_error")

        let unknown = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: "not-a-key", json: chat)
        XCTAssertEqual(unknown.status, 401)

        let expired = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.expiredKey, json: chat)
        XCTAssertEqual(expired.status, 401)
        XCTAssertTrue(expired.text.contains("expired"), expired.text)

        let outOfScope = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.labKey,
                                           json: #"{"model":"large","messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(outOfScope.status, 403)
        let error = try XCTUnwrap(try outOfScope.json()["error"] as? [String: Any])
        XCTAssertEqual(error["type"] as? String, "permission_error")
        XCTAssertNotNil(error["message"] as? String)

        let unknownModel = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                             json: #"{"model":"gpt-nope","messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(unknownModel.status, 404)

        // Anthropic route answers in Anthropic's error shape.
        let anthropic = try HTTP.request(port: port, path: "/v1/messages", headers: [("x-api-key", "wrong")],
                                         body: Array(#"{"model":"claude-small","max_tokens":5,"messages":[]}"#.utf8))
        XCTAssertEqual(anthropic.status, 401)
        XCTAssertEqual(try anthropic.json()["type"] as? String, "error")

        let bad = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: "{not json")
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(((try bad.json()["error"]) as? [String: Any])?["type"] as? String, "invalid_request_error")
    }

    func testModelsListShowsOnlyWhatTheKeyMayUse() throws {
        let lab = try HTTP.request(port: port, method: "GET", path: "/v1/models",
                                   headers: [("authorization", "Bearer \(TestConfig.labKey)")])
        let ids = ((try lab.json()["data"]) as? [[String: Any]])?.compactMap { $0["id"] as? String }.sorted()
        XCTAssertEqual(ids, ["claude-small", "small"])
    }

    func testHealthReadinessAndMetrics() throws {
        XCTAssertEqual(try HTTP.request(port: port, method: "GET", path: "/healthz").status, 200)
        XCTAssertEqual(try HTTP.request(port: port, method: "GET", path: "/readyz").status, 200)
        _ = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                              json: #"{"model":"small","messages":[{"role":"user","content":"count me"}]}"#)
        let metrics = try HTTP.request(port: port, method: "GET", path: "/metrics").text
        XCTAssertTrue(metrics.contains("tollgate_requests_total{"), metrics)
        XCTAssertTrue(metrics.contains("tollgate_gateway_duration_seconds_bucket"))
        XCTAssertTrue(metrics.contains("tollgate_upstream_duration_seconds_bucket"))
        XCTAssertTrue(metrics.contains("tollgate_in_flight_requests"))
    }

    func testUpstreamUnreachableIs502AndStallIs504() throws {
        let dir = TestPaths.temporaryDirectory("unreachable")
        // A port nobody listens on: bind one, note it, close it.
        let closedPort = try Self.freePort()
        let yaml = TestConfig.yaml(mockPort: closedPort, storage: dir + "/data")
        let gateway = try GatewayProcess(yaml: yaml, directory: dir)
        defer { gateway.stop() }
        let refused = try HTTP.postJSON(port: gateway.port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                        json: #"{"model":"small","messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(refused.status, 502, refused.text)

        let stalled = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                        json: #"{"model":"small","messages":[{"role":"user","content":"[[mock fail=stall]]"}]}"#)
        XCTAssertEqual(stalled.status, 504, stalled.text)
        XCTAssertTrue(stalled.text.contains("timeout"), stalled.text)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
