import Foundation
import TollgateSQLite
import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

/// The report reads what the tagging plugin writes: a ledger created from
/// the shared schema must have every column the report needs, and open.
final class ReportSchemaTests: XCTestCase {
    func testTheSharedSchemaHasEveryColumnTheReportReads() throws {
        let path = NSTemporaryDirectory() + "ledger-schema-\(getpid()).sqlite"
        try? FileManager.default.removeItem(atPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try SQLiteDatabase(path: path)
        try db.execute(LedgerFile.createStatements)
        let columns = try db.query("PRAGMA table_info(ledger)").compactMap { $0[1].string }
        for column in LedgerFile.requiredColumns {
            XCTAssertTrue(columns.contains(column), "the report reads '\(column)', which the schema lacks")
        }
        XCTAssertEqual(try db.query("SELECT value FROM ledger_meta WHERE key = 'schema_version'").first?.first?.string,
                       String(LedgerFile.schemaVersion))
        XCTAssertNoThrow(try LedgerFile.openForReading(path))
    }

    func testAFileWithoutTheLedgerIsRefusedClearly() throws {
        let path = NSTemporaryDirectory() + "not-a-ledger-\(getpid()).sqlite"
        try? FileManager.default.removeItem(atPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SQLiteDatabase(path: path).execute("CREATE TABLE other (x INTEGER)")
        XCTAssertThrowsError(try LedgerFile.openForReading(path)) { error in
            XCTAssertTrue("\(error)".contains("no ledger table"), "\(error)")
        }
    }
}
