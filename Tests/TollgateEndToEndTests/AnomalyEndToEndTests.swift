import Foundation
import XCTest

/// The anomaly plugin and the webhook sink in the real binary: seeded
/// history, a spike today, deliveries counted by a receiver in the test.
final class AnomalyEndToEndTests: XCTestCase {
    static var mock: MockProviderProcess!

    override class func setUp() {
        super.setUp()
        do { mock = try MockProviderProcess() } catch { XCTFail("mock provider: \(error)") }
    }

    override class func tearDown() {
        mock?.stop()
        super.tearDown()
    }

    static func utcDay(daysAgo: Int) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date(timeIntervalSinceNow: -86_400 * Double(daysAgo)))
    }

    /// A week of history (USD per day) for each subject, seeded in config.
    static func history(_ perDay: [String: String]) -> String {
        var rows: [String] = []
        for (subject, spend) in perDay.sorted(by: { $0.key < $1.key }) {
            for back in 1...7 {
                rows.append(#"{subject: "\#(subject)", date: "\#(utcDay(daysAgo: back))", spend: "\#(spend)"}"#)
            }
        }
        return "[" + rows.joined(separator: ", ") + "]"
    }

    /// A gateway with the anomaly plugin (team and key subjects) and a
    /// webhook to `receiver`. A call costs about $0.00003 (mock usage on
    /// `small`), so a baseline of $0.000001/day is spiked by one call.
    func gateway(history perDay: [String: String], receiver: AnomalyWebhookReceiver,
                 webhook: String = "") throws -> GatewayProcess {
        let dir = TestPaths.temporaryDirectory("anomaly")
        let plugins = """
        plugins:
          - name: anomaly
            config:
              factor: 3
              min_daily_spend: "0.00001"
              dimensions: [team, key]
              history: \(Self.history(perDay))
        alerts:
          - {sink: webhook, url: "\(receiver.url)"\(webhook)}
        """
        return try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: dir + "/data", plugins: plugins),
                                  directory: dir)
    }

    func chat(_ port: Int, key: String = TestConfig.prodKey) throws -> HTTPResponse {
        try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: key,
                          json: #"{"model":"small","messages":[{"role":"user","content":"hello"}]}"#)
    }

    func metrics(_ port: Int) throws -> String {
        try HTTP.request(port: port, method: "GET", path: "/metrics").text
    }

    /// Polls /metrics (bounded) until it contains `line`.
    func waitForMetric(_ port: Int, _ line: String, timeout: TimeInterval = 30) throws -> String {
        let deadline = Date(timeIntervalSinceNow: timeout)
        var text = ""
        while Date() < deadline {
            text = try metrics(port)
            if text.contains(line) { return text }
            usleep(20_000)
        }
        XCTFail("/metrics never showed \(line):\n\(text)")
        return text
    }

    func testASpikeTodayIsDeliveredOnceAndASecondSpikeIsDeduplicated() throws {
        let receiver = try AnomalyWebhookReceiver()
        defer { receiver.stop() }
        let gw = try gateway(history: ["team/acme/payments": "0.000001", "key/payments-lab": "0.000001"], receiver: receiver)
        defer { gw.stop() }

        XCTAssertEqual(try chat(gw.port).status, 200)  // the spike
        let first = receiver.waitForRequests(1)
        XCTAssertEqual(first.count, 1)
        XCTAssertEqual(try chat(gw.port).status, 200)  // the same spike again, same day
        // A barrier: the lab key's own spike is raised after the second call's
        // post_call, and one worker delivers in order — had the second call
        // raised an alert, it would arrive before this one.
        XCTAssertEqual(try chat(gw.port, key: TestConfig.labKey).status, 200)
        let all = receiver.waitForRequests(2)
        XCTAssertEqual(all.count, 2, "\(all)")
        let today = Self.utcDay(daysAgo: 0)
        XCTAssertEqual(all.map { $0["subject"] as? String }, ["team/acme/payments", "key/payments-lab"])
        XCTAssertEqual(all.map { $0["kind"] as? String }, ["spend_spike", "spend_spike"])
        XCTAssertEqual(all[0]["dedupe_key"] as? String, "spend_spike:team/acme/payments:\(today)")
        XCTAssertEqual(all[0]["source"] as? String, "anomaly")
        let details = try XCTUnwrap(all[0]["details"] as? [String: Any])
        XCTAssertEqual(details["baseline_nanos_per_day"] as? Int, 1_000)
        XCTAssertEqual(details["baseline_days"] as? Int, 7)
        XCTAssertGreaterThan(details["today_nanos"] as? Int ?? 0, 3_000)

        let text = try waitForMetric(gw.port, #"tollgate_alert_deliveries_total{sink="\#(receiver.sinkLabel)",result="delivered"} 2"#)
        XCTAssertTrue(text.contains(#"tollgate_alerts_total{kind="spend_spike""#), text)
    }

    func testNoSpikeNoAlert() throws {
        let receiver = try AnomalyWebhookReceiver()
        defer { receiver.stop() }
        // The team usually spends $100 a day: one call is nothing. The lab
        // key's tiny baseline gives a barrier alert to wait for.
        let gw = try gateway(history: ["team/acme/payments": "100", "key/payments-lab": "0.000001"], receiver: receiver)
        defer { gw.stop() }
        for _ in 0..<3 { XCTAssertEqual(try chat(gw.port).status, 200) }
        XCTAssertEqual(try chat(gw.port, key: TestConfig.labKey).status, 200)
        let all = receiver.waitForRequests(1)
        XCTAssertEqual(all.map { $0["subject"] as? String }, ["key/payments-lab"], "the team must not alert: \(all)")
    }

    func testAFailingWebhookIsRetriedThenGivenUpWhileRequestsFlow() throws {
        let receiver = try AnomalyWebhookReceiver(status: 500)
        defer { receiver.stop() }
        receiver.hold()  // the first POST hangs until the requests below are done
        let gw = try gateway(history: ["team/acme/payments": "0.000001"], receiver: receiver,
                             webhook: ", retries: 2, backoff_ms: 10, timeout_ms: 60000")
        defer { gw.stop() }

        XCTAssertEqual(try chat(gw.port).status, 200)
        XCTAssertEqual(receiver.waitForRequests(1).count, 1, "the alert never reached the receiver")
        // The webhook worker is stuck in a POST; requests must not notice.
        for _ in 0..<10 { XCTAssertEqual(try chat(gw.port).status, 200) }
        XCTAssertEqual(receiver.received.count, 1, "still the one held POST")
        receiver.release()

        let text = try waitForMetric(gw.port, #"tollgate_alert_deliveries_total{sink="\#(receiver.sinkLabel)",result="failed"} 1"#)
        XCTAssertEqual(receiver.received.count, 3, "one try and two retries, then it gives up")
        XCTAssertTrue(text.contains(#"tollgate_alert_delivery_attempts_total{sink="\#(receiver.sinkLabel)",result="failure"} 3"#), text)
        XCTAssertFalse(text.contains(#"result="delivered""#), text)
    }
}
