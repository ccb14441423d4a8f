import Foundation
import XCTest
@testable import TollgateCLI
import TollgateJSON

/// `tollgate allocation`'s formats, from a fixture shaped as the budget
/// plugin's GET /admin/allocation (Fixtures/cli/allocation.json).
final class AllocationFormatTests: XCTestCase {
    func fixture() throws -> JSONValue {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/cli/allocation.json")
        return try JSONValue.parse(Array(try Data(contentsOf: url)))
    }

    func allocation() throws -> Allocation { try Allocation(json: try fixture()) }

    func testGrantsComeInTreeOrderWithTheServersDepth() throws {
        let a = try allocation()
        XCTAssertEqual(a.asOf, "2026-11-14T09:30:00Z")
        XCTAssertEqual(a.version, "7")
        XCTAssertEqual(a.grants.map(\.id), ["acme", "payments", "checkout"])
        // acme and payments carry depth; checkout has none and is placed under payments.
        XCTAssertEqual(a.grants.map(\.depth), [0, 1, 2])
        XCTAssertEqual(a.grants[1].buckets.map(\.name), ["production", "experimentation"])
        XCTAssertEqual(a.grants[1].buckets[0].usedPercent, "30.9%")
        XCTAssertEqual(a.grants[1].buckets[1].usedPercent, "95%")
        XCTAssertEqual(a.grants[1].tpm, "120000")
        XCTAssertNil(a.grants[1].rpm)
        // A bucket with only nanos gets them formatted; what is missing stays nil.
        XCTAssertEqual(a.grants[2].buckets[0].amount, "$300.00")
        XCTAssertNil(a.grants[2].buckets[0].spent)
        XCTAssertEqual(a.grants[2].rationale.text, "Launch, \"phase 2\"")
        XCTAssertEqual(a.capacity?.pools.count, 2)
        XCTAssertEqual(a.capacity?.moneyPercent, "166.7%")
    }

    func testTableHasOneIndentedLinePerBucketAndTheCapacity() throws {
        let text = AllocationFormat.table(try allocation())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "Allocation as of 2026-11-14T09:30:00Z (grant table version 7)")
        XCTAssertTrue(lines[2].hasPrefix("grant "), lines[2])
        for column in ["scope", "owner", "class/bucket", "amount/period", "tpm quota", "spent", "in flight", "remaining",
                       "used", "tier", "renews", "review"] {
            XCTAssertTrue(lines[2].contains(column), "no \(column) in \(lines[2])")
        }
        let rows = Array(lines[4...7])
        XCTAssertTrue(rows[0].hasPrefix("acme "), rows[0])
        XCTAssertTrue(rows[1].hasPrefix("  payments "), rows[1])
        // The second bucket of payments: no grant cells, its own figures.
        XCTAssertTrue(rows[2].hasPrefix("      "), rows[2])
        XCTAssertTrue(rows[2].contains("both/experimentation"), rows[2])
        XCTAssertTrue(rows[2].contains("$1000.00/monthly"), rows[2])
        XCTAssertTrue(rows[2].contains("95%"), rows[2])
        XCTAssertTrue(rows[2].contains("warn"), rows[2])
        XCTAssertTrue(rows[3].hasPrefix("    checkout (revoked) "), rows[3])
        for cell in ["team/acme/payments", "lead@example.com", "both/production", "$4000.00/monthly", "120000", "$1234.50",
                     "$2.00", "$2763.50", "30.9%", "2027-06-30", "2027-03-31"] {
            XCTAssertTrue(rows[1].contains(cell), "no \(cell) in \(rows[1])")
        }
        // Columns line up: every row's "used" figure ends where the header's does.
        let usedEnd = lines[2].range(of: "used")!.upperBound.utf16Offset(in: lines[2])
        XCTAssertEqual(rows[1].range(of: "30.9%")!.upperBound.utf16Offset(in: rows[1]), usedEnd)
        XCTAssertEqual(rows[2].range(of: "95%")!.upperBound.utf16Offset(in: rows[2]), usedEnd)

        XCTAssertTrue(text.contains("Capacity\n"), text)
        XCTAssertTrue(text.contains("tokens per minute  allocated 200000 of 250000 purchased (80%)"), text)
        XCTAssertTrue(text.contains("monthly spend      allocated $10000.00 of $6000.00 committed (166.7%)"), text)
        XCTAssertTrue(text.contains("WARNING: allocated above 90% of purchased capacity: monthly spend 166.7%"), text)
        XCTAssertTrue(text.contains("openai     gpt-4o"), text)
        XCTAssertTrue(text.contains("anthropic  (all models)"), text)
    }

    func testASmallTableExactly() throws {
        let doc = try JSONValue.parse("""
            {"as_of": "2026-11-14T09:30:00Z", "grants": [
              {"id": "acme", "depth": 0, "scope": "org/acme", "owner": "cfo", "class": "both", "period": "monthly",
               "buckets": [{"name": "all", "amount": "$100.00", "spent": "$25.00", "in_flight": "$0.50",
                            "remaining": "$74.50", "used_percent": 25, "tier": "ok"}]},
              {"id": "web", "parent": "acme", "depth": 1, "scope": "team/acme/web", "owner": "lead", "class": "production",
               "period": "monthly", "tpm": 5000, "renews": "2027-01-31",
               "buckets": [{"name": "production", "amount": "$40.00", "spent": "$10.00", "in_flight": "$0.00",
                            "remaining": "$30.00", "used_percent": 25, "tier": "ok"}]}]}
            """)
        XCTAssertEqual(AllocationFormat.table(try Allocation(json: doc)), """
            Allocation as of 2026-11-14T09:30:00Z

            grant  scope          owner  class/bucket  amount/period    tpm quota   spent  in flight  remaining  used  tier  renews      review
            -----  -------------  -----  ------------  ---------------  ---------  ------  ---------  ---------  ----  ----  ----------  ------
            acme   org/acme       cfo    both/all      $100.00/monthly          -  $25.00      $0.50     $74.50   25%  ok    -           -
              web  team/acme/web  lead   production    $40.00/monthly        5000  $10.00      $0.00     $30.00   25%  ok    2027-01-31  -

            """)
    }

    func testCSVIsRFC4180WithARowPerBucketAndTheRationale() throws {
        let text = AllocationFormat.csv(try allocation())
        XCTAssertTrue(text.hasSuffix("\r\n"))
        let records = text.components(separatedBy: "\r\n").dropLast()
        XCTAssertEqual(records.count, 5)  // header + 4 buckets
        XCTAssertEqual(records.first, AllocationFormat.csvColumns.joined(separator: ","))
        XCTAssertTrue(records.first!.contains("rationale"))
        // Every row is complete: the second bucket repeats the grant's cells.
        let second = records[records.index(records.startIndex, offsetBy: 3)]
        XCTAssertTrue(second.hasPrefix("payments,acme,1,team/acme/payments,team,lead@example.com,both,experimentation,experimentation,1000.00,1000000000000,monthly,120000,,950.00,950000000000,0.00,0,50.00,50000000000,95,warn,"), second)
        // Commas, quotes and line breaks are quoted; quotes doubled.
        XCTAssertTrue(text.contains("\"Checkout, fraud | refunds\",\"$3,800/mo\",\"$4,200/mo\",2"), text)
        XCTAssertTrue(text.contains("\"Company-wide\nall teams\""), text)
        XCTAssertTrue(text.contains("\"Launch, \"\"phase 2\"\"\""), text)
    }

    func testMarkdownIsAGitHubTableWithRationaleAndCapacity() throws {
        let text = AllocationFormat.markdown(try allocation())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "## Allocation as of 2026-11-14T09:30:00Z")
        XCTAssertEqual(lines[1], "")
        XCTAssertTrue(lines[2].hasPrefix("| Grant | Scope |") && lines[2].hasSuffix("| Rationale |"), lines[2])
        XCTAssertEqual(lines[3], "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |")
        let rows = lines[4...7]
        // Every row has the header's number of cells: a `|` in a cell is escaped.
        let cellCount = lines[2].filter { $0 == "|" }.count
        for row in rows {
            XCTAssertEqual(row.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count, cellCount, row)
        }
        XCTAssertTrue(lines[4].hasPrefix("| acme |"), lines[4])
        XCTAssertTrue(lines[4].contains("Company-wide<br>all teams"), lines[4])
        XCTAssertTrue(lines[5].hasPrefix("| &nbsp;&nbsp;↳ payments |"), lines[5])
        XCTAssertTrue(lines[5].contains("Checkout, fraud \\| refunds; trailing usage: $3,800/mo; forecast: $4,200/mo; priority 2"), lines[5])
        XCTAssertTrue(lines[6].hasPrefix("|  |  |  | both/experimentation |"), lines[6])
        XCTAssertTrue(lines[7].hasPrefix("| &nbsp;&nbsp;&nbsp;&nbsp;↳ checkout (revoked) |"), lines[7])
        XCTAssertTrue(text.contains("**Capacity:** tokens per minute allocated 200000 of 250000 purchased (80%); "
            + "monthly spend allocated $10000.00 of $6000.00 committed (166.7%). **Warning:**"), text)
        XCTAssertTrue(text.contains("Pools: openai gpt-4o 150000 tpm $6000.00 monthly; anthropic 100000 tpm."), text)
    }

    func testJSONIsTheServersDocumentIndented() throws {
        let raw = try fixture()
        let text = AllocationFormat.json.render(try Allocation(json: raw), raw: raw)
        XCTAssertEqual(try JSONValue.parse(text), raw)  // same keys, same order, same number text
        XCTAssertTrue(text.hasPrefix("{\n  \"as_of\": \"2026-11-14T09:30:00Z\",\n  \"version\": 7,\n  \"grants\": [\n    {\n"), text)
        XCTAssertTrue(text.contains("\"used_percent\": 30.9,"), text)
        XCTAssertTrue(text.contains("\"classes\": [\n"), text)
    }

    func testMissingFieldsAreTolerated() throws {
        let bare = try Allocation(json: try JSONValue.parse(#"{"grants": [{"id": "solo"}, {"no_id": 1}]}"#))
        XCTAssertEqual(bare.grants.map(\.id), ["solo"])
        XCTAssertNil(bare.capacity)
        let table = AllocationFormat.table(bare)
        XCTAssertTrue(table.hasPrefix("Allocation\n\n"), table)
        XCTAssertTrue(table.contains("solo   -      -      -             -"), table)
        XCTAssertFalse(table.contains("Capacity"))
        XCTAssertTrue(AllocationFormat.markdown(bare).hasPrefix("## Allocation as of (unknown)\n"))
        XCTAssertEqual(AllocationFormat.csv(bare).components(separatedBy: "\r\n").count, 3)
        // Unix seconds for as_of and renews_at read as dates.
        let seconds = try Allocation(json: try JSONValue.parse(#"{"as_of": 1794614400, "grants": [{"id": "a", "renews_at": 1798761600}]}"#))
        XCTAssertEqual(seconds.asOf, "2026-11-14T00:00:00Z")
        XCTAssertEqual(seconds.grants[0].renews, "2026-12-31")
        XCTAssertEqual(AllocationFormat.table(try Allocation(json: try JSONValue.parse(#"{"grants": []}"#))),
                       "Allocation\n\nNo grants.\n")
        XCTAssertThrowsError(try Allocation(json: try JSONValue.parse(#"{"error": "x"}"#)))
        XCTAssertThrowsError(try Allocation(json: .array([])))
    }

    func testTreeOrderKeepsOrphansAndBreaksCycles() {
        struct N { var id: String; var parent: String? }
        let nodes = [N(id: "c", parent: "b"), N(id: "b", parent: "a"), N(id: "x", parent: "gone"), N(id: "a", parent: nil),
                     N(id: "p", parent: "q"), N(id: "q", parent: "p")]
        let ordered = TreeOrder.arrange(nodes, id: \.id, parent: \.parent)
        XCTAssertEqual(ordered.map(\.element.id), ["x", "a", "b", "c", "p", "q"])
        XCTAssertEqual(ordered.map(\.depth), [0, 0, 1, 2, 0, 1])
    }

    func testTextLayoutHelpers() {
        XCTAssertEqual(TextLayout.csvField("plain"), "plain")
        XCTAssertEqual(TextLayout.csvField("a,b"), "\"a,b\"")
        XCTAssertEqual(TextLayout.csvField("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(TextLayout.csvField("two\r\nlines"), "\"two\r\nlines\"")
        XCTAssertEqual(TextLayout.markdownCell(" a|b\nc\r\nd "), "a\\|b<br>c<br>d")
        XCTAssertEqual(TextLayout.prettyJSON(.object(JSONObject([("a", .array([])), ("b", .object(JSONObject())), ("c", .number("1.50"))]))),
                       "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": 1.50\n}\n")
        XCTAssertEqual(Display.percent(.number("12")), "12%")
        XCTAssertEqual(Display.percent(.number("12.04")), "12%")
        XCTAssertEqual(Display.percent(.number("12.06")), "12.1%")
        XCTAssertEqual(Display.percent(.number("1e2")), "100%")
        XCTAssertNil(Display.percent(.null))
    }
}
