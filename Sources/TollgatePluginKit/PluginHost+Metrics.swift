/// A metric defined through the host. Recording is callable from any hook
/// or thread.
public struct Metric: Sendable {
    public enum Kind: Int32, Sendable {
        case counter = 0, gauge, histogram
    }

    public let host: PluginHost
    public let id: UInt32
    public let kind: Kind
    public let name: String
    public let labelNames: [String]

    /// Records `value` (added for a counter, set for a gauge, observed for
    /// a histogram) with one label value per declared label name.
    @discardableResult
    public func record(_ value: Double, labels: [String] = []) -> HostStatus {
        guard let record = host.hostAPI.pointee.metric_record else { return .internalError }
        let handle = host.handle
        return withTollgateStrs(labels) { strs in
            HostStatus(rawValue: record(handle, id, strs.baseAddress, strs.count, value))
        }
    }
}

extension PluginHost {
    /// Declares a counter (values are added; must be >= 0). Call from init:
    /// the same name, kind and labels give the same series across reloads.
    public func defineCounter(name: String, help: String, labels: [String] = []) throws -> Metric {
        try defineMetric(.counter, name: name, help: help, labels: labels)
    }

    /// Declares a gauge (values replace the current one).
    public func defineGauge(name: String, help: String, labels: [String] = []) throws -> Metric {
        try defineMetric(.gauge, name: name, help: help, labels: labels)
    }

    /// Declares a histogram (values are observed; seconds by convention).
    public func defineHistogram(name: String, help: String, labels: [String] = []) throws -> Metric {
        try defineMetric(.histogram, name: name, help: help, labels: labels)
    }

    public func defineMetric(_ kind: Metric.Kind, name: String, help: String, labels: [String]) throws -> Metric {
        let operation = "define metric \"\(name)\""
        guard let define = hostAPI.pointee.metric_define else { throw HostStatusError(.internalError, operation: operation) }
        var id: UInt32 = 0
        let status = withTollgateStrs([name, help, labels.joined(separator: ",")]) { strs in
            define(handle, kind.rawValue, strs[0], strs[1], strs[2], &id)
        }
        guard status == TOLLGATE_STATUS_OK else { throw HostStatusError(HostStatus(rawValue: status), operation: operation) }
        return Metric(host: self, id: id, kind: kind, name: name, labelNames: labels)
    }
}
