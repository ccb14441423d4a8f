import NIOConcurrencyHelpers

/// Which deployments are resting. The core sees every upstream attempt
/// (fallbacks included), so it keeps the health, not a plugin: after
/// `failureThreshold` consecutive failures a deployment cools down for
/// `cooldownMillis` and is skipped while others of its model are healthy.
/// One success makes it healthy again. The clock is injectable.
public final class DeploymentHealth: @unchecked Sendable {
    public struct State: Sendable, Equatable {
        public var consecutiveFailures = 0
        public var cooldownUntilMillis: Int64 = 0
    }

    private let lock = NIOLock()
    private var states: [String: State] = [:]
    private let now: @Sendable () -> Int64
    public var failureThreshold: Int
    public var cooldownMillis: Int64

    public init(failureThreshold: Int = 3, cooldownMillis: Int64 = 30_000,
                now: @escaping @Sendable () -> Int64 = { MonotonicClock.wallMicros() / 1000 }) {
        self.failureThreshold = failureThreshold
        self.cooldownMillis = cooldownMillis
        self.now = now
    }

    static func key(_ model: String, _ deployment: String) -> String { model + "\u{0}" + deployment }

    public func isCoolingDown(model: String, deployment: String) -> Bool {
        let t = now()
        return lock.withLock { (states[Self.key(model, deployment)]?.cooldownUntilMillis ?? 0) > t }
    }

    public func recordSuccess(model: String, deployment: String) {
        lock.withLock { states[Self.key(model, deployment)] = nil }
    }

    /// Returns true when this failure started a cool-down.
    @discardableResult
    public func recordFailure(model: String, deployment: String) -> Bool {
        let t = now()
        return lock.withLock {
            var state = states[Self.key(model, deployment)] ?? State()
            state.consecutiveFailures += 1
            var started = false
            if state.consecutiveFailures >= failureThreshold && state.cooldownUntilMillis <= t {
                state.cooldownUntilMillis = t + cooldownMillis
                state.consecutiveFailures = 0
                started = true
            }
            states[Self.key(model, deployment)] = state
            return started
        }
    }

    /// The deployments of `entry` in the order to try them: the pinned one
    /// first if it is healthy, then healthy ones by weighted draw, then
    /// resting ones soonest-back first (a model is never refused only
    /// because all its deployments rest).
    public func order(_ entry: ModelEntry, pinned: String?, random: () -> Double = { Double.random(in: 0..<1) }) -> [Deployment] {
        let t = now()
        let snapshot = lock.withLock { states }
        func until(_ d: Deployment) -> Int64 { snapshot[Self.key(entry.name, d.name)]?.cooldownUntilMillis ?? 0 }
        var healthy = entry.deployments.filter { until($0) <= t }
        let resting = entry.deployments.filter { until($0) > t }.sorted { until($0) < until($1) }
        var ordered: [Deployment] = []
        if let pinned, let i = healthy.firstIndex(where: { $0.name == pinned }) {
            ordered.append(healthy.remove(at: i))
        }
        while !healthy.isEmpty {
            let total = healthy.reduce(0) { $0 + $1.weight }
            var pick = random() * Double(total)
            var chosen = healthy.count - 1
            for (i, d) in healthy.enumerated() {
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

    public func snapshot() -> [String: State] { lock.withLock { states } }
}
