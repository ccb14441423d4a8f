import Foundation
import Logging
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// Delivers alerts as JSON POSTs to one URL. `deliver` only appends to a
/// bounded queue and returns: one worker thread of its own does the HTTP,
/// the retries and the pauses between them, so a dead or slow receiver
/// never slows a request. When the queue is full the new alert is dropped
/// and counted (`tollgate_alert_queue_dropped_total`).
///
/// Metrics, labelled with `sink` = "webhook:HOST[:PORT]" (never the path,
/// which may hold a token):
/// - `tollgate_alert_deliveries_total{sink,result}`: result delivered | failed
/// - `tollgate_alert_delivery_attempts_total{sink,result}`: success | failure
/// - `tollgate_alert_queue_dropped_total{sink}`
package final class WebhookAlertSink: AlertSink, @unchecked Sendable {
    package struct Settings: Sendable, Equatable {
        package var url: String
        package var timeoutMs: Int
        package var retries: Int
        package var backoffMs: Int
        package var queueSize: Int
        package var headers: [String: String]

        package init(url: String, timeoutMs: Int = 2_000, retries: Int = 3, backoffMs: Int = 500, queueSize: Int = 1_000,
                    headers: [String: String] = [:]) {
            self.url = url
            self.timeoutMs = timeoutMs
            self.retries = retries
            self.backoffMs = backoffMs
            self.queueSize = queueSize
            self.headers = headers
        }
    }

    package let settings: Settings
    /// The `sink` label of this sink's metrics.
    package let label: String
    package var name: String { label }
    let policy: WebhookRetryPolicy
    private let logger: Logger
    private let poster: WebhookPoster
    /// Tests replace the pause between retries (milliseconds) to run the
    /// schedule without waiting; nil waits on the clock, cut short by close.
    private let pause: ((Int) -> Void)?

    private let condition = NSCondition()
    private var queue: [(alert: Alert, raisedAt: Date)] = []
    private var head = 0
    private var busy = false
    private var closed = false
    private var metrics: GatewayMetrics?

    init(settings: Settings, logger: Logger, poster: WebhookPoster, pause: ((Int) -> Void)?) {
        self.settings = settings
        self.logger = logger
        self.poster = poster
        self.pause = pause
        policy = WebhookRetryPolicy(retries: settings.retries, backoffMs: settings.backoffMs)
        label = WebhookAlertSink.label(for: settings.url)
        let worker = Thread { [self] in run() }
        worker.name = "tollgate.alerts.webhook"
        worker.start()
    }

    static func label(for url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return "webhook" }
        return "webhook:" + host + (components.port.map { ":\($0)" } ?? "")
    }

    package func attach(metrics: GatewayMetrics) {
        condition.withLock { self.metrics = metrics }
    }

    package func deliver(_ alert: Alert) {
        let accepted: Bool = condition.withLock {
            guard !closed, queue.count - head < settings.queueSize else { return false }
            queue.append((alert, Date()))
            condition.broadcast()
            return true
        }
        if !accepted {
            record("tollgate_alert_queue_dropped_total", [label])
            logger.warning("alert dropped: the webhook queue is full or closed", metadata: [
                "sink": .string(label), "alert_kind": .string(alert.kind), "dedupe_key": .string(alert.dedupeKey),
            ])
        }
    }

    package func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }

    package func waitUntilDrained(timeoutMs: Int) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(max(0, timeoutMs)) / 1000)
        return condition.withLock {
            while !(queue.count == head && !busy) {
                if !condition.wait(until: deadline) { break }
            }
            return queue.count == head && !busy
        }
    }

    /// Alerts waiting for the worker (not counting the one in hand).
    package var pendingCount: Int { condition.withLock { queue.count - head } }

    // MARK: the worker thread

    private func run() {
        while let item = next() {
            send(item.alert, raisedAt: item.raisedAt)
            condition.withLock {
                busy = false
                condition.broadcast()
            }
        }
        poster.close()
    }

    /// The next alert, or nil once closed and empty.
    private func next() -> (alert: Alert, raisedAt: Date)? {
        condition.withLock {
            while queue.count == head && !closed { condition.wait() }
            guard queue.count > head else { return nil }
            let item = queue[head]
            head += 1
            if head > 64 && head * 2 > queue.count {  // compact now and then
                queue.removeFirst(head)
                head = 0
            }
            busy = true
            return item
        }
    }

    private func send(_ alert: Alert, raisedAt: Date) {
        let body = WebhookPayload.body(for: alert, raisedAt: raisedAt)
        let headers = settings.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        var attempt = 1
        while true {
            let result = poster.post(url: settings.url, body: body, headers: headers, timeoutMs: settings.timeoutMs)
            let step = policy.step(after: result, attempt: attempt)
            record("tollgate_alert_delivery_attempts_total", [label, step == .delivered ? "success" : "failure"])
            switch step {
            case .delivered:
                record("tollgate_alert_deliveries_total", [label, "delivered"])
                return
            case .giveUp(let reason):
                giveUp(alert, attempts: attempt, reason: reason)
                return
            case .retry(let afterMs):
                // Closing (reload, shutdown) leaves each queued alert one last try.
                guard !isClosed, wait(milliseconds: afterMs) else {
                    giveUp(alert, attempts: attempt, reason: "\(WebhookRetryPolicy.describe(result)); the sink is closing")
                    return
                }
                attempt += 1
            }
        }
    }

    private func giveUp(_ alert: Alert, attempts: Int, reason: String) {
        record("tollgate_alert_deliveries_total", [label, "failed"])
        logger.error("alert not delivered to the webhook; giving up: \(reason)", metadata: [
            "sink": .string(label), "alert_kind": .string(alert.kind), "subject": .string(alert.subject),
            "dedupe_key": .string(alert.dedupeKey), "attempts": .string(String(attempts)),
        ])
    }

    private var isClosed: Bool { condition.withLock { closed } }

    /// Pauses between attempts; false when close() cut the pause short.
    private func wait(milliseconds: Int) -> Bool {
        if let pause {
            pause(milliseconds)
            return !isClosed
        }
        let deadline = Date(timeIntervalSinceNow: Double(milliseconds) / 1000)
        return condition.withLock {
            while !closed {
                if !condition.wait(until: deadline) { return true }
            }
            return false
        }
    }

    private func record(_ name: String, _ labels: [String]) {
        let metrics = condition.withLock { self.metrics }
        metrics?.record(name, labels: labels, value: 1)
    }
}
