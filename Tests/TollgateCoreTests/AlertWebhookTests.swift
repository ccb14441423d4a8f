import Foundation
import Logging
import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

/// The webhook sink with a fake poster: retry schedule, give-up, bounded
/// queue, payload, metrics. No sockets and no real pauses (the pause
/// between retries is replaced by a recorder).
final class AlertWebhookTests: XCTestCase {
    /// Answers from a script; a call can be held until the test releases it.
    final class ScriptedPoster: WebhookPoster, @unchecked Sendable {
        let condition = NSCondition()
        var script: [WebhookAttemptResult]
        var fallback: WebhookAttemptResult
        var bodies: [[UInt8]] = []
        var headers: [[(String, String)]] = []
        var holding = false
        var held = 0

        init(_ script: [WebhookAttemptResult], otherwise fallback: WebhookAttemptResult = .status(200)) {
            self.script = script
            self.fallback = fallback
        }

        func post(url: String, body: [UInt8], headers: [(String, String)], timeoutMs: Int) -> WebhookAttemptResult {
            condition.withLock {
                bodies.append(body)
                self.headers.append(headers)
                held += 1
                condition.broadcast()
                while holding { condition.wait() }
                return script.isEmpty ? fallback : script.removeFirst()
            }
        }

        var attempts: Int { condition.withLock { bodies.count } }

        func release() {
            condition.withLock {
                holding = false
                condition.broadcast()
            }
        }

        /// Waits (bounded) until `count` posts have started.
        func waitForAttempts(_ count: Int, file: StaticString = #filePath, line: UInt = #line) {
            let deadline = Date(timeIntervalSinceNow: 10)
            condition.withLock {
                while held < count { if !condition.wait(until: deadline) { break } }
            }
            XCTAssertGreaterThanOrEqual(attempts, count, "the worker never made attempt \(count)", file: file, line: line)
        }
    }

    final class PauseRecorder: @unchecked Sendable {
        private let lock = NSLock()
        private var recorded: [Int] = []
        func record(_ ms: Int) { lock.withLock { recorded.append(ms) } }
        var pauses: [Int] { lock.withLock { recorded } }
    }

    func alert(_ key: String = "spend_spike:team/acme/payments:2026-11-22", details: String = #"{"factor":3}"#) -> Alert {
        Alert(severity: .warning, kind: "spend_spike", subject: "team/acme/payments", message: "payments spends 4x its baseline",
              dedupeKey: key, detailsJSON: details, source: "anomaly")
    }

    func sink(_ poster: ScriptedPoster, retries: Int = 2, backoffMs: Int = 100, queueSize: Int = 10,
              headers: [String: String] = [:], pauses: PauseRecorder = PauseRecorder()) -> (WebhookAlertSink, GatewayMetrics) {
        let settings = WebhookAlertSink.Settings(url: "http://127.0.0.1:9/hook/SECRET", timeoutMs: 500, retries: retries,
                                                 backoffMs: backoffMs, queueSize: queueSize, headers: headers)
        let sink = WebhookAlertSink(settings: settings, logger: Logger(label: "test"), poster: poster,
                                    pause: { pauses.record($0) })
        let metrics = GatewayMetrics()
        sink.attach(metrics: metrics)
        return (sink, metrics)
    }

    func exposition(_ metrics: GatewayMetrics) -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

    func testA2xxIsDeliveredOnceWithTheAlertAsJSON() throws {
        let poster = ScriptedPoster([.status(204)])
        let (sink, metrics) = sink(poster, headers: ["x-team-token": "abc"])
        defer { sink.close() }
        sink.deliver(alert())
        XCTAssertTrue(sink.waitUntilDrained(timeoutMs: 10_000))
        XCTAssertEqual(poster.attempts, 1)
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(poster.bodies[0])) as? [String: Any])
        XCTAssertEqual(body["kind"] as? String, "spend_spike")
        XCTAssertEqual(body["severity"] as? String, "warning")
        XCTAssertEqual(body["subject"] as? String, "team/acme/payments")
        XCTAssertEqual(body["dedupe_key"] as? String, "spend_spike:team/acme/payments:2026-11-22")
        XCTAssertEqual(body["source"] as? String, "anomaly")
        XCTAssertEqual((body["details"] as? [String: Any])?["factor"] as? Int, 3)
        XCTAssertNotNil(body["raised_at"] as? String)
        XCTAssertEqual(poster.headers[0].first { $0.0 == "x-team-token" }?.1, "abc")
        let text = exposition(metrics)
        XCTAssertTrue(text.contains(#"tollgate_alert_deliveries_total{sink="webhook:127.0.0.1:9",result="delivered"} 1"#), text)
        XCTAssertFalse(text.contains("SECRET"), "the url path must not become a label")
    }

    func testA5xxIsRetriedWithDoublingPausesThenGivenUpAndCounted() {
        let poster = ScriptedPoster([], otherwise: .status(500))
        let pauses = PauseRecorder()
        let (sink, metrics) = sink(poster, retries: 3, backoffMs: 100, pauses: pauses)
        defer { sink.close() }
        sink.deliver(alert())
        XCTAssertTrue(sink.waitUntilDrained(timeoutMs: 10_000))
        XCTAssertEqual(poster.attempts, 4, "one try and three retries")
        XCTAssertEqual(pauses.pauses, [100, 200, 400])
        let text = exposition(metrics)
        XCTAssertTrue(text.contains(#"tollgate_alert_deliveries_total{sink="webhook:127.0.0.1:9",result="failed"} 1"#), text)
        XCTAssertTrue(text.contains(#"tollgate_alert_delivery_attempts_total{sink="webhook:127.0.0.1:9",result="failure"} 4"#), text)
    }

    func testATransportErrorIsRetriedAndALaterSuccessDelivers() {
        let poster = ScriptedPoster([.transportError("Connection refused"), .status(503), .status(200)])
        let (sink, metrics) = sink(poster, retries: 3)
        defer { sink.close() }
        sink.deliver(alert())
        XCTAssertTrue(sink.waitUntilDrained(timeoutMs: 10_000))
        XCTAssertEqual(poster.attempts, 3)
        let text = exposition(metrics)
        XCTAssertTrue(text.contains(#"result="delivered"} 1"#), text)
        XCTAssertFalse(text.contains(#"result="failed""#), text)
    }

    func testAPermanent4xxIsNotRetried() {
        let poster = ScriptedPoster([], otherwise: .status(404))
        let pauses = PauseRecorder()
        let (sink, metrics) = sink(poster, retries: 5, pauses: pauses)
        defer { sink.close() }
        sink.deliver(alert())
        XCTAssertTrue(sink.waitUntilDrained(timeoutMs: 10_000))
        XCTAssertEqual(poster.attempts, 1)
        XCTAssertEqual(pauses.pauses, [])
        XCTAssertTrue(exposition(metrics).contains(#"result="failed"} 1"#))
    }

    func testDeliverNeverWaitsForAHungReceiverAndAFullQueueDropsAndCounts() {
        let poster = ScriptedPoster([])
        poster.holding = true
        let (sink, metrics) = sink(poster, queueSize: 2)
        defer { sink.close() }
        sink.deliver(alert("a"))
        poster.waitForAttempts(1)  // the worker holds "a" in a hung POST
        // These return at once although the receiver hangs: two fit the
        // queue, the third is dropped.
        sink.deliver(alert("b"))
        sink.deliver(alert("c"))
        sink.deliver(alert("d"))
        XCTAssertEqual(sink.pendingCount, 2)
        XCTAssertTrue(exposition(metrics).contains(#"tollgate_alert_queue_dropped_total{sink="webhook:127.0.0.1:9"} 1"#))
        poster.release()
        XCTAssertTrue(sink.waitUntilDrained(timeoutMs: 10_000))
        let keys = poster.bodies.compactMap { (try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])?["dedupe_key"] as? String }
        XCTAssertEqual(keys, ["a", "b", "c"])
    }

    func testClosingGivesQueuedAlertsOneLastAttemptAndStops() {
        let poster = ScriptedPoster([], otherwise: .status(500))
        poster.holding = true
        let pauses = PauseRecorder()
        let (sink, metrics) = sink(poster, retries: 5, pauses: pauses)
        sink.deliver(alert("a"))
        poster.waitForAttempts(1)
        sink.deliver(alert("b"))
        sink.close()
        sink.deliver(alert("after-close"))
        poster.release()
        XCTAssertTrue(sink.waitUntilDrained(timeoutMs: 10_000))
        XCTAssertEqual(poster.attempts, 2, "a and b once each, no retries while closing, nothing after close")
        XCTAssertEqual(pauses.pauses, [])
        let text = exposition(metrics)
        XCTAssertTrue(text.contains(#"result="failed"} 2"#), text)
        XCTAssertTrue(text.contains(#"tollgate_alert_queue_dropped_total{sink="webhook:127.0.0.1:9"} 1"#), text)
    }

    func testTheRetryScheduleIsCapped() {
        let policy = WebhookRetryPolicy(retries: 10, backoffMs: 1_000, maxBackoffMs: 5_000)
        XCTAssertEqual((1...5).map { policy.pause(beforeRetry: $0) }, [1_000, 2_000, 4_000, 5_000, 5_000])
        XCTAssertEqual(policy.step(after: .status(429), attempt: 1), .retry(afterMs: 1_000))
        XCTAssertEqual(policy.step(after: .status(201), attempt: 3), .delivered)
        guard case .giveUp = policy.step(after: .status(502), attempt: 11) else { return XCTFail("11 attempts is 1 + 10 retries") }
        guard case .giveUp = policy.step(after: .status(401), attempt: 1) else { return XCTFail("401 is permanent") }
    }
}
