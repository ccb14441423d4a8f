import Foundation
import TollgateConfig
import TollgateHost
import TollgatePostgres
import XCTest

/// The database goes away (its connections cut, new ones refused): an admin
/// change and an outcome are refused with "unavailable" (the API's 503)
/// within the deadline, the gateway keeps enforcing what it last read, and
/// once the database is back the same change goes in. Nothing is taken in
/// and then lost.
final class DatabaseOutageTests: DatabaseTestCase {
    override func tearDown() {
        try? database?.executeAsAdmin("ALTER DATABASE \(database.name) ALLOW_CONNECTIONS true")
        super.tearDown()
    }

    func testChangesAndOutcomesAreRefusedWhileTheDatabaseIsAwayAndGoInOnceItIsBack() throws {
        let storage = try database.storage()
        let registry = try Replicas.registry(PostgresGovernanceStore(storage: storage))
        let outcomes = PostgresOutcomeStore(storage: storage)
        let mint = #"{"id": "during-outage", "team": "team/acme/recs", "class": "production"}"#
        _ = try registry.mintKey(try Replicas.json(#"{"id": "before", "team": "team/acme/recs", "class": "production"}"#), by: .master)

        try database.executeAsAdmin("ALTER DATABASE \(database.name) ALLOW_CONNECTIONS false")
        try database.executeAsAdmin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database.name)'")

        XCTAssertThrowsError(try registry.mintKey(try Replicas.json(mint), by: .master)) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 503, "\(error)")
        }
        XCTAssertThrowsError(try registry.catchUp()) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 503, "\(error)")
        }
        XCTAssertThrowsError(try outcomes.recordAndWait(PostgresOutcomeStoreTests.records()[0])) { error in
            guard case OutcomeStoreError.unavailable = error else { return XCTFail("\(error)") }
        }
        // What was read before the outage is still enforced.
        XCTAssertEqual(registry.mintedKeyList.map(\.identity.keyId), ["before"])

        try database.executeAsAdmin("ALTER DATABASE \(database.name) ALLOW_CONNECTIONS true")
        let key = try waitForRecovery { try registry.mintKey(try Replicas.json(mint), by: .master) }
        XCTAssertEqual(key.key.identity.keyId, "during-outage")
        XCTAssertEqual(try outcomes.recordAndWait(PostgresOutcomeStoreTests.records()[0]).id.hasPrefix("out_"), true)
        XCTAssertEqual(try PostgresGovernanceStore(storage: storage).count(), 2, "the refused change was not written")
        XCTAssertTrue(try registry.verifyLog().intact)
    }

    /// The pool reconnects on its own; the first tries may still find it
    /// backing off (bounded: a few deadlines).
    private func waitForRecovery<T>(_ body: () throws -> T) throws -> T {
        var lastError: Error?
        for _ in 0..<6 {
            do { return try body() } catch { lastError = error }
        }
        throw lastError!
    }
}
