import Foundation
import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateSQLite
import TollgateConfig

/// Where outcomes are kept. The embedded store is `outcomes.sqlite` in the
/// storage directory; a shared store (PostgreSQL) implements the same
/// protocol for several gateways.
package protocol OutcomeStore: AnyObject, Sendable {
    /// Stores `outcome` and calls `completion` once it is committed (as
    /// durable as a ledger row: it survives a kill -9), with its id, or
    /// with the error that kept it out. Never blocks the caller.
    func record(_ outcome: OutcomeRecord, completion: @escaping @Sendable (Result<OutcomeRecord, Error>) -> Void)
    /// The outcomes whose time is in [from, to), summed.
    func totals(fromMicros: Int64, toMicros: Int64) throws -> [OutcomeTotal]
    /// Commits what is queued and stops (at shutdown).
    func close()
}

extension OutcomeStore {
    /// Stores `outcome` and waits for the commit (tests, the CLI).
    package func recordAndWait(_ outcome: OutcomeRecord) throws -> OutcomeRecord {
        let box = NIOLockedValueBox<Result<OutcomeRecord, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        record(outcome) { result in
            box.withLockedValue { $0 = result }
            done.signal()
        }
        done.wait()
        return try box.withLockedValue { $0! }.get()
    }
}

/// Sums outcomes (the memory store, and a check on the SQLite one).
enum OutcomeSummer {
    static func totals(_ records: [OutcomeRecord]) -> [OutcomeTotal] {
        var order: [String] = []
        var sums: [String: OutcomeTotal] = [:]
        for r in records {
            let key = [r.org, r.team, r.feature ?? "\u{0}", r.grantIDs.joined(separator: "\u{1}"), r.grantOwner ?? "\u{0}", r.metric]
                .joined(separator: "\u{2}")
            if sums[key] == nil {
                order.append(key)
                sums[key] = OutcomeTotal(org: r.org, team: r.team, feature: r.feature, grantIDs: r.grantIDs, grantOwner: r.grantOwner,
                                         metric: r.metric, count: 0)
            }
            sums[key]!.count = Saturating.add(sums[key]!.count, r.count)
        }
        return order.map { sums[$0]! }
    }
}

/// Nothing persisted: tests and a gateway without a storage directory.
package final class MemoryOutcomeStore: OutcomeStore, @unchecked Sendable {
    private let lock = NIOLock()
    private var records: [OutcomeRecord] = []

    package init() {}

    package func record(_ outcome: OutcomeRecord, completion: @escaping @Sendable (Result<OutcomeRecord, Error>) -> Void) {
        let stored: OutcomeRecord = lock.withLock {
            var stored = outcome
            stored.id = "out_\(records.count + 1)"
            records.append(stored)
            return stored
        }
        completion(.success(stored))
    }

    package func totals(fromMicros: Int64, toMicros: Int64) throws -> [OutcomeTotal] {
        OutcomeSummer.totals(lock.withLock { records.filter { $0.atMicros >= fromMicros && $0.atMicros < toMicros } })
    }

    package func close() {}
}
