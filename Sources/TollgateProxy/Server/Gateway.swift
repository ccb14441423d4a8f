import Foundation
import Logging
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider
import TollgatePostgres

/// The running gateway: what serves and what it is made of. `serve` builds
/// one and runs it as a GatewayService; `check-config` builds one and shuts
/// it down. Each concern lives in its own type, this one only holds them
/// together and orders start and shutdown (Gateway+Shutdown):
///
/// - `listener` (the listening socket) and `clientConnections` (each
///   connection's pipeline, limits and counts);
/// - `router` (method + path → route; admin behind the master key);
/// - `reloader` (generations: the first, each reload, destruction);
/// - `transports` (which transport carries a call, by provider kind);
/// - `inFlight` (the calls being served; shutdown waits on it);
/// - `recorder` (per-request metrics and deployment health).
package final class Gateway: Sendable {
    let generations: GenerationStore
    package let services: HostServices
    let logger: Logger
    let hookTimers: HookTimers
    let health = DeploymentHealth()
    let recorder: CallRecorder
    let transports: TransportRegistry
    let inFlight = InFlightCalls()
    /// The dashboard's sign-in sessions (memory only: a restart signs everyone out).
    let dashboardSessions = DashboardSessions()
    let clientConnections: ClientConnections
    let listener: Listener
    let router: Router
    let reloader: Reloader
    let group: MultiThreadedEventLoopGroup
    /// Renewal reminders, grant and exception lapses, every 5 minutes (GrantExpiryNotifier).
    let expiryNotifier: GrantExpiryNotifier
    let expiryTask = NIOLockedValueBox<RepeatedTask?>(nil)
    /// On shared storage: the other gateways' governance changes and the
    /// shared counters' upkeep, every second.
    let sharedStateRefresher: SharedStateRefresher
    /// The shared database's pool (storage.backend postgres), closed last.
    let database: PostgresStorage?

    /// Builds the first generation; throws PluginLoadError if a plugin
    /// cannot be loaded or created. `storage`: the governance and outcome
    /// stores (default: what `storage` in the config names, opened here —
    /// with postgres, connected and migrated; an error says why not).
    package init(config: TollgateConfig, logger: Logger, eventLoopThreads: Int = Gateway.defaultEventLoopThreads,
                 storage: GatewayStorage? = nil) throws {
        self.logger = logger
        let metrics = GatewayMetrics()
        let alerts = AlertRouter(sinks: AlertRouter.sinks(for: config, logger: logger, poster: HTTPWebhookPoster.init), metrics: metrics)
        let stores = try storage ?? GatewayStorage.open(config, logger: logger, metrics: metrics)
        database = stores.database
        do {
            services = HostServices(metrics: metrics, alerts: alerts, logger: logger, libraries: PluginLibraryCache(),
                                    counters: stores.counters,
                                    governance: try GovernanceRegistry(store: stores.governance),
                                    outcomes: stores.outcomes, ledger: stores.ledger)
        } catch {
            stores.ledger?.close()
            stores.database?.close()
            throw error
        }
        sharedStateRefresher = SharedStateRefresher(jobs: SharedStateRefresher.jobs(for: services,
                                                                                     reclaimAfterSeconds: config.storage.reclaimAfterSeconds),
                                                    logger: logger)
        hookTimers = HookTimers(metrics: metrics)
        expiryNotifier = GrantExpiryNotifier(registry: services.governance, counters: services.counters, alerts: alerts)
        recorder = CallRecorder(metrics: metrics, health: health, logger: logger)
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, eventLoopThreads))
        transports = TransportRegistry(group: group)
        generations = GenerationStore(Generation(id: 0, config: config, plugins: [], onDrained: { _ in }))
        clientConnections = ClientConnections(generations: generations, metrics: metrics, logger: logger)
        listener = Listener(group: group, connections: clientConnections)
        router = .gateway(admin: AdminRoutes())
        do {
            reloader = try Reloader(config: config, generations: generations, services: services, listener: listener,
                                    health: health, logger: logger)
        } catch {
            transports.shutdown()
            try? group.syncShutdownGracefully()
            stores.ledger?.close()
            stores.database?.close()
            throw error
        }
    }

    /// Event-loop threads: TOLLGATE_EVENT_LOOP_THREADS, else one per core.
    static var defaultEventLoopThreads: Int {
        if let text = ProcessInfo.processInfo.environment["TOLLGATE_EVENT_LOOP_THREADS"], let n = Int(text), n > 0 { return n }
        return System.coreCount
    }

    /// Binds (--host/--port win over `server.listen`) and starts serving;
    /// returns the bound address.
    @discardableResult
    package func start(host: String? = nil, port: Int? = nil) async throws -> SocketAddress {
        let server = generations.generation.config.server
        clientConnections.ensureDescriptorLimit()
        let notifier = expiryNotifier
        expiryTask.withLockedValue { task in
            task?.cancel()
            task = group.next().scheduleRepeatedTask(initialDelay: .zero, delay: .minutes(5)) { _ in
                notifier.check(now: MonotonicClock.wallMicros() / 1_000_000)
            }
        }
        sharedStateRefresher.start(on: group.next())
        return try await listener.start(host: host ?? server.host, port: port ?? server.port,
                                        overridden: host != nil || port != nil) { [self] in HTTPServerHandler(gateway: self) }
    }

    // MARK: read by the request path

    var maxBodyBytes: Int { generations.generation.config.server.maxBodyBytes }

    func timeouts(for generation: Generation) -> UpstreamTimeouts { generation.config.server.timeouts }

    /// Set once the shutdown grace period is over: calls still in flight
    /// are cut, and recorded as such (CallStateMachine.cutByShutdown).
    var isCuttingInFlightCalls: Bool { inFlight.isCut }
}
