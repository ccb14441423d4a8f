import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// An alert raised by a plugin or the core.
package struct Alert: Sendable, Equatable {
    package enum Severity: Int32, Sendable, CustomStringConvertible {
        case info = 0, warning = 1, critical = 2
        package var description: String {
            switch self {
            case .info: return "info"
            case .warning: return "warning"
            case .critical: return "critical"
            }
        }
    }

    package var severity: Severity
    package var kind: String
    package var subject: String
    package var message: String
    /// The same key is delivered once: it names the condition and its window.
    package var dedupeKey: String
    /// A JSON object with extra facts, or "" for none.
    package var detailsJSON: String
    /// Which plugin instance raised it ("core" for the core).
    package var source: String

    package init(severity: Severity, kind: String, subject: String, message: String, dedupeKey: String,
                detailsJSON: String = "", source: String) {
        self.severity = severity
        self.kind = kind
        self.subject = subject
        self.message = message
        self.dedupeKey = dedupeKey
        self.detailsJSON = detailsJSON
        self.source = source
    }
}

/// Where alerts go. Deliver must never block the caller.
package protocol AlertSink: Sendable {
    func deliver(_ alert: Alert)
    /// How GET /admin/alerts names the sink: "log", "webhook:HOST[:PORT]".
    var name: String { get }
    /// Called by the router when it adopts the sink: where the sink counts
    /// its deliveries. The sinks are built from config alone (also on
    /// reload), so the metrics arrive here rather than in the initialiser.
    func attach(metrics: GatewayMetrics)
    /// The router stopped using the sink (reload or shutdown): accept no
    /// more, give what is queued one last attempt, then stop. Does not block.
    func close()
    /// Blocks until the sink has nothing left to do or `timeoutMs` passed;
    /// true when it finished.
    func waitUntilDrained(timeoutMs: Int) -> Bool
}

extension AlertSink {
    package var name: String { String(describing: type(of: self)) }
    package func attach(metrics: GatewayMetrics) {}
    package func close() {}
    package func waitUntilDrained(timeoutMs: Int) -> Bool { true }
}
