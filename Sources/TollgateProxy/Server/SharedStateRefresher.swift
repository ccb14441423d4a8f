import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TollgateHost

/// On shared storage (PostgreSQL), the upkeep every gateway does each
/// `GovernanceRegistry.refreshIntervalMillis`: read the other gateways'
/// governance changes (a key revoked or a grant minted on one gateway takes
/// effect here within the interval, plus a round trip), and for the shared
/// counters send this gateway's heartbeat (reclaiming the holds of gateways
/// gone silent), retry the closes the database could not take, and refresh
/// the cached counter numbers. The work waits on the database, so it runs
/// on a queue of its own, one tick at a time, never on an event loop. An
/// outage is logged once when it starts and once when it ends; meanwhile
/// the gateway enforces the state it last saw (and refuses what needs the
/// database: a counter reservation, by the budget plugin's fail policy).
final class SharedStateRefresher: Sendable {
    struct Job: Sendable {
        var name: String
        var run: @Sendable () throws -> Void
        /// What the log says while it fails, and when it answers again.
        var failingMessage: String
        var recoveredMessage: String
    }

    private let jobs: [Job]
    private let logger: Logger
    private let queue = DispatchQueue(label: "tollgate.shared-state-refresh")
    private let state = NIOLockedValueBox(State())

    private struct State {
        var task: RepeatedTask?
        var running = false
        var failing: Set<String> = []
    }

    init(jobs: [Job], logger: Logger) {
        self.jobs = jobs
        self.logger = logger
    }

    /// The jobs a gateway's services need: none on single-writer storage.
    static func jobs(for services: HostServices, reclaimAfterSeconds: Int) -> [Job] {
        var jobs: [Job] = []
        let registry = services.governance
        if registry.isShared {
            jobs.append(Job(name: "governance", run: { try registry.catchUp() },
                            failingMessage: "cannot read the shared governance log; enforcing the state last read until it answers",
                            recoveredMessage: "the shared governance log answers again; caught up"))
        }
        let counters = services.counters
        if counters.shared != nil {
            let reclaimAfterMs = Int64(reclaimAfterSeconds) * 1000
            jobs.append(Job(name: "counters", run: { try counters.refreshShared(reclaimAfterMs: reclaimAfterMs) },
                            failingMessage: "cannot reach the shared counters: reservations are refused (fail policy), "
                                + "settles wait in storage.dir/counters.db until it answers",
                            recoveredMessage: "the shared counters answer again; waiting settles applied"))
        }
        return jobs
    }

    /// Starts the timer on `eventLoop` (a no-op without jobs).
    func start(on eventLoop: EventLoop) {
        guard !jobs.isEmpty else { return }
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
        // A tick still waiting on the database: skip this one.
        let start = state.withLockedValue { state -> Bool in
            guard !state.running, state.task != nil else { return false }
            state.running = true
            return true
        }
        guard start else { return }
        queue.async { [self] in
            var failures: [String: String] = [:]
            for job in jobs {
                do {
                    try job.run()
                } catch {
                    failures[job.name] = "\(error)"
                }
            }
            let (wasFailing, isStopped) = state.withLockedValue { state -> (Set<String>, Bool) in
                defer {
                    state.running = false
                    state.failing = Set(failures.keys)
                }
                return (state.failing, state.task == nil)
            }
            if isStopped { return }
            for job in jobs {
                if let failure = failures[job.name], !wasFailing.contains(job.name) {
                    logger.error("\(job.failingMessage)", metadata: ["error": .string(failure)])
                } else if failures[job.name] == nil, wasFailing.contains(job.name) {
                    logger.notice("\(job.recoveredMessage)")
                }
            }
        }
    }
}
