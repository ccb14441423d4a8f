import Foundation
import TollgateConfig
import TollgateHost
import TollgateJSON
import TollgatePostgres
import TollgateSQLite
import XCTest

/// `tollgate migrate --from-sqlite DIR`: every governance event keeps its
/// sequence number and hash, every outcome its id and figures; a replica
/// on the database replays the same state the embedded gateway had; a
/// second import, or a broken source chain, is refused.
final class SQLiteImportTests: DatabaseTestCase {
    /// An embedded gateway's storage directory with a bit of everything.
    func makeEmbeddedState() throws -> (registry: GovernanceRegistry, outcomes: [OutcomeRecord]) {
        let registry = try Replicas.registry(SQLiteGovernanceStore(directory: directory))
        let admin = try Replicas.actor(registry, "recs-admin-secret")
        _ = try registry.mintGrant(try Replicas.json(#"{"id": "recs-feed", "scope": "feature/acme/recs/feed", "owner": "feed@acme.example", "amount": "30", "period": "monthly", "rationale": {"text": "naïve \"quotes\" and ünïcödé"}}"#), by: admin)
        _ = try registry.mintKey(try Replicas.json(#"{"id": "feed-bot", "grant": "recs-feed", "class": "production"}"#), by: admin)
        let request = try registry.requestException(try Replicas.json(Replicas.exceptionBody(1)), by: admin)
        _ = try registry.approveException(request.id, condition: "only this week", by: try Replicas.actor(registry, "chair-secret"))
        _ = try registry.submitForecast(try Replicas.json(#"{"team": "acme/recs", "period": "2026-10", "amount": "90.5"}"#), by: admin)
        try registry.revokeKey("recs-prod", configTeam: (org: "acme", team: "recs"), reason: nil, by: .master)
        let store = try SQLiteOutcomeStore(directory: directory)
        defer { store.close() }
        let outcomes = try PostgresOutcomeStoreTests.records().map { try store.recordAndWait($0) }
        return (registry, outcomes)
    }

    func testTheImportKeepsEveryEventHashAndEveryOutcome() throws {
        let (embedded, outcomes) = try makeEmbeddedState()
        let source = try SQLiteGovernanceStore(directory: directory, readOnly: true)
        let storage = try database.storage()
        let report = try SQLiteImport.run(from: directory, into: storage)
        XCTAssertEqual(report.events, 6)
        XCTAssertEqual(report.outcomes, outcomes.count)
        XCTAssertEqual(report.lastHash, try source.events().last?.hash)

        let target = PostgresGovernanceStore(storage: storage)
        let copied = try target.events()
        XCTAssertEqual(copied, try source.events(), "every event, sequence number and hash as it was")
        XCTAssertTrue(try target.verify().intact)

        // A gateway on the database replays the same state.
        let replica = try Replicas.registry(target)
        XCTAssertEqual(replica.current.table.grants, embedded.current.table.grants)
        XCTAssertEqual(replica.mintedKeyList, embedded.mintedKeyList)
        XCTAssertEqual(replica.exceptionLog, embedded.exceptionLog)
        XCTAssertEqual(replica.forecastList, embedded.forecastList)
        XCTAssertTrue(replica.isKeyRevoked("recs-prod"))
        XCTAssertEqual(replica.logPosition, embedded.logPosition)

        // The outcomes: the same totals; the next id follows the copied ones.
        let sqliteOutcomes = try SQLiteOutcomeStore(directory: directory, readOnly: true)
        let postgresOutcomes = PostgresOutcomeStore(storage: storage)
        XCTAssertEqual(try postgresOutcomes.totals(fromMicros: 0, toMicros: Int64.max), try sqliteOutcomes.totals(fromMicros: 0, toMicros: Int64.max))
        XCTAssertEqual(try postgresOutcomes.recordAndWait(outcomes[0]).id, "out_\(outcomes.count + 1)")

        // The chain goes on from the copied events.
        _ = try replica.mintKey(try Replicas.json(#"{"id": "after-import", "team": "team/acme/recs", "class": "production"}"#), by: .master)
        XCTAssertTrue(try target.verify().intact)
        XCTAssertEqual(try target.count(), 7)
    }

    /// The counters' spent: an embedded gateway's budget, as its counter
    /// store persisted it, is the shared store's after the import (the
    /// same spent, in the same window, enforced against the same limit).
    func testTheImportKeepsEveryCountersSpent() throws {
        let clock: CounterStore.Clock = { 1_790_000_000_000 }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let journal = try SpentJournal(path: directory + "/" + CounterStore.journalFileName)
        let embedded = CounterStore(clock: clock, persistence: journal)
        let monthly = CounterSpec(name: "budget:team/acme/recs:monthly", limit: 1_000, window: .month, persist: true)
        let daily = CounterSpec(name: "budget:org/acme:daily", limit: 5_000, window: .day, persist: true)
        let ids = (try embedded.declare(monthly), try embedded.declare(daily))
        for amount: Int64 in [120, 300, 45] {
            guard case .reserved(let r) = try embedded.reserve([(ids.0, amount), (ids.1, amount)]) else { return XCTFail("refused") }
            _ = try embedded.settle(r, actual: [amount, amount])
        }
        embedded.close()

        let storage = try database.storage()
        let report = try SQLiteImport.run(from: directory, into: storage)
        XCTAssertEqual(report.counterWindows, 2)
        XCTAssertEqual(report.counterSpent, 2 * 465)

        let shared = CounterStore(clock: clock, shared: PostgresCounters(storage: storage), outbox: MemoryCloseOutbox())
        let sharedIDs = (try shared.declare(monthly), try shared.declare(daily))
        try shared.refreshShared(reclaimAfterMs: 60_000)
        XCTAssertEqual(shared.state(sharedIDs.0)?.spent, 465)
        XCTAssertEqual(shared.state(sharedIDs.1)?.spent, 465)
        guard case .refused(let index, let state) = try shared.reserve([(sharedIDs.0, 536)]) else {
            return XCTFail("the imported spent is not enforced")
        }
        XCTAssertEqual(index, 0)
        XCTAssertEqual(state.spent, 465)
        guard case .reserved = try shared.reserve([(sharedIDs.0, 535)]) else { return XCTFail("the room left is not there") }
    }

    func testASecondImportIsRefusedAndChangesNothing() throws {
        _ = try makeEmbeddedState()
        let storage = try database.storage()
        _ = try SQLiteImport.run(from: directory, into: storage)
        XCTAssertThrowsError(try SQLiteImport.run(from: directory, into: storage)) { error in
            XCTAssertTrue("\(error)".contains("already holds 6 governance event(s), 12 outcome(s) and 0 counter window(s)"), "\(error)")
        }
        XCTAssertEqual(try PostgresGovernanceStore(storage: storage).count(), 6)
        XCTAssertEqual(try PostgresOutcomeStore(storage: storage).count(), 12)
    }

    func testABrokenSourceChainIsNotCopied() throws {
        _ = try makeEmbeddedState()
        // Someone edited the embedded log by hand.
        let file = try SQLiteDatabase(path: directory + "/" + SQLiteGovernanceStore.fileName)
        try file.execute("UPDATE governance_events SET actor = 'someone' WHERE seq = 2")
        let storage = try database.storage()
        XCTAssertThrowsError(try SQLiteImport.run(from: directory, into: storage)) { error in
            XCTAssertTrue("\(error)".contains("the hash chain is broken at event 2"), "\(error)")
        }
        XCTAssertEqual(try PostgresGovernanceStore(storage: storage).count(), 0)
        XCTAssertEqual(try PostgresOutcomeStore(storage: storage).count(), 0, "nothing half-copied")
    }
}
