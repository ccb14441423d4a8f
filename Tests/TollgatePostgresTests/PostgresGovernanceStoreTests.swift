import Foundation
import TollgateHost
import TollgateJSON
import TollgatePostgres
import XCTest

/// The governance log in PostgreSQL: the same hash chain as the SQLite
/// file, an append that names where it was decided (a stale one is a
/// conflict, never a fork), and verify naming the first event changed
/// behind the log's back.
final class PostgresGovernanceStoreTests: DatabaseTestCase {
    static func event(_ n: Int) -> GovernanceEvent {
        GovernanceEvent(at: 1_800_000_000 + Int64(n), actor: "master", kind: .forecastSubmitted, subject: "acme/team\(n)",
                        body: .object(JSONObject([("n", .int(Int64(n))), ("note", .string("é \"quoted\" \(n)"))])))
    }

    func testTheChainIsTheSameAsTheEmbeddedStoresAndVerifies() throws {
        let store = PostgresGovernanceStore(storage: try database.storage())
        let memory = MemoryGovernanceStore()
        XCTAssertTrue(store.isShared)
        for n in 1...5 {
            let stored = try store.append(Self.event(n))
            let reference = try memory.append(Self.event(n))
            XCTAssertEqual(stored.sequence, Int64(n))
            XCTAssertEqual(stored.hash, reference.hash, "the same event gets the same hash in every store")
        }
        let events = try store.events()
        XCTAssertEqual(events.map(\.sequence), [1, 2, 3, 4, 5])
        XCTAssertEqual(events, try memory.events(), "read back exactly as appended")
        XCTAssertEqual(try store.events(after: 3).map(\.sequence), [4, 5])
        XCTAssertEqual(try store.events(after: 5), [])
        let check = try store.verify()
        XCTAssertTrue(check.intact, check.problem ?? "")
        XCTAssertEqual(check.events, 5)
    }

    func testAStaleAppendIsAConflictNotAFork() throws {
        let store = PostgresGovernanceStore(storage: try database.storage())
        let first = try store.append(Self.event(1), after: .start)
        _ = try store.append(Self.event(2), after: GovernanceLogPosition(after: first))
        // A second writer that has seen only event 1 appends after it.
        XCTAssertThrowsError(try store.append(Self.event(3), after: GovernanceLogPosition(after: first))) { error in
            XCTAssertTrue(error is GovernanceAppendConflict, "\(error)")
        }
        XCTAssertThrowsError(try store.append(Self.event(3), after: .start)) { error in
            XCTAssertTrue(error is GovernanceAppendConflict, "\(error)")
        }
        // A position whose hash is not the stored one is refused too: never
        // an event linked to a history the log does not have.
        let forged = GovernanceLogPosition(sequence: 2, hash: String(repeating: "0", count: 64))
        XCTAssertThrowsError(try store.append(Self.event(3), after: forged)) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 500, "\(error)")
        }
        XCTAssertEqual(try store.events().map(\.sequence), [1, 2])
        XCTAssertTrue(try store.verify().intact)
    }

    func testVerifyNamesTheFirstEventChangedBehindTheLogsBack() throws {
        let store = PostgresGovernanceStore(storage: try database.storage())
        for n in 1...4 { _ = try store.append(Self.event(n)) }
        try database.execute("UPDATE tollgate_governance_events SET body = replace(body, '3', '9') WHERE seq = 3")
        let edited = try store.verify()
        XCTAssertEqual(edited.firstBroken, 3)
        XCTAssertTrue(edited.problem?.contains("was changed after it was written") ?? false, edited.problem ?? "")

        try database.execute("DELETE FROM tollgate_governance_events WHERE seq = 2")
        let deleted = try store.verify()
        XCTAssertEqual(deleted.firstBroken, 3)
        XCTAssertTrue(deleted.problem?.contains("an event is missing") ?? false, deleted.problem ?? "")
    }
}
