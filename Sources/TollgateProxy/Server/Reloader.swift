import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// The outcome of the last reload, for GET /admin/reload.
package struct ReloadAttempt: Sendable {
    var atUnixMillis: Int64
    var succeeded: Bool
    var generation: Int
    var error: String?
    var durationMillis: Int64
}

/// Builds generations and makes them serve: the first at start, the next on
/// each reload (SIGHUP or POST /admin/reload). A reload reads the config
/// file again, builds a whole new generation beside the serving one, binds
/// the new listen address if it moved, and swaps. Any failure leaves the
/// serving generation untouched. Requests in flight finish on the
/// generation they pinned; the old one is destroyed (on the control queue)
/// when its last request releases it.
///
/// Synchronisation: reloads run one at a time on `queue`, which alone
/// touches `nextGenerationID` and `closed`; `last` is read from event loops
/// (GET /admin/reload) and written on `queue`, behind its lock. That is the
/// whole of `@unchecked Sendable`.
package final class Reloader: @unchecked Sendable {
    private let queue = DispatchQueue(label: "tollgate.reload")
    /// Plugin instances are destroyed here (DESIGN: the control thread).
    private let control = DispatchQueue(label: "tollgate.control")
    private let generations: GenerationStore
    private let services: HostServices
    private let listener: Listener
    private let health: DeploymentHealth
    private let logger: Logger
    /// The id the next generation gets. Taken only when a generation
    /// starts serving: a failed reload consumes none.
    private var nextGenerationID = 1
    /// Set by shutdown: no reload runs after it.
    private var closed = false
    private let last = NIOLockedValueBox<ReloadAttempt?>(nil)
    private let reloadTotal: UInt32

    /// Builds and serves the first generation (`config`); throws
    /// PluginLoadError if a plugin cannot be loaded or created.
    init(config: TollgateConfig, generations: GenerationStore, services: HostServices, listener: Listener,
         health: DeploymentHealth, logger: Logger) throws {
        self.generations = generations
        self.services = services
        self.listener = listener
        self.health = health
        self.logger = logger
        reloadTotal = services.metrics.id(of: "tollgate_reload_total")!
        try queue.sync {
            configureGovernance(config)
            let first = try makeGeneration(config: config)
            applyRetrySettings(config)
            startServing(first)
        }
    }

    var lastAttempt: ReloadAttempt? { last.withLockedValue { $0 } }

    /// Reloads on the reload queue; `completion` gets the outcome there.
    func reload(completion: (@Sendable (ReloadAttempt) -> Void)? = nil) {
        queue.async {
            let attempt = self.reloadNow()
            completion?(attempt)
        }
    }

    /// Reloads and waits for the outcome (SIGHUP, tests).
    @discardableResult
    func reload() async -> ReloadAttempt {
        await withCheckedContinuation { continuation in
            reload { continuation.resume(returning: $0) }
        }
    }

    /// Blocking variant (tests); never on an event loop.
    @discardableResult
    func reloadAndWait() -> ReloadAttempt {
        queue.sync { reloadNow() }
    }

    /// No reload runs after this returns; one running finishes first.
    func close() async {
        await withCheckedContinuation { continuation in
            queue.async {
                self.closed = true
                continuation.resume()
            }
        }
    }

    /// At shutdown, once the calls are over: destroys the serving
    /// generation's instances (they flush what they hold), after any
    /// drained generation still queued for destruction.
    func destroyServing() async {
        let last = generations.generation
        let libraries = services.libraries
        await withCheckedContinuation { continuation in
            control.async {
                last.destroyInstances(libraries: libraries)
                libraries.removeUnusedImages()
                libraries.removeImageFolder()
                continuation.resume()
            }
        }
    }

    // MARK: on the reload queue

    private func reloadNow() -> ReloadAttempt {
        let started = MonotonicClock.nanos()
        let current = generations.generation
        let path = current.config.sourcePath
        func finish(_ succeeded: Bool, generation: Int, error: String?) -> ReloadAttempt {
            let attempt = ReloadAttempt(atUnixMillis: MonotonicClock.wallMicros() / 1000, succeeded: succeeded,
                                        generation: generation, error: error,
                                        durationMillis: Int64((MonotonicClock.nanos() - started) / 1_000_000))
            last.withLockedValue { $0 = attempt }
            services.metrics.record(id: reloadTotal, labelValues: [succeeded ? "ok" : "failed"], value: 1)
            if succeeded {
                logger.info("reloaded", metadata: ["generation": .string(String(generation)), "config": .string(path),
                                                    "ms": .string(String(attempt.durationMillis))])
            } else {
                logger.error("reload failed; still serving generation \(current.id)",
                             metadata: ["config": .string(path), "error": .string(error ?? "")])
            }
            return attempt
        }
        guard !closed else { return finish(false, generation: current.id, error: "the gateway is shutting down") }

        let config: TollgateConfig
        do {
            config = try ConfigLoader.load(path: path)
        } catch let errors as ConfigErrors {
            return finish(false, generation: current.id, error: errors.errors.map(\.description).joined(separator: "\n"))
        } catch {
            return finish(false, generation: current.id, error: "\(path): \(error)")
        }
        let next: Generation
        do {
            next = try makeGeneration(config: config)
        } catch {
            services.libraries.removeUnusedImages()  // copies of the libraries that failed
            return finish(false, generation: current.id, error: "\(error)")
        }

        // A new listen address: bind it before swapping, so a port in use
        // fails the reload instead of leaving the gateway deaf.
        var newListener: Channel?
        let old = current.config.server, new = config.server
        if listener.followsConfig && (old.host != new.host || old.port != new.port) {
            do {
                newListener = try listener.bindForReload(host: new.host, port: new.port)
            } catch {
                discard(next)
                return finish(false, generation: current.id, error: "cannot listen on \(new.host):\(new.port): \(error)")
            }
        }

        configureGovernance(config)
        warnAboutLedger(config)
        applyRetrySettings(config)
        services.alerts.replaceSinks(AlertRouter.sinks(for: config, logger: logger, poster: HTTPWebhookPoster.init))
        startServing(next)
        if let newListener { listener.replace(with: newListener) }
        return finish(true, generation: next.id, error: nil)
    }

    /// Builds the next generation (not yet serving: see startServing).
    private func makeGeneration(config: TollgateConfig) throws -> Generation {
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

    /// The config's grants and credentials join what people minted; a
    /// minted grant the new config left without its parent is logged (it
    /// stands alone until the parent is back).
    private func configureGovernance(_ config: TollgateConfig) {
        for warning in config.warnings { logger.warning("config: \(warning)") }
        for problem in services.governance.configure(config) {
            logger.warning("grants: \(problem.message)", metadata: ["grant": .string(problem.grantID)])
        }
    }

    /// The ledger is opened once, at start, and kept across reloads (like
    /// the counter store): a reload that moves it, or turns it on or off,
    /// says that this takes effect at the next restart.
    private func warnAboutLedger(_ config: TollgateConfig) {
        let current = services.ledger?.path
        guard config.ledgerPath != current else { return }
        let message = "ledger: the reloaded config keeps the ledger at \(config.ledgerPath ?? "(none)"), the gateway at "
            + "\(current ?? "(none)"); the ledger is opened at start, so this takes effect when the gateway restarts"
        logger.warning("\(message)")
    }

    /// Deployment health outlives generations; its thresholds come from
    /// each config.
    private func applyRetrySettings(_ config: TollgateConfig) {
        health.failureThreshold = config.server.retries.cooldownAfterFailures
        health.cooldownMillis = config.server.retries.cooldownSeconds * 1000
    }

    /// Makes a built generation the serving one; its id is taken now.
    private func startServing(_ next: Generation) {
        nextGenerationID = next.id + 1
        generations.swap(to: next)
        services.metrics.record("tollgate_generation", value: Double(next.id))
        services.libraries.removeUnusedImages()
        publishImageCounts()
    }

    /// Destroys a generation that never served.
    private func discard(_ generation: Generation) {
        generation.destroyInstances(libraries: services.libraries)
        services.libraries.removeUnusedImages()
        publishImageCounts()
    }

    private func publishImageCounts() {
        services.metrics.record("tollgate_plugin_images_retired", value: Double(services.libraries.retiredImageCount))
        services.metrics.record("tollgate_plugin_images_open", value: Double(services.libraries.openImageCount))
    }
}
