import Foundation
import Logging
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// Deduplicates alerts and hands them to every sink.
package final class AlertRouter: @unchecked Sendable {
    private let lock = NSLock()
    private var sinks: [AlertSink]
    private var seen: Set<String> = []
    private var seenOrder: [String] = []
    private let metrics: GatewayMetrics
    /// Dedupe keys remembered; the oldest are forgotten past this.
    let memory: Int
    /// The last alerts delivered (GET /admin/alerts).
    private var recent: RecentAlerts
    private let clock: @Sendable () -> Int64

    /// `recentCapacity`: how many delivered alerts `recentAlerts` keeps;
    /// `clock`: Unix microseconds, for their time.
    package init(sinks: [AlertSink], metrics: GatewayMetrics, memory: Int = 100_000, recentCapacity: Int = 500,
                 clock: @escaping @Sendable () -> Int64 = MonotonicClock.wallMicros) {
        self.sinks = sinks
        self.metrics = metrics
        self.memory = memory
        self.recent = RecentAlerts(capacity: recentCapacity)
        self.clock = clock
        for sink in sinks { sink.attach(metrics: metrics) }
    }

    /// Swaps in the sinks of a new config (reload). Dedupe memory is kept, so
    /// a reload does not deliver an alert twice. The old sinks finish what
    /// they hold in the background.
    package func replaceSinks(_ sinks: [AlertSink]) {
        for sink in sinks { sink.attach(metrics: metrics) }
        let old = lock.withLock {
            let old = self.sinks
            self.sinks = sinks
            return old
        }
        for sink in old { sink.close() }
    }

    /// Shutdown: stops every sink and waits up to `timeoutMs` in all for
    /// queued deliveries; false when some were still pending.
    @discardableResult
    package func close(timeoutMs: Int = 2_000) -> Bool {
        let current = lock.withLock {
            let current = sinks
            sinks = []
            return current
        }
        for sink in current { sink.close() }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeoutMs)) * 1_000_000
        var drained = true
        for sink in current {
            let now = DispatchTime.now().uptimeNanoseconds
            let left = deadline > now ? Int((deadline - now) / 1_000_000) : 0
            drained = sink.waitUntilDrained(timeoutMs: left) && drained
        }
        return drained
    }

    /// The last alerts delivered (after deduplication), newest first, and
    /// how many were delivered since the process started.
    package func recentAlerts() -> (alerts: [DeliveredAlert], recorded: Int64, capacity: Int) {
        lock.withLock { (recent.newestFirst, recent.recorded, recent.capacity) }
    }

    /// Returns false when the alert was a duplicate and was dropped.
    @discardableResult
    package func raise(_ alert: Alert) -> Bool {
        let targets: [AlertSink]? = lock.withLock {
            guard seen.insert(alert.dedupeKey).inserted else { return nil }
            seenOrder.append(alert.dedupeKey)
            if seenOrder.count > memory {
                let drop = seenOrder.count - memory
                for key in seenOrder.prefix(drop) { seen.remove(key) }
                seenOrder.removeFirst(drop)
            }
            recent.record(alert, at: clock(), sinks: sinks.map(\.name))
            return sinks
        }
        guard let targets else { return false }
        metrics.record("tollgate_alerts_total", labels: [alert.kind, alert.severity.description], value: 1)
        for sink in targets { sink.deliver(alert) }
        return true
    }
}

/// Writes each alert as one log line.
package struct LogAlertSink: AlertSink {
    let logger: Logger
    package init(logger: Logger) { self.logger = logger }

    package var name: String { "log" }

    package func deliver(_ alert: Alert) {
        let level: Logger.Level = alert.severity == .critical ? .critical : (alert.severity == .warning ? .warning : .notice)
        logger.log(level: level, "alert: \(alert.message)", metadata: [
            "alert_kind": .string(alert.kind), "subject": .string(alert.subject),
            "severity": .string(alert.severity.description), "source": .string(alert.source),
            "dedupe_key": .string(alert.dedupeKey), "details": .string(alert.detailsJSON),
        ])
    }
}
