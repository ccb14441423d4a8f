import Atomics
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// The running gateway: the listening socket, the serving generation, the
/// upstream transports and the metrics. `serve` builds one.
public final class Gateway: @unchecked Sendable {
    public let generations: GenerationStore
    public let services: HostServices
    let hookTimers: HookTimers
    let logger: Logger
    let upstream: HTTP1Transport
    private let mockLock = NSLock()
    private var mockTransports: [String: MockTransport] = [:]
    private let group: MultiThreadedEventLoopGroup
    var serverChannel: Channel?
    /// --host / --port given to serve: they win over `server.listen`, and a
    /// reload never rebinds then.
    var listenOverride: (host: String?, port: Int?) = (nil, nil)
    private let stopped = DispatchSemaphore(value: 0)
    let reloadQueue = DispatchQueue(label: "tollgate.reload")
    var lastReload: ReloadAttempt?
    private let inFlightCount = ManagedAtomicCounter()
    /// Open client connections (ClientConnectionCap counts them).
    let clientConnections = ManagedAtomicCounter()
    let connectionWarnings = WarningThrottle()
    private var durations: [String: (gateway: ValueHistogram, upstream: ValueHistogram)] = [:]
    private let control = DispatchQueue(label: "tollgate.control")
    public let health = DeploymentHealth()
    /// The id the next generation gets. Taken only when a generation
    /// starts serving: a failed reload consumes none.
    private var nextGenerationID = 1
    /// Set once the shutdown grace period is over: calls still in flight
    /// are cut, and recorded as such (CallStateMachine.cutByShutdown).
    private let cuttingInFlightCalls = ManagedAtomic<Bool>(false)
    var isCuttingInFlightCalls: Bool { cuttingInFlightCalls.load(ordering: .acquiring) }

    /// Builds the first generation; throws PluginLoadError if a plugin
    /// cannot be loaded or created.
    public init(config: TollgateConfig, logger: Logger, eventLoopThreads: Int = Gateway.defaultEventLoopThreads) throws {
        self.logger = logger
        let metrics = GatewayMetrics()
        let alerts = AlertRouter(sinks: Gateway.alertSinks(config: config, logger: logger), metrics: metrics)
        self.services = HostServices(metrics: metrics, alerts: alerts, logger: logger, libraries: PluginLibraryCache(),
                                     counters: try Gateway.counterStore(config: config, logger: logger))
        self.hookTimers = HookTimers(metrics: metrics)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, eventLoopThreads))
        self.upstream = HTTP1Transport(group: group, trustRootsFile: HTTP1Transport.environmentTrustRoots)
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
        let placeholder = Generation(id: 0, config: config, plugins: [], onDrained: { _ in })
        self.generations = GenerationStore(placeholder)
        let first: Generation
        do {
            first = try makeGeneration(config: config)
        } catch {
            upstream.shutdown()
            try? group.syncShutdownGracefully()
            throw error
        }
        health.failureThreshold = config.server.retries.cooldownAfterFailures
        health.cooldownMillis = config.server.retries.cooldownSeconds * 1000
        startServing(first)
    }

    /// Event-loop threads: TOLLGATE_EVENT_LOOP_THREADS, else one per core.
    public static var defaultEventLoopThreads: Int {
        if let text = ProcessInfo.processInfo.environment["TOLLGATE_EVENT_LOOP_THREADS"], let n = Int(text), n > 0 { return n }
        return System.coreCount
    }

    static func alertSinks(config: TollgateConfig, logger: Logger) -> [AlertSink] {
        var sinks: [AlertSink] = []
        for sink in config.alerts {
            switch sink {
            case .log: sinks.append(LogAlertSink(logger: logger))
            case let .webhook(url, timeoutMs, retries, backoffMs, queueSize, headers):
                sinks.append(WebhookAlertSink(settings: .init(url: url, timeoutMs: timeoutMs, retries: retries,
                                                              backoffMs: backoffMs, queueSize: queueSize, headers: headers),
                                              logger: logger))
            }
        }
        return sinks  // `alerts: []` turns alerts off; no `alerts` key decodes as [log]
    }

    /// Builds the next generation (not yet serving: see startServing).
    /// Called at start and on the reload queue, one at a time.
    func makeGeneration(config: TollgateConfig) throws -> Generation {
        let libraries = services.libraries
        let control = self.control
        let logger = self.logger
        let builder = GenerationBuilder(services: services) { [weak self] drained in
            control.async { [weak self] in
                drained.destroyInstances(libraries: libraries)
                libraries.removeUnusedImages()
                logger.info("generation \(drained.id) drained and destroyed")
                self?.publishImageCounts()
            }
        }
        return try builder.build(config: config, id: nextGenerationID)
    }

    /// Makes a built generation the serving one; its id is taken now.
    func startServing(_ next: Generation) {
        nextGenerationID = next.id + 1
        generations.swap(to: next)
        services.metrics.record("tollgate_generation", value: Double(next.id))
        services.libraries.removeUnusedImages()
        publishImageCounts()
    }

    func publishImageCounts() {
        services.metrics.record("tollgate_plugin_images_retired", value: Double(services.libraries.retiredImageCount))
        services.metrics.record("tollgate_plugin_images_open", value: Double(services.libraries.openImageCount))
    }

    // MARK: lifecycle

    /// Binds and starts serving; returns the bound address.
    @discardableResult
    public func start(host: String? = nil, port: Int? = nil) throws -> SocketAddress {
        listenOverride = (host, port)
        let server = generations.generation.config.server
        ensureDescriptorLimit()
        let channel = try bind(host: host ?? server.host, port: port ?? server.port)
        serverChannel = channel
        return channel.localAddress!
    }

    func bind(host: String, port: Int) throws -> Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelInitializer { channel in self.configureListener(channel) }
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            // Each connection keeps its read buffer between reads: start it
            // small (most requests are a few hundred bytes; it grows for big
            // prompts), which is ~1.5 KB less per open client connection.
            .childChannelOption(ChannelOptions.recvAllocator,
                                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536))
            .childChannelInitializer { channel in self.configureClientConnection(channel) }
        return try bootstrap.bind(host: host, port: port).wait()
    }

    public var boundPort: Int? { serverChannel?.localAddress?.port }

    /// Blocks until shutdown() finished.
    public func waitUntilStopped() {
        stopped.wait()
        stopped.signal()
    }

    /// Stops accepting, lets in-flight calls finish (up to `grace`), then
    /// destroys the plugins (they flush what they hold) and stops.
    public func shutdown(grace: TimeAmount = .seconds(10)) {
        try? serverChannel?.close().wait()
        let deadline = NIODeadline.now() + grace
        while inFlightCount.value > 0 && NIODeadline.now() < deadline {
            usleep(10_000)
        }
        // Calls still in flight are cut: each ends as "aborted", decided by
        // "core" (not as an upstream failure or a client disconnect, which
        // is not what happened), with its post_call. Upstreams first (no
        // more callbacks), then the connections, then the plugins.
        if inFlightCount.value > 0 {
            logger.warning("shutdown grace period over; cutting the calls still in flight",
                           metadata: ["in_flight": .string(String(inFlightCount.value))])
        }
        cuttingInFlightCalls.store(true, ordering: .releasing)
        upstream.shutdown()
        try? group.syncShutdownGracefully()
        let done = DispatchSemaphore(value: 0)
        let last = generations.generation
        control.async {
            // The server is closed and in-flight calls had their grace
            // period: nothing pins it any more.
            last.destroyInstances(libraries: self.services.libraries)
            self.services.libraries.removeUnusedImages()
            self.services.libraries.removeImageFolder()
            done.signal()
        }
        done.wait()
        services.counters.close()  // after the plugins: their last settles are committed
        services.alerts.close(timeoutMs: 2_000)  // after the plugins: alerts raised while they stop go out too
        stopped.signal()
    }

    // MARK: used by the request path

    var maxBodyBytes: Int { generations.generation.config.server.maxBodyBytes }
    var isReady: Bool { serverChannel != nil }

    func timeouts(for generation: Generation) -> UpstreamTimeouts { generation.config.server.timeouts }

    func transport(for entry: ModelEntry) -> UpstreamTransport {
        guard entry.provider == .mock else { return upstream }
        let key = "\(entry.mock.chunks)/\(entry.mock.chunkDelayMs)/\(entry.mock.outputTokens)"
        return mockLock.withLock {
            if let t = mockTransports[key] { return t }
            let t = MockTransport(defaults: MockDirectives(chunks: entry.mock.chunks, chunkDelayMs: entry.mock.chunkDelayMs,
                                                           outputTokens: entry.mock.outputTokens))
            mockTransports[key] = t
            return t
        }
    }

    /// Counted in an atomic; the gauge is published at scrape time.
    func inFlight(_ delta: Int) {
        _ = inFlightCount.add(delta)
    }

    func recordRequest(route: String, status: Int, model: String, totalNanos: UInt64, upstreamNanos: UInt64) {
        services.metrics.record("tollgate_requests_total", labels: [route, String(status), model], value: 1)
        if let histograms = durations[route] {
            histograms.gateway.record(Double(totalNanos &- min(upstreamNanos, totalNanos)) / 1e9)
            if upstreamNanos > 0 { histograms.upstream.record(Double(upstreamNanos) / 1e9) }
        }
    }

    func recordAttempt(model: String, deployment: String, failed: Bool) {
        services.metrics.record("tollgate_upstream_attempts_total", labels: [model, deployment, failed ? "failure" : "success"],
                                value: 1)
        guard failed else {
            // A success never starts a cool-down; the gauge is refreshed on
            // every scrape (metricsExposition), so nothing to publish here.
            return health.recordSuccess(model: model, deployment: deployment)
        }
        if health.recordFailure(model: model, deployment: deployment) {
            logger.warning("deployment cooling down after repeated failures",
                           metadata: ["model": .string(model), "deployment": .string(deployment)])
        }
        let cooling = health.isCoolingDown(model: model, deployment: deployment)
        services.metrics.record("tollgate_deployment_cooling_down", labels: [model, deployment], value: cooling ? 1 : 0)
    }

    func metricsExposition() -> [UInt8] {
        services.metrics.record("tollgate_in_flight_requests", value: Double(inFlightCount.value))
        services.metrics.record("tollgate_client_connections", value: Double(clientConnections.value))
        // A cool-down ends by the clock, not by an attempt: refresh the
        // gauge on every scrape so a recovered deployment reads 0.
        for state in health.deploymentStates() {
            services.metrics.record("tollgate_deployment_cooling_down", labels: [state.model, state.deployment],
                                    value: state.coolingDown ? 1 : 0)
        }
        return services.metrics.exposition()
    }
}

/// A lock-free counter for the in-flight gauge.
final class ManagedAtomicCounter: @unchecked Sendable {
    private let count = ManagedAtomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func add(_ delta: Int) -> Int { count.wrappingIncrementThenLoad(by: delta, ordering: .relaxed) }
}
