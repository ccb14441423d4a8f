import Foundation
import XCTest

/// The same fallbacks with the upstream on the gateway's NIO HTTP/1.1 client.
final class FallbackOnNIOEndToEndTests: FallbackEndToEndTests {
    override var upstreamTransport: String? { "nio" }
    // Linux's XCTest runs only the test methods a class declares itself.
    override func test429OnTheFirstDeploymentFallsBackToTheSecond() throws { try super.test429OnTheFirstDeploymentFallsBackToTheSecond() }
    override func testAStallBeforeTheFirstByteFallsBack() throws { try super.testAStallBeforeTheFirstByteFallsBack() }
    override func testANonStreamBodyCutShortFallsBackItNeverReachedTheClient() throws { try super.testANonStreamBodyCutShortFallsBackItNeverReachedTheClient() }
    override func testNoFallbackAfterTheFirstByte() throws { try super.testNoFallbackAfterTheFirstByte() }
    override func testFallbackModelsServeAndTheLedgerSeesTheModelThatServed() throws { try super.testFallbackModelsServeAndTheLedgerSeesTheModelThatServed() }
    override func testAttemptsAreBoundedByMaxAttempts() throws { try super.testAttemptsAreBoundedByMaxAttempts() }
    override func testACoolingDeploymentIsSkipped() throws { try super.testACoolingDeploymentIsSkipped() }
    override func testARestedDeploymentIsTriedAgainWhenItsCoolDownEnds() throws { try super.testARestedDeploymentIsTriedAgainWhenItsCoolDownEnds() }
}

/// The core's fallbacks with the mock provider failing on purpose: a
/// failure before the first byte tries the next deployment or model; after
/// it, the stream ends with a terminal error event and nothing is retried.
/// On the default upstream transport (and, through
/// `FallbackOnNIOEndToEndTests`, on the other one).
class FallbackEndToEndTests: XCTestCase {
    /// `transport:` for the openai provider; nil: the default.
    var upstreamTransport: String? { nil }

    /// `balanced` has two deployments; the routing plugin pins `east` (the
    /// failing one) so the fallback path is always taken.
    func stage(_ label: String, east: String, firstByteMs: Int = 2000, idleMs: Int = 3000,
               retries: String = "") throws -> RoutingStage {
        try RoutingStage(label: label, firstByteMs: firstByteMs, idleMs: idleMs, retries: retries, models: { port in
            RoutingStage.model("balanced", port: port, deployments: [("east", east), ("west", "mock-west")])
        }, plugins: """
        plugins:
          - name: routing
            config:
              rules:
                - {name: prefer-east, match: {model: balanced}, deployments: {east: 1}}
        """, transport: upstreamTransport)
    }

    func test429OnTheFirstDeploymentFallsBackToTheSecond() throws {
        let stage = try stage("fallback-429", east: "mock-east+fail=429")
        defer { stage.stop() }
        let response = try stage.chat(model: "balanced")
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("x-tollgate-model"), "balanced")
        XCTAssertEqual(response.header("x-tollgate-deployment"), "west")
        XCTAssertEqual(try stage.upstreamCalls(), ["mock-east+fail=429", "mock-west"], "two separate upstream calls")

        let streamed = try stage.chat(model: "balanced", stream: true)
        XCTAssertEqual(streamed.status, 200, streamed.text)
        XCTAssertEqual(streamed.header("x-tollgate-deployment"), "west")
        XCTAssertEqual(SSE.dataLines(streamed.body).last, "[DONE]")
        XCTAssertFalse(streamed.text.contains("\"error\""), streamed.text)

        let failures = try stage.metric("tollgate_upstream_attempts_total",
                                        [("model", "balanced"), ("deployment", "east"), ("result", "failure")])
        XCTAssertEqual(failures, 2)
        XCTAssertEqual(try stage.metric("tollgate_upstream_attempts_total",
                                        [("model", "balanced"), ("deployment", "west"), ("result", "success")]), 2)
    }

    func testAStallBeforeTheFirstByteFallsBack() throws {
        let stage = try stage("fallback-stall", east: "mock-east+fail=stall", firstByteMs: 300)
        defer { stage.stop() }
        let response = try stage.chat(model: "balanced", stream: true)
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("x-tollgate-deployment"), "west")
        XCTAssertEqual(SSE.dataLines(response.body).last, "[DONE]")
        XCTAssertEqual(try stage.upstreamCalls(), ["mock-east+fail=stall", "mock-west"])
    }

    func testANonStreamBodyCutShortFallsBackItNeverReachedTheClient() throws {
        let stage = try stage("fallback-cut-buffered", east: "mock-east+fail=cut")
        defer { stage.stop() }
        let response = try stage.chat(model: "balanced")
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("x-tollgate-deployment"), "west")
        XCTAssertNotNil(try response.json()["choices"])
        XCTAssertEqual(try stage.upstreamCalls(), ["mock-east+fail=cut", "mock-west"])
        XCTAssertNil(try stage.metric("tollgate_upstream_attempts_total",
                                      [("model", "balanced"), ("deployment", "east"), ("result", "success")]),
                     "a cut body is a failed attempt, not a success")
    }

    func testNoFallbackAfterTheFirstByte() throws {
        for failure in ["stall-after-first", "cut"] {
            let stage = try stage("fallback-after-first-\(failure)", east: "mock-east+fail=\(failure)+chunks=6", idleMs: 400)
            defer { stage.stop() }
            let response = try stage.chat(model: "balanced", stream: true)
            XCTAssertEqual(response.status, 200, "the head was already sent: \(response.text)")
            XCTAssertEqual(response.header("x-tollgate-deployment"), "east")
            let data = SSE.dataLines(response.body)
            XCTAssertGreaterThanOrEqual(data.count, 2, response.text)
            let last = try XCTUnwrap(data.last)
            XCTAssertTrue(last.contains("\"error\""), "\(failure): the stream must end with an error event, got \(last)")
            XCTAssertFalse(data.contains("[DONE]"), response.text)
            XCTAssertEqual(try stage.upstreamCalls(), ["mock-east+fail=\(failure)+chunks=6"], "\(failure): no retry after the first byte")
        }
    }

    func testFallbackModelsServeAndTheLedgerSeesTheModelThatServed() throws {
        let log = TestPaths.temporaryDirectory("fallback-ledger") + "/hooks.log"
        let recorder = try CPluginBuilder.fixture("recorder", into: TestPaths.temporaryDirectory("fallback-recorder"))
        let stage = try RoutingStage(label: "fallback-models", models: { port in
            RoutingStage.model("pricey", port: port, price: #"{input_per_mtok: "50.00", output_per_mtok: "150.00"}"#,
                               deployments: [("pricey-a", "mock-pricey+fail=500"), ("pricey-b", "mock-pricey+fail=503")])
        }, plugins: """
        plugins:
          - path: \(recorder)
            config: {name: ledger, log: "\(log)"}
          - name: routing
            config:
              rules:
                - {name: pricey-backup, match: {model: pricey}, fallbacks: [small]}
        """, transport: upstreamTransport)
        defer { stage.stop() }
        let response = try stage.chat(model: "pricey", content: "twelve bytes")
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("x-tollgate-model"), "small")
        XCTAssertEqual(try stage.upstreamCalls().count, 3, "both pricey deployments, then small")
        XCTAssertEqual(try stage.upstreamCalls().last, "mock-small-v1")

        // post <name> <request-id> <outcome> <status> <tokens_in> <tokens_out> <cost> <decided_by>
        let lines = try HookLog.wait(log, until: { $0.contains { $0.hasPrefix("post ") } })
        let post = try XCTUnwrap(lines.first { $0.hasPrefix("post ") }).split(separator: " ")
        XCTAssertEqual(post[3], "success")
        let tokensIn = try XCTUnwrap(Int64(post[5])), tokensOut = try XCTUnwrap(Int64(post[6]))
        XCTAssertEqual(tokensIn, 3)
        XCTAssertEqual(tokensOut, 16)
        // Priced as small (0.40 / 1.60 USD per Mtok), not as pricey.
        let smallCost = (tokensIn * 400_000_000 + tokensOut * 1_600_000_000 + 999_999) / 1_000_000
        XCTAssertEqual(Int64(post[7]), smallCost)
    }

    func testAttemptsAreBoundedByMaxAttempts() throws {
        let stage = try RoutingStage(label: "fallback-bounded", retries: "{max_attempts: 2}", models: { port in
            RoutingStage.model("flaky", port: port, deployments: [("a", "mock-a+fail=500"), ("b", "mock-b+fail=500"),
                                                                  ("c", "mock-c+fail=500")])
        }, transport: upstreamTransport)
        defer { stage.stop() }
        let response = try stage.chat(model: "flaky")
        XCTAssertEqual(response.status, 500, "the last attempt's answer goes back as it came")
        XCTAssertEqual(try stage.upstreamCalls().count, 2)
    }

    func testACoolingDeploymentIsSkipped() throws {
        let stage = try stage("cooldown-skip", east: "mock-east+fail=429",
                              retries: "{cooldown_after_failures: 1, cooldown_seconds: 600}")
        defer { stage.stop() }
        XCTAssertEqual(try stage.chat(model: "balanced").header("x-tollgate-deployment"), "west")
        XCTAssertEqual(try stage.metric("tollgate_deployment_cooling_down", [("model", "balanced"), ("deployment", "east")]), 1)
        // east rests: the pin is not honoured and west is asked first.
        for _ in 0..<3 {
            let response = try stage.chat(model: "balanced")
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.header("x-tollgate-deployment"), "west")
        }
        XCTAssertEqual(try stage.upstreamCalls(), ["mock-east+fail=429"] + Array(repeating: "mock-west", count: 4))
    }

    func testARestedDeploymentIsTriedAgainWhenItsCoolDownEnds() throws {
        let stage = try stage("cooldown-recover", east: "mock-east+fail=429",
                              retries: "{cooldown_after_failures: 1, cooldown_seconds: 1}")
        defer { stage.stop() }
        XCTAssertEqual(try stage.chat(model: "balanced").header("x-tollgate-deployment"), "west")
        // The gauge follows the clock: wait (bounded) for the rest to end.
        try RoutingStage.wait("east to recover") {
            try stage.metric("tollgate_deployment_cooling_down", [("model", "balanced"), ("deployment", "east")]) == 0
        }
        XCTAssertEqual(try stage.chat(model: "balanced").status, 200)
        XCTAssertEqual(try stage.upstreamCalls().filter { $0.hasPrefix("mock-east") }.count, 2,
                       "the pinned deployment is asked again once its rest is over")
    }
}
