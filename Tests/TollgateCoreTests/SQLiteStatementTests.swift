import Foundation
import TollgateSQLite
import XCTest

/// Binding and reading text: every byte round-trips (an empty string stays
/// "", not NULL; a NUL inside is kept), and a statement reused with fewer
/// values does not keep an earlier run's.
final class SQLiteStatementTests: XCTestCase {
    func testTextRoundTripsByteForByte() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (id INTEGER, v TEXT)")
        let insert = try db.prepare("INSERT INTO t VALUES (?1, ?2)")
        let texts = ["", "plain", "a\u{0}b", "café ☕︎ 𝄞", String(repeating: "x", count: 10_000)]
        for (i, text) in texts.enumerated() { try insert.run([.integer(Int64(i)), .text(text)]) }
        let rows = try db.query("SELECT v, typeof(v), length(CAST(v AS BLOB)) FROM t ORDER BY id")
        XCTAssertEqual(rows.map { $0[0] }, texts.map { SQLiteValue.text($0) })
        XCTAssertEqual(rows.map { $0[1] }, texts.map { _ in SQLiteValue.text("text") }, "an empty string is text, not NULL")
        XCTAssertEqual(rows.map { $0[2] }, texts.map { SQLiteValue.integer(Int64($0.utf8.count)) })
    }

    func testFewerValuesThanParametersLeaveTheRestNull() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (a TEXT, b TEXT)")
        let insert = try db.prepare("INSERT INTO t VALUES (?1, ?2)")
        try insert.run([.text("first"), .text("kept only here")])
        try insert.run([.text("second")])
        let rows = try db.query("SELECT a, b FROM t ORDER BY a")
        XCTAssertEqual(rows, [[.text("first"), .text("kept only here")], [.text("second"), .null]])
    }
}
