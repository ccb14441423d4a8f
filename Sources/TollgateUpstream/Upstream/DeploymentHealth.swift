import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// Which deployments are resting. The core sees every upstream attempt
/// (fallbacks included), so it keeps the health, not a plugin: after
/// `failureThreshold` consecutive failures a deployment cools down for
/// `cooldownMillis` and is tried only after its model's healthy ones. When
/// the cool-down ends it is on probation: one success makes it healthy
/// again, one failure sends it straight back to rest (a half-open probe,
/// so a dead deployment costs one failed attempt per cool-down, not
/// `failureThreshold`). The clock is injectable.
package final class DeploymentHealth: @unchecked Sendable {
    package struct State: Sendable, Equatable {
        package var consecutiveFailures = 0
        /// When the last cool-down ends (0: never rested, or healthy since).
        /// Set and in the past means on probation.
        package var cooldownUntilMillis: Int64 = 0
    }

    private let lock = NIOLock()
    private var states: [String: State] = [:]
    private var threshold: Int
    private var cooldown: Int64
    private let now: @Sendable () -> Int64

    /// `now` is milliseconds on a clock that never goes back (monotonic by
    /// default, so a wall-clock step neither ends nor stretches a rest).
    package init(failureThreshold: Int = 3, cooldownMillis: Int64 = 30_000,
                now: @escaping @Sendable () -> Int64 = { Int64(MonotonicClock.nanos() / 1_000_000) }) {
        threshold = max(1, failureThreshold)
        cooldown = max(0, cooldownMillis)
        self.now = now
    }

    // A reload changes these while requests record attempts: behind the lock.
    package var failureThreshold: Int {
        get { lock.withLock { threshold } }
        set { lock.withLock { threshold = max(1, newValue) } }
    }

    /// 0 turns cool-downs off.
    package var cooldownMillis: Int64 {
        get { lock.withLock { cooldown } }
        set { lock.withLock { cooldown = max(0, newValue) } }
    }

    static func key(_ model: String, _ deployment: String) -> String { model + "\u{0}" + deployment }

    package func isCoolingDown(model: String, deployment: String) -> Bool {
        let t = now()
        return lock.withLock { (states[Self.key(model, deployment)]?.cooldownUntilMillis ?? 0) > t }
    }

    package func recordSuccess(model: String, deployment: String) {
        lock.withLock {
            // The common case: every deployment healthy, nothing to clear.
            guard !states.isEmpty else { return }
            states[Self.key(model, deployment)] = nil
        }
    }

    /// Returns true when this failure started a cool-down.
    @discardableResult
    package func recordFailure(model: String, deployment: String) -> Bool {
        let t = now()
        return lock.withLock {
            guard cooldown > 0 else { return false }
            let key = Self.key(model, deployment)
            var state = states[key] ?? State()
            // Already resting (tried as a last resort): nothing to add.
            guard state.cooldownUntilMillis <= t else { return false }
            state.consecutiveFailures += 1
            let onProbation = state.cooldownUntilMillis > 0
            var started = false
            if onProbation || state.consecutiveFailures >= threshold {
                state.cooldownUntilMillis = t + cooldown
                state.consecutiveFailures = 0
                started = true
            }
            states[key] = state
            return started
        }
    }

    /// The deployments of `entry` in the order to try them: the pinned one
    /// first if it is healthy, then healthy ones by weighted draw, then
    /// resting ones soonest-back first (a model is never refused only
    /// because all its deployments rest).
    package func order(_ entry: ModelEntry, pinned: String?, random: (() -> Double)? = nil) -> [Deployment] {
        let snapshot = lock.withLock { states }
        // The common case: one deployment, or nothing resting — no lookups.
        if entry.deployments.count == 1 { return entry.deployments }
        let t = now()
        func until(_ d: Deployment) -> Int64 {
            snapshot.isEmpty ? 0 : snapshot[Self.key(entry.name, d.name)]?.cooldownUntilMillis ?? 0
        }
        var healthy = entry.deployments.filter { until($0) <= t }
        let resting = entry.deployments.filter { until($0) > t }.sorted { until($0) < until($1) }
        var ordered: [Deployment] = []
        if let pinned, let i = healthy.firstIndex(where: { $0.name == pinned }) {
            ordered.append(healthy.remove(at: i))
        }
        while !healthy.isEmpty {
            let total = healthy.reduce(0) { $0 + max(0, $1.weight) }
            // All weights 0: in catalog order.
            guard total > 0 else {
                ordered += healthy
                break
            }
            var pick = (random?() ?? FastRandom.unit()) * Double(total)
            var chosen = healthy.lastIndex { $0.weight > 0 }!
            for (i, d) in healthy.enumerated() where d.weight > 0 {
                pick -= Double(d.weight)
                if pick < 0 {
                    chosen = i
                    break
                }
            }
            ordered.append(healthy.remove(at: chosen))
        }
        return ordered + resting
    }

    package func snapshot() -> [String: State] { lock.withLock { states } }

    /// Every deployment with a health record and whether it rests now: what
    /// `tollgate_deployment_cooling_down` shows on each scrape (a rest ends
    /// by the clock, not by an attempt).
    package func deploymentStates() -> [(model: String, deployment: String, coolingDown: Bool)] {
        let t = now()
        return lock.withLock {
            states.map { key, state in
                let parts = key.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "", state.cooldownUntilMillis > t)
            }
        }
    }
}
