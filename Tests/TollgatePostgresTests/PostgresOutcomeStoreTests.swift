import Foundation
import NIOConcurrencyHelpers
import TollgateConfig
import TollgateHost
import TollgatePostgres
import XCTest

/// Outcomes in PostgreSQL: committed before the caller hears back (another
/// gateway's pool reads the row at once), summed by range exactly as the
/// embedded store sums them.
final class PostgresOutcomeStoreTests: DatabaseTestCase {
    static func records() -> [OutcomeRecord] {
        let base: Int64 = 1_790_000_000_000_000
        var records: [OutcomeRecord] = []
        for n in 0..<12 {
            var record = OutcomeRecord(atMicros: base + Int64(n) * 3_600_000_000, receivedAtMicros: base + Int64(n) * 3_600_000_000 + 5,
                                       org: n % 5 == 0 ? "beta" : "acme", team: n % 2 == 0 ? "recs" : "search",
                                       feature: n % 3 == 0 ? nil : "feed-\(n % 3)", keyID: "key-\(n % 2)",
                                       metric: n % 4 == 0 ? "merged_pr" : "resolved_ticket", count: Int64(n + 1))
            record.requestIDs = n % 2 == 0 ? ["req_\(n)", "req_\(n)b"] : []
            record.grantIDs = n % 3 == 0 ? [] : ["acme", "recs-\(n % 3)"]
            record.grantOwner = n % 3 == 0 ? nil : "owner@\(n % 3)"
            records.append(record)
        }
        return records
    }

    func testAnOutcomeIsCommittedBeforeTheCallerHearsAndAnotherReplicaSeesIt() throws {
        let a = PostgresOutcomeStore(storage: try database.storage())
        let b = PostgresOutcomeStore(storage: try database.storage())
        let seenByB = NIOLockedValueBox<Int64?>(nil)
        let done = expectation(description: "committed")
        var record = Self.records()[1]
        record.atMicros = 1_790_000_000_000_000
        a.record(record) { result in
            XCTAssertEqual((try? result.get())?.id, "out_1")
            // The completion runs on the storage's event loop: look from
            // elsewhere, before anything else is written. The row must
            // already be there for anyone.
            DispatchQueue.global().async {
                seenByB.withLockedValue { $0 = try? b.count() }
                done.fulfill()
            }
        }
        wait(for: [done], timeout: 30)
        XCTAssertEqual(seenByB.withLockedValue { $0 }, 1, "committed before the completion ran")
        let second = try a.recordAndWait(record)
        XCTAssertEqual(second.id, "out_2")
        XCTAssertEqual(try b.totals(fromMicros: 0, toMicros: Int64.max).map(\.count), [2 * record.count])
    }

    /// The same outcomes in both stores: the same totals, in the same
    /// order, for every range (from inclusive, to exclusive).
    func testTotalsByRangeAreTheEmbeddedStoresTotals() throws {
        let postgres = PostgresOutcomeStore(storage: try database.storage())
        let sqlite = try SQLiteOutcomeStore(directory: directory)
        defer { sqlite.close() }
        for record in Self.records() {
            _ = try postgres.recordAndWait(record)
            _ = try sqlite.recordAndWait(record)
        }
        let base: Int64 = 1_790_000_000_000_000
        let hour: Int64 = 3_600_000_000
        let ranges: [(Int64, Int64)] = [(0, Int64.max), (base, base + 6 * hour), (base + hour, base + hour + 1), (base + 11 * hour, base + 12 * hour),
                                        (base + 12 * hour, Int64.max), (base + 3 * hour, base + 9 * hour)]
        for (from, to) in ranges {
            let expected = try sqlite.totals(fromMicros: from, toMicros: to)
            XCTAssertEqual(try postgres.totals(fromMicros: from, toMicros: to), expected, "range \(from)..<\(to)")
        }
        XCTAssertEqual(try postgres.totals(fromMicros: base + hour, toMicros: base + hour + 1).map(\.count), [2])
        XCTAssertEqual(try postgres.totals(fromMicros: base + 12 * hour, toMicros: Int64.max), [])
        XCTAssertEqual(try postgres.totals(fromMicros: 0, toMicros: Int64.max).reduce(0) { $0 + $1.count }, (1...12).reduce(0, +))
    }

    func testAfterCloseAnOutcomeIsRefusedNotLost() throws {
        let store = PostgresOutcomeStore(storage: try database.storage())
        store.close()
        XCTAssertThrowsError(try store.recordAndWait(Self.records()[0])) { error in
            guard case OutcomeStoreError.closed = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try store.count(), 0)
    }
}
