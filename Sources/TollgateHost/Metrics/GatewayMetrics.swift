import Foundation
import NIOConcurrencyHelpers
import Prometheus
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// Every metric on /metrics: the core's own and the ones plugins define.
/// One registry for the process, so series survive plugin reloads.
package final class GatewayMetrics: @unchecked Sendable {
    package let registry = PrometheusCollectorRegistry()
    private let lock = NIOLock()
    private var definitions: [String: MetricDefinition] = [:]
    /// By id: each definition with the series it has recorded to.
    private var byID: [SeriesTable] = []
    /// Series resolved to a handle (ABI 1.3 metric_series), by handle - 1.
    private var resolved: [SeriesTable.Series] = []

    package enum Kind: Int32, Sendable { case counter = 0, gauge = 1, histogram = 2 }

    struct MetricDefinition {
        let id: UInt32
        let kind: Kind
        let name: String
        let help: String
        let labelNames: [String]
    }

    package static let latencyBuckets: [Double] = [
        0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
        0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
    ]

    package init() {
        // Register the core's names so a plugin cannot take them with
        // another shape.
        _ = try? define(kind: .counter, name: "tollgate_requests_total", help: "Requests by route, status and model.",
                        labelNames: ["route", "status", "model"])
        _ = try? define(kind: .histogram, name: "tollgate_gateway_duration_seconds",
                        help: "Time spent in the gateway itself (total minus upstream), per route.", labelNames: ["route"])
        _ = try? define(kind: .histogram, name: "tollgate_upstream_duration_seconds",
                        help: "Time spent waiting on the upstream, per route.", labelNames: ["route"])
        _ = try? define(kind: .gauge, name: "tollgate_in_flight_requests", help: "Requests being served now.", labelNames: [])
        _ = try? define(kind: .gauge, name: "tollgate_client_connections", help: "Open client connections.", labelNames: [])
        _ = try? define(kind: .counter, name: "tollgate_client_connections_refused_total",
                        help: "Client connections closed at accept because server.max_connections were open.", labelNames: [])
        _ = try? define(kind: .counter, name: "tollgate_client_connection_timeouts_total",
                        help: "Client connections closed by the header, idle or body timeout.", labelNames: ["phase"])
        _ = try? define(kind: .counter, name: "tollgate_accept_errors_total",
                        help: "Failed accepts by error (EMFILE: too many open files); those for want of descriptors or memory pause accepting for 100 ms.",
                        labelNames: ["error"])
        _ = try? define(kind: .histogram, name: "tollgate_plugin_hook_duration_seconds",
                        help: "Time spent in plugin hooks.", labelNames: ["plugin", "hook"])
        _ = try? define(kind: .counter, name: "tollgate_plugin_errors_total",
                        help: "Hooks that returned an error.", labelNames: ["plugin", "hook", "policy"])
        _ = try? define(kind: .counter, name: "tollgate_plugin_host_call_refused_total",
                        help: "Host calls a plugin made that the ABI's rules refused (wrong phase, read-only map), by function and status.",
                        labelNames: ["plugin", "function", "status"])
        _ = try? define(kind: .gauge, name: "tollgate_plugin_images_retired",
                        help: "Plugin images kept mapped after their generation drained (never unloaded).", labelNames: [])
        _ = try? define(kind: .gauge, name: "tollgate_plugin_images_open", help: "Plugin images in use.", labelNames: [])
        _ = try? define(kind: .gauge, name: "tollgate_generation", help: "Id of the serving generation.", labelNames: [])
        _ = try? define(kind: .counter, name: "tollgate_reload_total", help: "Reloads by result (ok, failed).",
                        labelNames: ["result"])
        _ = try? define(kind: .counter, name: "tollgate_upstream_attempts_total",
                        help: "Upstream calls by model, deployment and result (failures include 429/5xx, timeouts, connect errors).",
                        labelNames: ["model", "deployment", "result"])
        _ = try? define(kind: .gauge, name: "tollgate_deployment_cooling_down",
                        help: "1 while a deployment rests after repeated failures, else 0.", labelNames: ["model", "deployment"])
        _ = try? define(kind: .counter, name: "tollgate_alerts_total", help: "Alerts raised, after deduplication.",
                        labelNames: ["kind", "severity"])
        _ = try? define(kind: .counter, name: "tollgate_alert_deliveries_total",
                        help: "Alerts a sink finished with: delivered, or failed after its retries.", labelNames: ["sink", "result"])
        _ = try? define(kind: .counter, name: "tollgate_alert_delivery_attempts_total",
                        help: "Webhook POSTs by result (success or failure), retries included.", labelNames: ["sink", "result"])
        _ = try? define(kind: .counter, name: "tollgate_alert_queue_dropped_total",
                        help: "Alerts dropped because a sink's queue was full.", labelNames: ["sink"])
    }

    package struct DefinitionError: Error, CustomStringConvertible {
        package var description: String
    }

    /// Declares a metric; the same name with the same shape returns the
    /// same id.
    package func define(kind: Kind, name: String, help: String, labelNames: [String]) throws -> UInt32 {
        guard GatewayMetrics.isValidName(name) else {
            throw DefinitionError(description: "invalid metric name '\(name)'")
        }
        for label in labelNames where !GatewayMetrics.isValidName(label) || label.contains(":") {
            throw DefinitionError(description: "invalid label name '\(label)'")
        }
        return try lock.withLock {
            if let existing = definitions[name] {
                guard existing.kind == kind, existing.labelNames == labelNames else {
                    throw DefinitionError(description: "metric '\(name)' is already defined with another kind or labels")
                }
                return existing.id
            }
            let definition = MetricDefinition(id: UInt32(byID.count), kind: kind, name: name, help: help, labelNames: labelNames)
            definitions[name] = definition
            byID.append(SeriesTable(definition))
            return definition.id
        }
    }

    package func id(of name: String) -> UInt32? { lock.withLock { definitions[name]?.id } }

    /// Records a value; false for an unknown id or a wrong label count.
    /// A series is made in the registry once and then found by its label
    /// values alone (the registry's make* would look the name and labels up
    /// and check the help text on every call).
    @discardableResult
    package func record(id: UInt32, labelValues: [String], value: Double) -> Bool {
        guard let table = table(id, labelCount: labelValues.count) else { return false }
        return GatewayMetrics.apply(value, to: table.series(labelValues) { makeSeries(table.definition, labelValues) })
    }

    /// The handle of one series (made if new) for recording without labels:
    /// the same id and label values always give the same handle, never 0.
    /// nil for an unknown id or a wrong label count.
    package func seriesHandle(id: UInt32, labelValues: [String]) -> UInt64? {
        guard let table = table(id, labelCount: labelValues.count) else { return nil }
        return table.handle(labelValues, make: { makeSeries(table.definition, labelValues) }) { series in
            lock.withLock {
                resolved.append(series)
                return UInt64(resolved.count)
            }
        }
    }

    /// Records on a series from `seriesHandle`; false for an unknown handle
    /// or a value the metric's kind refuses.
    @discardableResult
    package func record(series handle: UInt64, value: Double) -> Bool {
        guard let series = lock.withLock({ handle > 0 && handle <= UInt64(resolved.count) ? resolved[Int(handle - 1)] : nil })
        else { return false }
        return GatewayMetrics.apply(value, to: series)
    }

    private func table(_ id: UInt32, labelCount: Int) -> SeriesTable? {
        guard let table = lock.withLock({ Int(id) < byID.count ? byID[Int(id)] : nil }),
              table.definition.labelNames.count == labelCount else { return nil }
        return table
    }

    /// NaN is refused for every kind, a negative value for a counter.
    private static func apply(_ value: Double, to series: SeriesTable.Series) -> Bool {
        guard !value.isNaN else { return false }
        switch series {
        case .counter(let counter):
            guard value >= 0 else { return false }
            counter.increment(by: value)
        case .gauge(let gauge): gauge.set(value)
        case .histogram(let histogram): histogram.record(value)
        }
        return true
    }

    /// A new series in the registry (called once per label values).
    private func makeSeries(_ definition: MetricDefinition, _ labelValues: [String]) -> SeriesTable.Series {
        let labels = Array(zip(definition.labelNames, labelValues))
        switch definition.kind {
        case .counter:
            return .counter(registry.makeCounter(name: definition.name, labels: labels, help: definition.help))
        case .gauge:
            return .gauge(registry.makeGauge(name: definition.name, labels: labels, help: definition.help))
        case .histogram:
            return .histogram(registry.makeValueHistogram(name: definition.name, labels: labels,
                                                          buckets: GatewayMetrics.latencyBuckets, help: definition.help))
        }
    }

    @discardableResult
    package func record(_ name: String, labels: [String] = [], value: Double) -> Bool {
        guard let id = id(of: name) else { return false }
        return record(id: id, labelValues: labels, value: value)
    }

    package func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        func ok(_ c: UInt8, first: Bool) -> Bool {
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || c == 0x3A || (!first && c >= 0x30 && c <= 0x39)
        }
        guard ok(first, first: true) else { return false }
        return name.utf8.dropFirst().allSatisfy { ok($0, first: false) }
    }
}

/// One metric definition and its series, by label values.
package final class SeriesTable: @unchecked Sendable {
    enum Series {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(ValueHistogram)
    }

    let definition: GatewayMetrics.MetricDefinition
    private let lock = NIOLock()
    /// A series, and its handle once one was asked for (0 until then).
    private struct Entry {
        let series: Series
        var handle: UInt64 = 0
    }

    private var byLabels: [[String]: Entry] = [:]

    init(_ definition: GatewayMetrics.MetricDefinition) { self.definition = definition }

    /// The series for `labelValues`; `make` makes it the first time.
    func series(_ labelValues: [String], make: () -> Series) -> Series {
        lock.withLock { entry(labelValues, make).series }
    }

    /// The series' handle; `assign` numbers it the first time one is asked
    /// for (under this table's lock, so each series gets exactly one).
    func handle(_ labelValues: [String], make: () -> Series, assign: (Series) -> UInt64) -> UInt64 {
        lock.withLock {
            var found = entry(labelValues, make)
            if found.handle == 0 {
                found.handle = assign(found.series)
                byLabels[labelValues] = found
            }
            return found.handle
        }
    }

    /// Under the lock.
    private func entry(_ labelValues: [String], _ make: () -> Series) -> Entry {
        if let found = byLabels[labelValues] { return found }
        let made = Entry(series: make())
        byLabels[labelValues] = made
        return made
    }
}
