import TollgateSupport

/// Several gateways on one shared log (PostgreSQL): each registry is a
/// replay of the same events. A change is decided against the caught-up
/// state and appended after the last event that state includes; when
/// another gateway appended first, the append fails, the registry applies
/// the other's events and decides again (a second approval of the same
/// request then finds it decided). Between changes, `catchUp` runs on a
/// timer (Gateway: every `refreshInterval`), so what one gateway decided
/// takes effect on the others within that interval plus a round trip.
///
/// With a single writer (the SQLite and memory stores) there is nothing
/// to catch up on: `catchUp` returns at once and an append never
/// conflicts.
extension GovernanceRegistry {
    /// How often a gateway on a shared store looks for the others' changes.
    package static let refreshIntervalMillis: Int64 = 1_000

    /// Attempts at one change before giving up (each lost race means some
    /// other gateway's change went in: the log moves on either way).
    static let maxAppendAttempts = 32

    /// The store is shared with other gateways (they append too).
    package var isShared: Bool { store.isShared }

    /// The last event this registry has applied.
    package var logPosition: GovernanceLogPosition { lock.withLock { position } }

    /// Applies the events other gateways appended since the last look and
    /// publishes the result; returns how many. A no-op for a single writer.
    /// Throws GovernanceError.unavailable when the store does not answer
    /// (the state stays as it was: the hot path keeps what it had).
    @discardableResult
    package func catchUp() throws -> Int {
        guard store.isShared else { return 0 }
        return try changeLock.withLock { try catchUpHoldingChangeLock() }
    }

    /// Reads outside the state lock (a round trip), applies inside it.
    private func catchUpHoldingChangeLock() throws -> Int {
        let from = lock.withLock { position }
        let events = try store.events(after: from.sequence)
        guard !events.isEmpty else { return 0 }
        try lock.withLock {
            for event in events {
                // The log is append-only and chained: an event that does not
                // follow the one we applied last means the log was rewritten.
                guard event.sequence == position.sequence + 1, event.previousHash == position.hash else {
                    throw GovernanceError.corrupt("governance event \(event.sequence) does not follow event \(position.sequence) as this "
                        + "gateway replayed it: the shared log was changed; run `tollgate exceptions verify --config FILE`")
                }
                apply(event)
            }
            publishLocked()
        }
        return events.count
    }

    /// One change: `decide` (under the state lock, against the caught-up
    /// state) returns the event to append or throws the refusal; once the
    /// event is committed and applied, `result` (under the lock) reads the
    /// answer. `publish`: the change alters the grant table.
    func commit<T>(_ decide: () throws -> GovernanceEvent, publish: Bool = true, result: () throws -> T) throws -> T {
        try changeLock.withLock {
            for attempt in 0..<Self.maxAppendAttempts {
                if store.isShared || attempt > 0 { try catchUpHoldingChangeLock() }
                let (event, after) = try lock.withLock { (try decide(), position) }
                let stored: GovernanceEvent
                do {
                    stored = try store.append(event, after: after)
                } catch is GovernanceAppendConflict {
                    continue
                }
                return try lock.withLock {
                    apply(stored)
                    if publish { publishLocked() }
                    return try result()
                }
            }
            throw GovernanceError.unavailable("the governance log kept moving under this change (\(Self.maxAppendAttempts) other "
                + "changes went in first); nothing was changed by this request: try again")
        }
    }
}
