import Foundation
import NIOCore
import TollgateJSON

/// The outcome of the last reload, for GET /admin/reload.
public struct ReloadAttempt: Sendable {
    public var atUnixMillis: Int64
    public var succeeded: Bool
    public var generation: Int
    public var error: String?
    public var durationMillis: Int64
}

/// Hot reload (SIGHUP or POST /admin/reload): read the config file again,
/// build a whole new generation beside the serving one, and swap. Any
/// failure leaves the serving generation untouched. Requests in flight
/// finish on the generation they pinned; the old one is destroyed when its
/// last request releases it. Reloads run one at a time.
extension Gateway {
    /// Reloads now, on the reload queue; `completion` gets the outcome.
    public func reload(completion: (@Sendable (ReloadAttempt) -> Void)? = nil) {
        reloadQueue.async {
            let attempt = self.reloadNow()
            completion?(attempt)
        }
    }

    /// Blocking variant (tests, the CLI).
    @discardableResult
    public func reloadAndWait() -> ReloadAttempt {
        reloadQueue.sync { reloadNow() }
    }

    private func reloadNow() -> ReloadAttempt {
        let started = MonotonicClock.nanos()
        let current = generations.generation
        let path = current.config.sourcePath
        func finish(_ succeeded: Bool, generation: Int, error: String?) -> ReloadAttempt {
            let attempt = ReloadAttempt(atUnixMillis: MonotonicClock.wallMicros() / 1000, succeeded: succeeded,
                                        generation: generation, error: error,
                                        durationMillis: Int64((MonotonicClock.nanos() - started) / 1_000_000))
            lastReload = attempt
            recordReloadMetric(succeeded: succeeded)
            if succeeded {
                logger.info("reloaded", metadata: ["generation": .string(String(generation)), "config": .string(path),
                                                    "ms": .string(String(attempt.durationMillis))])
            } else {
                logger.error("reload failed; still serving generation \(current.id)",
                             metadata: ["config": .string(path), "error": .string(error ?? "")])
            }
            return attempt
        }

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
        var retiredListener: Channel?
        let old = current.config.server, new = config.server
        if listenOverride.host == nil && listenOverride.port == nil && (old.host != new.host || old.port != new.port) {
            do {
                let channel = try bind(host: new.host, port: new.port)
                retiredListener = serverChannel
                serverChannel = channel
            } catch {
                discard(next)
                return finish(false, generation: current.id, error: "cannot listen on \(new.host):\(new.port): \(error)")
            }
        }

        health.failureThreshold = config.server.retries.cooldownAfterFailures
        health.cooldownMillis = config.server.retries.cooldownSeconds * 1000
        services.alerts.replaceSinks(Gateway.alertSinks(config: config, logger: logger))
        startServing(next)
        retiredListener?.close(promise: nil)
        return finish(true, generation: next.id, error: nil)
    }

    /// Destroys a generation that never served.
    private func discard(_ generation: Generation) {
        generation.destroyInstances(libraries: services.libraries)
        services.libraries.removeUnusedImages()
        publishImageCounts()
    }

    private func recordReloadMetric(succeeded: Bool) {
        let metrics = services.metrics
        if metrics.id(of: "tollgate_reload_total") == nil {
            _ = try? metrics.define(kind: .counter, name: "tollgate_reload_total", help: "Reloads by result (ok, failed).",
                                    labelNames: ["result"])
        }
        metrics.record("tollgate_reload_total", labels: [succeeded ? "ok" : "failed"], value: 1)
    }

    func reloadStatusJSON() -> [UInt8] {
        var object = JSONObject([("generation", .int(generations.generation.id))])
        if let last = lastReload {
            object["last_attempt"] = .object(JSONObject([
                ("at_unix_ms", .int(last.atUnixMillis)), ("result", .string(last.succeeded ? "ok" : "failed")),
                ("generation", .int(last.generation)), ("duration_ms", .int(last.durationMillis)),
                ("error", last.error.map(JSONValue.string) ?? .null),
            ]))
        } else {
            object["last_attempt"] = .null
        }
        return JSONValue.object(object).serialized()
    }
}
