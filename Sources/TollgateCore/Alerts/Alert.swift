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
}
