import Foundation
import XCTest
@testable import TollgateCore

/// The ledger schema lives twice: in the tagging plugin, which writes the
/// file (a plugin never imports the core), and in the core, which reads it.
/// This keeps the two copies identical.
final class ReportSchemaTests: XCTestCase {
    func testPluginAndReportAgreeOnTheSchema() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let source = try String(contentsOf: repo.appendingPathComponent("Plugins/tagging/LedgerSchema.swift"), encoding: .utf8)
        let start = try XCTUnwrap(source.range(of: "static let createStatements = \"\"\"\n"))
        let end = try XCTUnwrap(source.range(of: "\"\"\"", range: start.upperBound..<source.endIndex))
        // Both literals are indented by the same 8 spaces in their files.
        let pluginDDL = source[start.upperBound..<end.lowerBound].split(separator: "\n")
            .map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }
            .joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(pluginDDL, LedgerFile.createStatements.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertTrue(source.contains("static let version = \(LedgerFile.schemaVersion)"))
        for column in LedgerFile.requiredColumns {
            XCTAssertTrue(LedgerFile.createStatements.contains("\n  \(column) "), column)
        }
    }
}
