import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// An alert raised by a plugin or the core.
public struct Alert: Sendable, Equatable {
    public enum Severity: Int32, Sendable, CustomStringConvertible {
        case info = 0, warning = 1, critical = 2
        public var description: String {
            switch self {
            case .info: return "info"
            case .warning: return "warning"
            case .critical: return "critical"
            }
        }
    }

    public var severity: Severity
    public var kind: String
    public var subject: String
    public var message: String
    /// The same key is delivered once: it names the condition and its window.
    public var dedupeKey: String
    /// A JSON object with extra facts, or "" for none.
    public var detailsJSON: String
    /// Which plugin instance raised it ("core" for the core).
    public var source: String

    public init(severity: Severity, kind: String, subject: String, message: String, dedupeKey: String,
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
public protocol AlertSink: Sendable {
    func deliver(_ alert: Alert)
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
    public func attach(metrics: GatewayMetrics) {}
    public func close() {}
    public func waitUntilDrained(timeoutMs: Int) -> Bool { true }
}
