/// An alert for the host's sinks (log, webhook, metric), deduplicated by
/// `dedupeKey` within the host's window.
public struct Alert: Equatable, Sendable {
    public enum Severity: Int32, Sendable {
        case info = 0, warning, critical
    }

    public var severity: Severity
    /// Short machine-readable kind, e.g. "budget_threshold".
    public var kind: String
    /// What the alert is about, e.g. "team/acme/payments".
    public var subject: String
    /// One line a person reads.
    public var message: String
    /// "This condition in this window", e.g.
    /// "budget_threshold:team/acme/payments:80:2026-11-22".
    public var dedupeKey: String
    /// Extra facts as a JSON object, or nil.
    public var details: JSONValue?

    public init(severity: Severity, kind: String, subject: String, message: String,
                dedupeKey: String, details: JSONValue? = nil) {
        self.severity = severity
        self.kind = kind
        self.subject = subject
        self.message = message
        self.dedupeKey = dedupeKey
        self.details = details
    }
}
