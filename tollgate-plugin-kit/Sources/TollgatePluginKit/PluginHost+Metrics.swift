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
    /// Series this metric has recorded to by label values, resolved once on
    /// a 1.3 host (see `series(_:)`).
    private let resolved: SeriesHandles

    init(host: PluginHost, id: UInt32, kind: Kind, name: String, labelNames: [String]) {
        self.host = host
        self.id = id
        self.kind = kind
        self.name = name
        self.labelNames = labelNames
        resolved = SeriesHandles()
    }

    /// Records `value` (added for a counter, set for a gauge, observed for
    /// a histogram) with one label value per declared label name.
    ///
    /// On a 1.3 host the label values are resolved to a series handle the
    /// first time and found in a local table afterwards (up to
    /// `SeriesHandles.capacity` distinct sets; more go by label each time).
    /// For a fixed set of series, `series(_:)` once in init is cheaper still.
    @discardableResult
    public func record(_ value: Double, labels: [String] = []) -> HostStatus {
        if let handle = resolved.handle(for: labels, resolve: { resolveHandle($0) }) {
            return MetricSeries.record(value, handle: handle, on: host)
        }
        return recordByLabels(value, labels)
    }

    /// One series of this metric, for recording with no label strings:
    /// resolve it once (in init, or on first use) and call `record` on it
    /// from hooks. Throws for a wrong number of label values. On a host
    /// older than ABI 1.3 the series records by label values.
    public func series(_ labels: [String] = []) throws -> MetricSeries {
        let operation = "resolve a series of metric \"\(name)\""
        guard labels.count == labelNames.count else { throw HostStatusError(.invalidArgument, operation: operation) }
        guard host.hostAPI.provides(\.metric_series_record) else { return MetricSeries(metric: self, labels: labels, handle: 0) }
        guard let handle = resolved.handle(for: labels, resolve: { resolveHandle($0) }) else {
            throw HostStatusError(.invalidArgument, operation: operation)
        }
        return MetricSeries(metric: self, labels: labels, handle: handle)
    }

    /// The host's handle for a series; nil on a host older than 1.3 or when
    /// the host refuses the labels.
    private func resolveHandle(_ labels: [String]) -> UInt64? {
        guard host.hostAPI.provides(\.metric_series_record), let resolve = host.hostAPI.pointee.metric_series else { return nil }
        var handle: UInt64 = 0
        let handleOut = host.handle
        let status = withTollgateStrs(labels) { strs in resolve(handleOut, id, strs.baseAddress, strs.count, &handle) }
        return status == TOLLGATE_STATUS_OK && handle != 0 ? handle : nil
    }

    fileprivate func recordByLabels(_ value: Double, _ labels: [String]) -> HostStatus {
        guard let record = host.hostAPI.pointee.metric_record else { return .internalError }
        let handle = host.handle
        return withTollgateStrs(labels) { strs in
            HostStatus(rawValue: record(handle, id, strs.baseAddress, strs.count, value))
        }
    }
}

/// One series of a metric (fixed label values), from `Metric.series(_:)`.
public struct MetricSeries: Sendable {
    public let metric: Metric
    public let labels: [String]
    /// The host's handle; 0 on a host older than ABI 1.3.
    let handle: UInt64

    /// Records `value` on this series: added for a counter, set for a gauge,
    /// observed for a histogram.
    @discardableResult
    public func record(_ value: Double) -> HostStatus {
        handle == 0 ? metric.recordByLabels(value, labels) : MetricSeries.record(value, handle: handle, on: metric.host)
    }

    static func record(_ value: Double, handle: UInt64, on host: PluginHost) -> HostStatus {
        guard let record = host.hostAPI.pointee.metric_series_record else { return .internalError }
        return HostStatus(rawValue: record(host.handle, handle, value))
    }
}

/// Label values -> series handle, for `Metric.record(_:labels:)`. Bounded:
/// a plugin that labels by an unbounded value (a user id) must not grow it
/// without end; past `capacity` the rest record by label values.
final class SeriesHandles: @unchecked Sendable {
    static let capacity = 4096
    private let table = Locked<[[String]: UInt64]>([:])

    func handle(for labels: [String], resolve: ([String]) -> UInt64?) -> UInt64? {
        if let found = table.withLock({ $0[labels] }) { return found }
        // Resolve outside the lock: the host call takes its own locks.
        guard let handle = resolve(labels) else { return nil }
        table.withLock { handles in
            if handles.count < SeriesHandles.capacity { handles[labels] = handle }
        }
        return handle
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
