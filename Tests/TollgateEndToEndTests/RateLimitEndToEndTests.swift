import Foundation
import XCTest

/// The ratelimit plugin in the real binary against the mock provider: the
/// 429 and its headers, headers on success, counters that survive a
/// reload, tokens held by a stream in flight and settled at real usage.
final class RateLimitEndToEndTests: XCTestCase {
    static var mock: MockProviderProcess!
    static let master = "ratelimit-test-master"

    override class func setUp() {
        super.setUp()
        do { mock = try MockProviderProcess() } catch { XCTFail("mock provider: \(error)") }
    }

    override class func tearDown() {
        mock?.stop()
        super.tearDown()
    }

    static func plugins(_ limits: String) -> String {
        """
        plugins:
          - name: ratelimit
            fail: closed
            config:
              limits:
        \(limits.split(separator: "\n").map { "        - \($0)" }.joined(separator: "\n"))
        """
    }

    func startGateway(limits: String) throws -> GatewayProcess {
        let dir = TestPaths.temporaryDirectory("ratelimit-gw")
        let yaml = TestConfig.yaml(mockPort: Self.mock.port, storage: dir + "/data", plugins: Self.plugins(limits))
        return try GatewayProcess(yaml: yaml, directory: dir, environment: ["TOLLGATE_TEST_MASTER": Self.master])
    }

    func chat(_ port: Int, _ content: String = "hello", key: String = TestConfig.prodKey, maxTokens: Int = 50) throws -> HTTPResponse {
        let json = #"{"model":"small","max_tokens":\#(maxTokens),"messages":[{"role":"user","content":"\#(content)"}]}"#
        return try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: key, json: json)
    }

    /// A counter's numbers from /admin/counters.
    func counter(_ port: Int, _ name: String) throws -> (limit: Int64, spent: Int64, reserved: Int64)? {
        let response = try HTTP.request(port: port, method: "GET", path: "/admin/counters",
                                        headers: [("authorization", "Bearer \(Self.master)")])
        let counters = try response.json()["counters"] as? [[String: Any]] ?? []
        guard let c = counters.first(where: { $0["name"] as? String == name }) else { return nil }
        func int(_ key: String) -> Int64 { (c[key] as? NSNumber)?.int64Value ?? -1 }
        return (int("limit"), int("spent"), int("reserved"))
    }

    /// Polls a counter until `condition` holds (at most 10 s); its last state.
    func waitFor(_ port: Int, _ name: String,
                 _ condition: ((limit: Int64, spent: Int64, reserved: Int64)) -> Bool) throws -> (limit: Int64, spent: Int64, reserved: Int64)? {
        let deadline = Date().addingTimeInterval(10)
        var state = try counter(port, name)
        while !(state.map(condition) ?? false), Date() < deadline {
            usleep(10_000)
            state = try counter(port, name)
        }
        return state
    }

    func testRequestsPerMinuteRefuseWithOpenAIErrorAndHeaders() throws {
        let gw = try startGateway(limits: "{scope: key/payments-prod, rpm: 3}")
        defer { gw.stop() }
        for expected in [2, 1, 0] {
            let ok = try chat(gw.port)
            XCTAssertEqual(ok.status, 200, ok.text)
            XCTAssertEqual(ok.header("x-ratelimit-limit-requests"), "3")
            XCTAssertEqual(ok.header("x-ratelimit-remaining-requests"), String(expected))
            XCTAssertNotNil(ok.header("x-ratelimit-reset-requests"))
            XCTAssertNil(ok.header("x-ratelimit-limit-tokens"), "no token limit on this path")
        }
        let before = try Self.mock.stats()["total"] as? Int ?? 0
        let refused = try chat(gw.port)
        XCTAssertEqual(refused.status, 429)
        let error = try XCTUnwrap(try refused.json()["error"] as? [String: Any])
        XCTAssertEqual(error["type"] as? String, "rate_limit_exceeded")
        XCTAssertEqual(error["code"] as? String, "rate_limit_exceeded")
        let message = try XCTUnwrap(error["message"] as? String)
        XCTAssertTrue(message.hasPrefix("Rate limit reached for key payments-prod on requests per minute (RPM): limit 3, used 3, in flight 0. Retry after "),
                      message)
        let retryAfter = try XCTUnwrap(refused.header("retry-after").flatMap(Int.init))
        XCTAssertTrue((1...60).contains(retryAfter), "until the first request's second leaves the minute: \(retryAfter)")
        let retryAfterMs = try XCTUnwrap(refused.header("retry-after-ms").flatMap(Int.init))
        XCTAssertEqual((retryAfterMs + 999) / 1000, retryAfter)
        XCTAssertEqual(refused.header("x-ratelimit-remaining-requests"), "0")
        XCTAssertEqual(refused.header("x-tollgate-ratelimit"), "key/payments-prod:rpm")
        XCTAssertEqual(try Self.mock.stats()["total"] as? Int ?? 0, before, "a refused call never reaches the provider")
        XCTAssertEqual(try chat(gw.port, key: TestConfig.labKey).status, 200, "another key is not limited by key/payments-prod")
        let rpm = try XCTUnwrap(try counter(gw.port, "ratelimit:key/payments-prod:rpm"))
        XCTAssertEqual(rpm.spent, 3)
        XCTAssertEqual(rpm.reserved, 0)
    }

    func testCountersSurviveAReloadAndTakeTheNewLimit() throws {
        let gw = try startGateway(limits: "{scope: team/acme/payments, rpm: 2}")
        defer { gw.stop() }
        XCTAssertEqual(try chat(gw.port).status, 200)
        XCTAssertEqual(try chat(gw.port).status, 200)
        XCTAssertEqual(try chat(gw.port).status, 429)
        let reload = { () throws -> HTTPResponse in
            try HTTP.request(port: gw.port, path: "/admin/reload", headers: [("authorization", "Bearer \(Self.master)")])
        }
        XCTAssertEqual(try reload().status, 200)
        XCTAssertEqual(try chat(gw.port).status, 429, "the new generation sees the same counter")
        // Raise the limit: the spent of the minute carries over.
        let yaml = TestConfig.yaml(mockPort: Self.mock.port, storage: URL(fileURLWithPath: gw.configPath).deletingLastPathComponent().path + "/data",
                                   plugins: Self.plugins("{scope: team/acme/payments, rpm: 3}"))
        try yaml.write(toFile: gw.configPath, atomically: true, encoding: .utf8)
        XCTAssertEqual(try reload().status, 200)
        let third = try chat(gw.port)
        XCTAssertEqual(third.status, 200, third.text)
        XCTAssertEqual(third.header("x-ratelimit-remaining-requests"), "0")
        XCTAssertEqual(try chat(gw.port).status, 429)
    }

    /// A slow stream holds its token reservation; a second request that
    /// does not fit beside it is told to retry in 1 s; once the stream
    /// ends, spent is its real usage and the retry fits.
    func testAStreamInFlightHoldsTokensUntilItSettlesAtRealUsage() throws {
        let prompt = "[[mock chunks=10 delay_ms=100]] Write a short poem about the sea."
        let body = #"{"model":"small","max_tokens":100,"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        // The kit's estimate: input bounded by the body bytes, + 16, + max_tokens.
        let estimate = max(body.utf8.count, prompt.utf8.count + 8) + 16 + 100
        let limit = estimate + estimate / 2
        let gw = try startGateway(limits: "{scope: key/payments-prod, tpm: \(limit)}")
        defer { gw.stop() }

        let stream = try HTTPConnection(port: gw.port)
        try stream.send(method: "POST", path: "/v1/chat/completions",
                        headers: [("content-type", "application/json"), ("authorization", "Bearer \(TestConfig.prodKey)")],
                        body: Array(body.utf8))
        let tpm = "ratelimit:key/payments-prod:tpm"
        let held = try waitFor(gw.port, tpm) { $0.reserved > 0 }
        XCTAssertEqual(held?.reserved, Int64(estimate), "the stream holds the kit's estimate")

        let second = try HTTP.postJSON(port: gw.port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                       json: body.replacingOccurrences(of: #""stream":true"#, with: #""stream":false"#))
        XCTAssertEqual(second.status, 429, second.text)
        XCTAssertEqual(second.header("retry-after"), "1", "in-flight reservations settle within a request's life")
        XCTAssertEqual(second.header("retry-after-ms"), "1000")
        XCTAssertEqual(second.header("x-ratelimit-limit-tokens"), String(limit))
        XCTAssertEqual(second.header("x-ratelimit-remaining-tokens"), String(limit - estimate))

        let response = try stream.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("x-ratelimit-limit-tokens"), String(limit))
        let usage = try XCTUnwrap(SSE.dataLines(response.body).compactMap { line -> [String: Any]? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object["usage"] as? [String: Any]
        }.last)
        let total = try XCTUnwrap((usage["total_tokens"] as? NSNumber)?.int64Value)
        // post_call runs once the response is complete: wait for it, bounded.
        let state = try waitFor(gw.port, tpm) { $0.reserved == 0 }
        XCTAssertEqual(state?.reserved, 0)
        XCTAssertEqual(state?.spent, total, "settled at the real usage, not the estimate")
        XCTAssertLessThan(total, Int64(estimate))

        let retry = try HTTP.postJSON(port: gw.port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                      json: body.replacingOccurrences(of: #""stream":true"#, with: #""stream":false"#))
        XCTAssertEqual(retry.status, 200, retry.text)
    }
}
