import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TollgateHost

/// On a shared governance store, looks for the other gateways' changes every
/// `GovernanceRegistry.refreshIntervalMillis`: a key revoked or a grant
/// minted on one gateway takes effect here within that interval (plus a
/// round trip). The catch-up waits on the database, so it runs on a queue
/// of its own, one at a time, never on an event loop. A database outage is
/// logged once when it starts and once when it ends; meanwhile the gateway
/// enforces the state it last saw.
final class GovernanceRefresher: Sendable {
    private let registry: GovernanceRegistry
    private let logger: Logger
    private let queue = DispatchQueue(label: "tollgate.governance-refresh")
    private let state = NIOLockedValueBox(State())

    private struct State {
        var task: RepeatedTask?
        var running = false
        var failing = false
    }

    init(registry: GovernanceRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    /// Starts the timer on `eventLoop` (a no-op for a single-writer store).
    func start(on eventLoop: EventLoop) {
        guard registry.isShared else { return }
        let interval = TimeAmount.milliseconds(GovernanceRegistry.refreshIntervalMillis)
        let task = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in tick() }
        state.withLockedValue { state in
            state.task?.cancel()
            state.task = task
        }
    }

    func stop() {
        state.withLockedValue { state in
            state.task?.cancel()
            state.task = nil
        }
    }

    private func tick() {
        // A catch-up still waiting on the database: skip this tick.
        let start = state.withLockedValue { state -> Bool in
            guard !state.running, state.task != nil else { return false }
            state.running = true
            return true
        }
        guard start else { return }
        queue.async { [self] in
            var failure: String?
            do {
                try registry.catchUp()
            } catch {
                failure = "\(error)"
            }
            let (wasFailing, isStopped) = state.withLockedValue { state -> (Bool, Bool) in
                defer {
                    state.running = false
                    state.failing = failure != nil
                }
                return (state.failing, state.task == nil)
            }
            if isStopped { return }
            if let failure, !wasFailing {
                logger.error("cannot read the shared governance log; enforcing the state last read until it answers",
                             metadata: ["error": .string(failure)])
            } else if failure == nil, wasFailing {
                logger.notice("the shared governance log answers again; caught up")
            }
        }
    }
}
