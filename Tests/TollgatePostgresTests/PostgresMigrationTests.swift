import Foundation
import NIOConcurrencyHelpers
import TollgatePostgres
import XCTest

/// Versioned migrations: each once, in order, recorded; two replicas
/// starting together do not race (the advisory lock); a schema newer than
/// the build is refused.
final class PostgresMigrationTests: DatabaseTestCase {
    func testMigrationsApplyOnceInOrderAndAreRecorded() throws {
        let storage = try database.storage(migrate: false)
        XCTAssertEqual(try PostgresMigrator.appliedVersions(storage), [])
        let first = try PostgresMigrator.migrate(storage)
        XCTAssertEqual(first.map(\.version), PostgresMigration.all.map(\.version).sorted())
        XCTAssertEqual(try PostgresMigrator.migrate(storage).count, 0, "a second run applies nothing")
        XCTAssertEqual(try PostgresMigrator.appliedVersions(storage), PostgresMigration.all.map(\.version).sorted())
        // The tables are there and empty.
        XCTAssertEqual(try PostgresGovernanceStore(storage: storage).count(), 0)
        XCTAssertEqual(try PostgresOutcomeStore(storage: storage).count(), 0)
    }

    /// Two replicas, each its own pool, migrate at the same moment; a step
    /// that takes a while widens the window. Without the lock both would
    /// see "nothing applied" and the second would fail creating what the
    /// first created (or record a version twice).
    func testConcurrentMigratorsDoNotRace() throws {
        let slow = [
            PostgresMigration(version: 1, name: "slow", statements: ["SELECT pg_sleep(0.5)", "CREATE TABLE race_a (id INT PRIMARY KEY)"]),
            PostgresMigration(version: 2, name: "next", statements: ["CREATE TABLE race_b (id INT PRIMARY KEY)"]),
        ]
        let replicas = [try database.storage(migrate: false), try database.storage(migrate: false), try database.storage(migrate: false)]
        let results = NIOLockedValueBox<[Result<[Int], Error>]>([])
        let group = DispatchGroup()
        for replica in replicas {
            DispatchQueue.global().async(group: group) {
                let result = Result { try PostgresMigrator.migrate(replica, migrations: slow).map(\.version) }
                results.withLockedValue { $0.append(result) }
            }
        }
        group.wait()
        let applied = try results.withLockedValue { $0 }.map { try $0.get() }
        XCTAssertEqual(applied.flatMap { $0 }.sorted(), [1, 2], "each step applied exactly once across the replicas: \(applied)")
        XCTAssertEqual(applied.filter { !$0.isEmpty }.count, 1, "one replica migrated, the others found it done")
        XCTAssertEqual(try PostgresMigrator.appliedVersions(replicas[0]), [1, 2])
    }

    /// A failing step rolls back whole (its transaction) and is not recorded.
    func testAFailingStepLeavesNothingBehind() throws {
        let storage = try database.storage(migrate: false)
        let broken = [
            PostgresMigration(version: 1, name: "ok", statements: ["CREATE TABLE good (id INT)"]),
            PostgresMigration(version: 2, name: "broken", statements: ["CREATE TABLE half (id INT)", "SELECT no_such_function()"]),
        ]
        XCTAssertThrowsError(try PostgresMigrator.migrate(storage, migrations: broken))
        XCTAssertEqual(try PostgresMigrator.appliedVersions(storage), [1])
        XCTAssertThrowsError(try database.execute("SELECT * FROM half"), "the failed step's table was rolled back")
        // The lock was released: the fixed step goes in.
        let fixed = [broken[0], PostgresMigration(version: 2, name: "fixed", statements: ["CREATE TABLE half (id INT)"])]
        XCTAssertEqual(try PostgresMigrator.migrate(storage, migrations: fixed).map(\.version), [2])
    }

    func testASchemaNewerThanTheBuildIsRefused() throws {
        let storage = try database.storage()
        try database.execute("INSERT INTO tollgate_schema_migrations (version, name) VALUES (999, 'from the future')")
        XCTAssertThrowsError(try PostgresMigrator.migrate(storage)) { error in
            XCTAssertTrue("\(error)".contains("version 999, newer than this build knows"), "\(error)")
        }
    }
}
