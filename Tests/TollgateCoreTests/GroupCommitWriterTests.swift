import Foundation
import TollgateSQLite
import XCTest

/// What a group commit promises whatever the batch: every item that
/// succeeds is committed, a failing item is rolled back alone and reported,
/// and waiters hear of the commit.
final class GroupCommitWriterTests: XCTestCase {
    struct Refused: Error {}

    private func makeWriter(_ name: String, errors: Locked<[String]>) throws -> (GroupCommitWriter, String) {
        let path = NSTemporaryDirectory() + "group-commit-\(name)-\(getpid()).sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        addTeardownBlock {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let writer = try GroupCommitWriter(path: path, setup: { try $0.execute("CREATE TABLE t (v INTEGER)") },
                                           onError: { error in errors.withLock { $0.append("\(error)") } })
        return (writer, path)
    }

    private func values(in path: String) throws -> [Int64] {
        try SQLiteDatabase(path: path).query("SELECT v FROM t ORDER BY v").compactMap { $0[0].int64 }
    }

    func testAFailingItemAloneInItsBatchIsRolledBackAndTheNextOnesCommit() throws {
        let errors = Locked<[String]>([])
        let (writer, path) = try makeWriter("alone", errors: errors)
        writer.enqueue { db in
            try db.execute("INSERT INTO t VALUES (1)")
            throw Refused()
        }
        writer.flush()
        writer.enqueue { try $0.execute("INSERT INTO t VALUES (2)") }
        writer.flush()
        writer.close()
        XCTAssertEqual(try values(in: path), [2])
        XCTAssertEqual(errors.withLock { $0.count }, 1)
    }

    func testAFailingItemInABatchOfSeveralLosesOnlyItself() throws {
        let errors = Locked<[String]>([])
        let (writer, path) = try makeWriter("several", errors: errors)
        // The first item holds the writer until the next three are queued,
        // so those three are committed as one batch.
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        writer.enqueue { db in
            started.signal()
            gate.wait()
            try db.execute("INSERT INTO t VALUES (1)")
        }
        XCTAssertEqual(started.wait(timeout: .now() + 30), .success)
        writer.enqueue { try $0.execute("INSERT INTO t VALUES (2)") }
        writer.enqueue { db in
            try db.execute("INSERT INTO t VALUES (3)")
            throw Refused()
        }
        let last = writer.enqueue { try $0.execute("INSERT INTO t VALUES (4)") }
        gate.signal()
        let committed = DispatchSemaphore(value: 0)
        writer.notifyWhenCommitted(last) { committed.signal() }
        XCTAssertEqual(committed.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(writer.batchesCommitted, 2)
        writer.close()
        XCTAssertEqual(try values(in: path), [1, 2, 4])
        XCTAssertEqual(errors.withLock { $0.count }, 1)
    }

    /// A batch runs as one plain transaction; only a failure in it makes
    /// the others run again, item by item.
    func testItemsOfABatchRunOnceUnlessOneFails() throws {
        for failing in [false, true] {
            let errors = Locked<[String]>([])
            let (writer, path) = try makeWriter("runs-\(failing)", errors: errors)
            let runs = Locked<[Int: Int]>([:])
            let started = DispatchSemaphore(value: 0)
            let gate = DispatchSemaphore(value: 0)
            writer.enqueue { _ in
                started.signal()
                gate.wait()
            }
            XCTAssertEqual(started.wait(timeout: .now() + 30), .success)
            var last: UInt64 = 0
            for v in 1...5 {
                last = writer.enqueue { db in
                    runs.withLock { $0[v, default: 0] += 1 }
                    try db.execute("INSERT INTO t VALUES (\(v))")
                    if failing, v == 3 { throw Refused() }
                }
            }
            gate.signal()
            let committed = DispatchSemaphore(value: 0)
            writer.notifyWhenCommitted(last) { committed.signal() }
            XCTAssertEqual(committed.wait(timeout: .now() + 30), .success)
            writer.close()
            XCTAssertEqual(try values(in: path), failing ? [1, 2, 4, 5] : [1, 2, 3, 4, 5])
            XCTAssertEqual(errors.withLock { $0.count }, failing ? 1 : 0)
            // Failing: 1...3 ran in the plain pass (it stopped at 3), then
            // all five item by item.
            XCTAssertEqual(runs.withLock { $0 }, failing ? [1: 2, 2: 2, 3: 2, 4: 1, 5: 1] : [1: 1, 2: 1, 3: 1, 4: 1, 5: 1])
        }
    }
}

/// A value behind a lock, for the writer thread's error callback.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
