import TollgatePluginKit

/// The anomaly plugin: adds each call's cost to its subjects' hourly
/// buckets in post_call and raises `spend_spike` / `spend_projection`
/// alerts when today runs at `factor` x the 7-day baseline. It never
/// rejects a call. Time is the call's receive time (host clock), so tests
/// move it through the call.
public final class Anomaly: TollgatePlugin, PostCallHook, RouteHook, ShutdownHook {
    public static let info = PluginInfo(name: "anomaly", version: "0.1.0", failClosed: false, requiredMinor: 0)

    let host: PluginHost
    let config: AnomalyConfig
    let detector: SpikeDetector
    let store: AnomalyStore?
    let state: Locked<State>
    let untracked: Metric?

    struct State {
        var history: SpendHistory
        /// Dedupe keys raised today and yesterday (dedupe also happens in
        /// the host; this keeps the plugin from asking again on every call).
        var raised: [String: Int64] = [:]
        /// The latest day seen; buckets before the baseline window go.
        var currentDay: Int64 = Int64.min
        var warnedFull = false
        /// anomaly_subjects as written (tracked subjects): a subject's first
        /// hour is written again only when it moves earlier, not per call.
        var storedFirstSeen: [String: Int64] = [:]
        /// Per subject: the detector's sums over its baseline days.
        var baselines: [String: SpikeDetector.Baseline] = [:]
        /// `days_ago:` seeds, placed when the first call says what today is.
        var relativeSeeds: [AnomalyConfig.Seed] = []
    }

    public required init(host: PluginHost, config json: JSONValue) throws {
        self.host = host
        config = try AnomalyConfig(json: json)
        detector = SpikeDetector(config: config)
        let instance = host.instanceName ?? "anomaly"
        var history = SpendHistory()
        var raised: [String: Int64] = [:]
        var storedFirstSeen: [String: Int64] = [:]
        if let path = try config.databasePath(storageDirectory: host.storageDirectory, instanceName: instance) {
            do {
                let store = try AnomalyStore(path: path, onError: { [host] error in
                    host.log(.error, "anomaly: writing \(path) failed: \(error)")
                })
                let contents = store.takeContents()
                history = contents.history
                for entry in contents.raisedKeys { raised[entry.key] = entry.day }
                storedFirstSeen = contents.storedFirstSeen
                self.store = store
            } catch {
                throw PluginError("anomaly: cannot open the history database \(path): \(error); check storage.dir is writable or set database: false")
            }
        } else {
            store = nil
            host.log(.warning, "anomaly: history is kept in memory only (database: false); a restart starts a cold start again")
        }
        var relativeSeeds: [AnomalyConfig.Seed] = []
        for seed in config.seeds {
            switch seed.when {
            case .day(let day): history.seed(subject: seed.subject, day: day, nanos: seed.nanos)
            case .daysAgo: relativeSeeds.append(seed)
            }
        }
        state = Locked(State(history: history, raised: raised, storedFirstSeen: storedFirstSeen, relativeSeeds: relativeSeeds))
        untracked = try? host.defineCounter(name: "tollgate_anomaly_untracked_total",
                                            help: "Calls whose new subject was not tracked because the subject table is full.",
                                            labels: [])
        // The reader role is ABI 1.5 (grants).
        if let path = config.baselineRoute, host.servesRoutes, host.hasGrants {
            try host.declareRoute("GET", path, role: .reader)
        }
        host.log(.info, "anomaly: factor \(AnomalyAlert.factorText(config.factorMilli)), "
            + "min daily spend \(Money.format(nanos: config.minDailySpendNanos)), "
            + "dimensions \(config.dimensions.map(\.rawValue).joined(separator: ","))"
            + (store.map { ", history in \($0.path)" } ?? ""))
    }

    public func postCall(_ call: Call) throws {
        guard let cost = call.costNanos, cost > 0, let received = call.receivedAtMicros else { return }
        let second = UTCCalendar.floorDiv(received, 1_000_000)
        let subjects = config.dimensions.compactMap { $0.subject(of: call) }
        guard !subjects.isEmpty else { return }
        let day = SpendHistory.day(of: second)
        let hour = SpendHistory.hour(of: second)

        var findings: [SpikeDetector.Finding] = []
        var newDay = false
        var untrackedCount = 0
        var warnFull = false
        var firstSeenAt: [String] = []
        state.withLock { state in
            if day > state.currentDay {
                newDay = state.currentDay != Int64.min
                if !newDay {
                    // The first call: `days_ago` seeds count back from its day.
                    for seed in state.relativeSeeds {
                        if case .daysAgo(let back) = seed.when {
                            state.history.seed(subject: seed.subject, day: day - back, nanos: seed.nanos)
                        }
                    }
                    state.relativeSeeds.removeAll()
                }
                state.currentDay = day
                state.history.forget(before: day - Int64(SpikeDetector.baselineDays) - 1)
                state.raised = state.raised.filter { $0.value >= day - 1 }
                state.baselines.removeAll()
            }
            for subject in subjects {
                guard state.history.add(cost, subject: subject, at: second) else {
                    untrackedCount += 1
                    if !state.warnedFull {
                        state.warnedFull = true
                        warnFull = true
                    }
                    firstSeenAt.append(subject)
                    continue
                }
                if let stored = state.storedFirstSeen[subject], stored <= hour {
                    // Already stored with this hour or an earlier one.
                } else {
                    state.storedFirstSeen[subject] = hour
                    firstSeenAt.append(subject)
                }
                guard let finding = detector.evaluate(subject, in: state.history, at: second,
                                                      baseline: &state.baselines[subject]) else { continue }
                // After a spike the projection has nothing to add.
                let spikeKey = SpikeDetector.dedupeKey(.spike, subject: subject, day: day)
                guard state.raised[finding.dedupeKey] == nil, state.raised[spikeKey] == nil else { continue }
                state.raised[finding.dedupeKey] = day
                findings.append(finding)
            }
        }
        // Disk and the host's alert path outside the lock.
        store?.recordSpend(cost, subjects: subjects, firstSeenAt: firstSeenAt, hour: hour)
        if newDay { store?.forget(before: day) }
        if untrackedCount > 0 { untracked?.record(Double(untrackedCount)) }
        if warnFull {
            host.log(.warning, "anomaly: tracking \(SpendHistory.defaultMaxSubjects) subjects already; new ones are not tracked "
                + "(is a feature attribute taking unbounded values?)", call: call)
        }
        for finding in findings {
            store?.recordRaised(finding.dedupeKey, day: day)
            host.raiseAlert(AnomalyAlert.alert(for: finding, factorMilli: config.factorMilli))
        }
    }

    // MARK: GET /admin/anomaly/baseline

    /// Today is the latest day a call was seen (the plugin's clock is the
    /// calls'), or the wall clock's before the first call.
    public func onRoute(_ route: Route) throws -> RouteResponse {
        guard let subject = route.queryValue("subject"), Dimension.isSubject(subject) else {
            return BaselineView.error("subject must be team/ORG/TEAM, feature/ORG/FEATURE or key/KEY_ID", status: 400)
        }
        guard BaselineView.sees(subject, callerScope: route.callerScope) else {
            return BaselineView.error("\(subject) is outside your scope", status: 403)
        }
        let detector = self.detector, config = self.config
        let view = state.withLock { state in
            let today = state.currentDay == Int64.min ? BaselineView.wallClockDay() : state.currentDay
            return BaselineView.json(subject: subject, today: today, history: state.history, detector: detector, config: config)
        }
        return .json(view)
    }

    public func shutdown() {
        store?.close()
    }
}

@_cdecl("tollgate_plugin_entry_v1")
public func tollgate_plugin_entry_v1(_ hostMajor: UInt16, _ hostMinor: UInt16) -> UnsafeRawPointer? {
    PluginExport.entry(Anomaly.self, hostMajor: hostMajor, hostMinor: hostMinor)
}
