import Foundation
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

final class ReportFormatTests: XCTestCase {
    func sample() throws -> SpendReport {
        try SpendReport(dimensions: ["team", "feature"], fromMicros: 1_793_491_200_000_000, toMicros: nil, groups: [
            .init(keys: ["search", nil], totals: .init(requests: 1, tokensIn: 10, tokensOut: 5, costNanos: 400)),
            .init(keys: ["payments", "checkout, \"eu\""],
                  totals: .init(requests: 3, tokensIn: 300, tokensOut: 40, tokensCached: 7, costNanos: 12_340_000_001,
                                estimatedRequests: 1)),
        ])
    }

    func testDollarsAreExactDecimals() {
        XCTAssertEqual(SpendReportFormat.dollars(0), "0.00")
        XCTAssertEqual(SpendReportFormat.dollars(400), "0.0000004")
        XCTAssertEqual(SpendReportFormat.dollars(12_340_000_001), "12.340000001")
        XCTAssertEqual(SpendReportFormat.dollars(50_000_000_000_000), "50000.00")
    }

    func testTotalIsTheSumOfTheGroupsAndGroupsAreSortedByCost() throws {
        let report = try sample()
        XCTAssertEqual(report.groups.map { $0.keys[0] }, ["payments", "search"])
        XCTAssertEqual(report.total, .init(requests: 4, tokensIn: 310, tokensOut: 45, tokensCached: 7,
                                           costNanos: 12_340_000_401, estimatedRequests: 1))
        XCTAssertThrowsError(try SpendReport(dimensions: [], fromMicros: nil, toMicros: nil, groups: [
            .init(keys: [], totals: .init(costNanos: Int64.max)), .init(keys: [], totals: .init(costNanos: 1)),
        ]))
    }

    func testTable() throws {
        let text = SpendReportFormat.table.render(try sample())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "Spend from 2026-11-01T00:00:00Z, by team, feature")
        XCTAssertTrue(lines[2].hasPrefix("team      feature"), lines[2])
        XCTAssertTrue(lines[4].hasPrefix("payments  checkout, \"eu\""), lines[4])
        XCTAssertTrue(lines[4].hasSuffix("$12.340000001          1"), lines[4])
        XCTAssertTrue(lines[5].contains("(none)"), lines[5])
        XCTAssertTrue(lines[7].hasPrefix("TOTAL"), lines[7])
        XCTAssertTrue(lines[7].hasSuffix("$12.340000401          1"), lines[7])
        // Numbers right-aligned: every data line has the same length.
        XCTAssertEqual(Set([lines[2], lines[4], lines[5], lines[7]].map(\.count)).count, 1, text)
    }

    func testCSVQuotesAndCarriesExactCost() throws {
        let text = SpendReportFormat.csv.render(try sample())
        XCTAssertEqual(text,
                       "team,feature,requests,tokens_in,tokens_out,tokens_cached,cost_usd,cost_nanos,estimated_requests\r\n"
                       + #"payments,"checkout, ""eu""",3,300,40,7,12.340000001,12340000001,1"# + "\r\n"
                       + "search,,1,10,5,0,0.0000004,400,0\r\n")
    }

    func testJSONIsExactAndParses() throws {
        let text = SpendReportFormat.json.render(try sample())
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(object["from"] as? String, "2026-11-01T00:00:00Z")
        XCTAssertTrue(object["to"] is NSNull)
        XCTAssertEqual(object["by"] as? [String], ["team", "feature"])
        let groups = try XCTUnwrap(object["groups"] as? [[String: Any]])
        XCTAssertEqual(groups[0]["team"] as? String, "payments")
        XCTAssertEqual(groups[0]["cost_usd"] as? String, "12.340000001")
        XCTAssertEqual((groups[0]["cost_nanos"] as? NSNumber)?.int64Value, 12_340_000_001)
        XCTAssertTrue(groups[1]["feature"] is NSNull)
        let total = try XCTUnwrap(object["total"] as? [String: Any])
        XCTAssertEqual(total["cost_usd"] as? String, "12.340000401")
        XCTAssertEqual((total["requests"] as? NSNumber)?.int64Value, 4)
    }

    func testEmptyReportWithoutDimensions() throws {
        let report = try SpendReport(dimensions: [], fromMicros: nil, toMicros: nil, groups: [])
        let table = SpendReportFormat.table.render(report)
        XCTAssertTrue(table.hasPrefix("Spend over the whole ledger\n"), table)
        XCTAssertTrue(table.contains("$0.00"), table)
        XCTAssertEqual(SpendReportFormat.csv.render(report),
                       "requests,tokens_in,tokens_out,tokens_cached,cost_usd,cost_nanos,estimated_requests\r\n")
    }
}
