import Foundation
import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateSQLite
import TollgateConfig

/// One outcome report a team posted (`POST /v1/outcomes`): so many of a
/// metric (resolved tickets, merged PRs), attributed like a ledger row —
/// to the key's org and team, a feature, and the grants on that path —
/// so cost per outcome divides like by like.
package struct OutcomeRecord: Sendable, Equatable {
    /// Assigned by the store ("out_" and its row number); "" before.
    package var id = ""
    /// When it happened (Unix microseconds): the body's `time`, else receipt.
    package var atMicros: Int64
    package var receivedAtMicros: Int64
    package var org: String
    package var team: String
    package var feature: String?
    package var keyID: String
    package var metric: String
    package var count: Int64
    /// The requests that produced it (their x-request-id), when the team
    /// knows them.
    package var requestIDs: [String] = []
    /// The grants the outcome counts under, root first (as the ledger's
    /// `grant_ids`), and the owner of the deepest.
    package var grantIDs: [String] = []
    package var grantOwner: String?

    package init(atMicros: Int64, receivedAtMicros: Int64, org: String, team: String, feature: String?, keyID: String,
                 metric: String, count: Int64) {
        self.atMicros = atMicros
        self.receivedAtMicros = receivedAtMicros
        self.org = org
        self.team = team
        self.feature = feature
        self.keyID = keyID
        self.metric = metric
        self.count = count
    }
}

/// Outcomes summed over a range, one per (org, team, feature, grant path,
/// owner, metric): what the chargeback divides spend by.
package struct OutcomeTotal: Sendable, Equatable {
    package var org: String
    package var team: String
    package var feature: String?
    package var grantIDs: [String]
    package var grantOwner: String?
    package var metric: String
    package var count: Int64

    package init(org: String, team: String, feature: String?, grantIDs: [String], grantOwner: String?, metric: String, count: Int64) {
        self.org = org
        self.team = team
        self.feature = feature
        self.grantIDs = grantIDs
        self.grantOwner = grantOwner
        self.metric = metric
        self.count = count
    }
}

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
