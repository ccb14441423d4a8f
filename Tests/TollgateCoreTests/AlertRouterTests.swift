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

/// Deduplication, the alert counter, sink replacement on reload, and the
/// webhook options in the config.
final class AlertRouterTests: XCTestCase {
    final class RecordingSink: AlertSink, @unchecked Sendable {
        private let lock = NSLock()
        private var received: [Alert] = []
        private var wasClosed = false
        func deliver(_ alert: Alert) { lock.withLock { received.append(alert) } }
        func close() { lock.withLock { wasClosed = true } }
        var alerts: [Alert] { lock.withLock { received } }
        var closed: Bool { lock.withLock { wasClosed } }
    }

    func alert(_ key: String, kind: String = "spend_spike", severity: Alert.Severity = .warning) -> Alert {
        Alert(severity: severity, kind: kind, subject: "team/acme/payments", message: "m", dedupeKey: key, source: "anomaly")
    }

    func testTheSameDedupeKeyIsDeliveredOnceAndCountedOnce() {
        let sink = RecordingSink()
        let metrics = GatewayMetrics()
        let router = AlertRouter(sinks: [sink], metrics: metrics)
        XCTAssertTrue(router.raise(alert("spend_spike:team/acme/payments:2026-11-22")))
        XCTAssertFalse(router.raise(alert("spend_spike:team/acme/payments:2026-11-22")))
        XCTAssertTrue(router.raise(alert("spend_spike:team/acme/payments:2026-11-23")))
        XCTAssertTrue(router.raise(alert("budget_threshold:team/acme/payments:80:2026-11", kind: "budget_threshold", severity: .critical)))
        XCTAssertEqual(sink.alerts.map(\.dedupeKey), ["spend_spike:team/acme/payments:2026-11-22",
                                                      "spend_spike:team/acme/payments:2026-11-23",
                                                      "budget_threshold:team/acme/payments:80:2026-11"])
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        XCTAssertTrue(text.contains(#"tollgate_alerts_total{kind="spend_spike",severity="warning"} 2"#), text)
        XCTAssertTrue(text.contains(#"tollgate_alerts_total{kind="budget_threshold",severity="critical"} 1"#), text)
    }

    func testDedupeMemoryIsBoundedOldestForgottenFirst() {
        let sink = RecordingSink()
        let router = AlertRouter(sinks: [sink], metrics: GatewayMetrics(), memory: 2)
        router.raise(alert("a"))
        router.raise(alert("b"))
        router.raise(alert("c"))  // forgets "a"
        XCTAssertFalse(router.raise(alert("c")))
        XCTAssertTrue(router.raise(alert("a")))
        XCTAssertEqual(sink.alerts.map(\.dedupeKey), ["a", "b", "c", "a"])
    }

    func testReplacingSinksClosesTheOldOnesAndKeepsDedupeMemory() {
        let old = RecordingSink(), new = RecordingSink()
        let router = AlertRouter(sinks: [old], metrics: GatewayMetrics())
        router.raise(alert("k"))
        router.replaceSinks([new])
        XCTAssertTrue(old.closed)
        XCTAssertFalse(router.raise(alert("k")), "a reload must not deliver the same condition again")
        router.raise(alert("k2"))
        XCTAssertEqual(old.alerts.map(\.dedupeKey), ["k"])
        XCTAssertEqual(new.alerts.map(\.dedupeKey), ["k2"])
        XCTAssertTrue(router.close(timeoutMs: 100))
        XCTAssertTrue(new.closed)
    }

    func testWebhookOptionsAreDecodedAndValidated() throws {
        let base = """
        models:
          - name: small
            provider: mock
            price: {input_per_mtok: "0.40", output_per_mtok: "1.60"}
        alerts:

        """
        let config = try ConfigLoader.parse(yaml: base + """
          - {sink: log}
          - sink: webhook
            url: http://127.0.0.1:9000/hook
            timeout_ms: 1500
            retries: 4
            backoff_ms: 250
            queue_size: 50
            headers: {x-team-token: abc}
          - {sink: webhook, url: "https://hooks.example.com/x"}
        """, file: "/cfg/tollgate.yaml")
        XCTAssertEqual(config.alerts, [
            .log,
            .webhook(url: "http://127.0.0.1:9000/hook", timeoutMs: 1500, retries: 4, backoffMs: 250, queueSize: 50,
                     headers: ["x-team-token": "abc"]),
            .webhook(url: "https://hooks.example.com/x", timeoutMs: 2000, retries: 3, backoffMs: 500, queueSize: 1000, headers: [:]),
        ])
        let sinks = AlertRouter.sinks(for: config, logger: Logger(label: "test"), poster: HTTPWebhookPoster.init)
        XCTAssertEqual(sinks.count, 3)
        XCTAssertEqual((sinks[1] as? WebhookAlertSink)?.label, "webhook:127.0.0.1:9000")
        XCTAssertEqual((sinks[2] as? WebhookAlertSink)?.label, "webhook:hooks.example.com")
        for sink in sinks { sink.close() }

        XCTAssertThrowsError(try ConfigLoader.parse(yaml: base + """
          - {sink: webhook, url: "http://h/x", queue_size: 0, headers: {"bad header": v}}
          - {sink: log, backoff_ms: 10}
        """, file: "/cfg/tollgate.yaml")) { error in
            let messages = (error as? ConfigErrors)?.errors.map(\.message) ?? []
            XCTAssertTrue(messages.contains { $0.contains("queue_size (alerts) must be between 1 and 1000000") }, "\(messages)")
            XCTAssertTrue(messages.contains { $0.contains("'bad header' in headers of alerts[0] is not a valid HTTP header name") },
                          "\(messages)")
            XCTAssertTrue(messages.contains { $0.contains("'backoff_ms' applies only to webhook sinks") }, "\(messages)")
        }
    }
}
