import Logging
import Prometheus
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// What the request path records about each call and each upstream attempt:
/// the core's series, resolved to ids (or histograms) once here rather than
/// looked up by name per request, and deployment health. Names, labels and
/// help texts are GatewayMetrics'; nothing here defines a series of its own.
package final class CallRecorder: Sendable {
    let metrics: GatewayMetrics
    let health: DeploymentHealth
    private let logger: Logger
    private let requestsTotal: UInt32
    private let upstreamAttempts: UInt32
    private let coolingDown: UInt32
    private let inFlightGauge: UInt32
    private let clientConnectionsGauge: UInt32
    /// Per route: (time in the gateway itself, time waiting on the upstream).
    private let durations: [String: (gateway: ValueHistogram, upstream: ValueHistogram)]

    init(metrics: GatewayMetrics, health: DeploymentHealth, logger: Logger) {
        self.metrics = metrics
        self.health = health
        self.logger = logger
        func id(_ name: String) -> UInt32 {
            guard let id = metrics.id(of: name) else { preconditionFailure("GatewayMetrics defines \(name)") }
            return id
        }
        requestsTotal = id("tollgate_requests_total")
        upstreamAttempts = id("tollgate_upstream_attempts_total")
        coolingDown = id("tollgate_deployment_cooling_down")
        inFlightGauge = id("tollgate_in_flight_requests")
        clientConnectionsGauge = id("tollgate_client_connections")
        var durations: [String: (gateway: ValueHistogram, upstream: ValueHistogram)] = [:]
        for dialect in APIDialect.allCases {
            durations[dialect.route] = (
                metrics.registry.makeValueHistogram(name: "tollgate_gateway_duration_seconds", labels: [("route", dialect.route)],
                                                    buckets: GatewayMetrics.latencyBuckets,
                                                    help: "Time spent in the gateway itself (total minus upstream), per route."),
                metrics.registry.makeValueHistogram(name: "tollgate_upstream_duration_seconds", labels: [("route", dialect.route)],
                                                    buckets: GatewayMetrics.latencyBuckets,
                                                    help: "Time spent waiting on the upstream, per route.")
            )
        }
        self.durations = durations
    }

    /// One finished API call.
    func request(route: String, status: Int, model: String, totalNanos: UInt64, upstreamNanos: UInt64) {
        metrics.record(id: requestsTotal, labelValues: [route, String(status), model], value: 1)
        if let histograms = durations[route] {
            histograms.gateway.record(Double(totalNanos &- min(upstreamNanos, totalNanos)) / 1e9)
            if upstreamNanos > 0 { histograms.upstream.record(Double(upstreamNanos) / 1e9) }
        }
    }

    /// One upstream attempt's result: counted, and fed to deployment health
    /// (repeated failures start a cool-down).
    func attempt(model: String, deployment: String, failed: Bool) {
        metrics.record(id: upstreamAttempts, labelValues: [model, deployment, failed ? "failure" : "success"], value: 1)
        guard failed else {
            // A success never starts a cool-down; the gauge is refreshed on
            // every scrape (exposition), so nothing to publish here.
            return health.recordSuccess(model: model, deployment: deployment)
        }
        if health.recordFailure(model: model, deployment: deployment) {
            logger.warning("deployment cooling down after repeated failures",
                           metadata: ["model": .string(model), "deployment": .string(deployment)])
        }
        let cooling = health.isCoolingDown(model: model, deployment: deployment)
        metrics.record(id: coolingDown, labelValues: [model, deployment], value: cooling ? 1 : 0)
    }

    /// `GET /metrics`: the gauges counted elsewhere are published now.
    func exposition(inFlight: Int, clientConnections: Int) -> [UInt8] {
        metrics.record(id: inFlightGauge, labelValues: [], value: Double(inFlight))
        metrics.record(id: clientConnectionsGauge, labelValues: [], value: Double(clientConnections))
        // A cool-down ends by the clock, not by an attempt: refresh the
        // gauge on every scrape so a recovered deployment reads 0.
        for state in health.deploymentStates() {
            metrics.record(id: coolingDown, labelValues: [state.model, state.deployment], value: state.coolingDown ? 1 : 0)
        }
        return metrics.exposition()
    }
}
