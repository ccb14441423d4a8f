import Foundation
import XCTest
@testable import TollgateCLI
import TollgateJSON

/// `tollgate exceptions`, `exception show|request|approve|deny`, `burst
/// list` and `exceptions verify`: their formats, from a fixture shaped as
/// GET /admin/exceptions (Fixtures/cli/exceptions.json).
final class ExceptionFormatTests: XCTestCase {
    func fixture() throws -> JSONValue {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/cli/exceptions.json")
        return try JSONValue.parse(Array(try Data(contentsOf: url)))
    }

    func log() throws -> ExceptionLog { try ExceptionLog(json: try fixture()) }

    func testTheLogIsReadTolerantly() throws {
        let log = try log()
        XCTAssertEqual(log.asOf, "2026-12-03T13:30:00Z")
        XCTAssertEqual(log.entries.map(\.id), ["exc-0001", "exc-0002", "exc-0003", "burst-0004", "burst-0005"])
        XCTAssertEqual(log.entries.map { $0.status ?? "" }, ["active", "pending", "denied", "active", "lapsed"])
        XCTAssertEqual(log.entries[0].condition, "campaign pages only")
        XCTAssertEqual(log.entries[0].spentUnderNanos, 1_250_000_000)
        XCTAssertTrue(log.entries[3].immediate)
        XCTAssertNil(log.entries[1].useCase)
        // Only nanos: formatted; what is missing stays nil.
        XCTAssertEqual(log.entries[4].amount, "$8.00")
        XCTAssertEqual(log.entries[4].spentUnder, "$4.50")
        XCTAssertNil(log.entries[4].condition)
        XCTAssertThrowsError(try ExceptionLog(json: try JSONValue.parse(#"{"pools": []}"#)))
        let bare = try ExceptionLog(json: try JSONValue.parse(#"{"exceptions": [{"id": "x"}, {"no_id": 1}, 3]}"#))
        XCTAssertEqual(bare.entries.map(\.id), ["x"])
        XCTAssertTrue(ExceptionFormat.table(bare).contains("\nx   -     -           -  ? to ?  -       -          -       -         -                    -\n"), ExceptionFormat.table(bare))
    }

    func testWindowsReadAsTheOptionsAreWritten() throws {
        let windows = try log().entries.map(ExceptionFormat.window)
        XCTAssertEqual(windows, ["2026-12-01 09:15Z to 2026-12-31",   // ends 2027-01-01T00:00:00Z: through the 31st
                                 "2026-12-24 to 2026-12-26",
                                 "2026-12-02 to 2026-12-10 18:00Z",
                                 "2026-12-03 13:00Z to 2026-12-05",
                                 "2026-11-20 to 2026-11-22"])
        XCTAssertEqual(Instant.endText("2028-03-01T00:00:00Z"), "2028-02-29")
        XCTAssertEqual(Instant.startText("2026-12-01T09:15:07Z"), "2026-12-01 09:15:07Z")
        XCTAssertEqual(Instant.endPhrase("2027-01-01T00:00:00Z"), "through 2026-12-31")
        XCTAssertEqual(Instant.endPhrase("2026-12-10T18:00:00Z"), "until 2026-12-10 18:00Z")
        XCTAssertEqual(Instant.endText("not a time"), "not a time")
    }

    func testTableHasTheLogsColumnsOneLinePerEntry() throws {
        let text = ExceptionFormat.table(try log())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "Exception log as of 2026-12-03T13:30:00Z")
        XCTAssertEqual(lines[1], "")
        for column in ["id", "kind", "grant", "amount", "window", "status", "requester", "reason", "approver", "condition",
                       "spent under"] {
            XCTAssertTrue(lines[2].contains(column), "no \(column) in \(lines[2])")
        }
        XCTAssertEqual(lines.count, 4 + 5 + 1, text)  // heading, blank, header, rule, 5 entries, ""
        let rows = Array(lines[4...8])
        XCTAssertTrue(rows[0].hasPrefix("exc-0001    exception   recs (production)"), rows[0])
        for cell in ["$6.00", "2026-12-01 09:15Z to 2026-12-31", "active", "recs-admin", "holiday campaign doubles homepage traffic",
                     "chair", "campaign pages only", "$1.25"] {
            XCTAssertTrue(rows[0].contains(cell), "no \(cell) in \(rows[0])")
        }
        XCTAssertFalse(rows[0].contains("credential:"), rows[0])
        // A line break in a reason stays on the entry's line.
        XCTAssertTrue(rows[1].contains("re-index, \"urgent\", after the outage second line"), rows[1])
        XCTAssertTrue(rows[1].hasPrefix("exc-0002    exception   search "), rows[1])
        XCTAssertTrue(rows[2].contains("denied: use the burst pool"), rows[2])
        XCTAssertTrue(rows[2].contains(" master "), rows[2])
        XCTAssertTrue(rows[3].hasPrefix("burst-0004  burst draw  recs (production)"), rows[3])
        XCTAssertTrue(rows[3].contains("(within limit)"), rows[3])
        XCTAssertTrue(rows[4].contains("lapsed") && rows[4].hasSuffix("$4.50"), rows[4])
        // Amounts right-aligned: each ends where the header's "amount" does.
        let amountEnd = lines[2].range(of: "amount")!.upperBound.utf16Offset(in: lines[2])
        XCTAssertEqual(rows[2].range(of: "$0.50")!.upperBound.utf16Offset(in: rows[2]), amountEnd)
        XCTAssertEqual(ExceptionFormat.table(try ExceptionLog(json: try JSONValue.parse(#"{"as_of": "2026-12-03T13:30:00Z", "exceptions": []}"#))),
                       "Exception log as of 2026-12-03T13:30:00Z\n\nNo exceptions.\n")
    }

    func testCSVIsRFC4180WithEveryField() throws {
        let text = ExceptionFormat.csv(try log())
        XCTAssertTrue(text.hasSuffix("\r\n"))
        XCTAssertEqual(text.components(separatedBy: "\r\n").first, ExceptionFormat.csvColumns.joined(separator: ","))
        XCTAssertTrue(text.contains("\r\nexc-0001,exception,recs,production,6.00,6000000000,2026-12-01T09:15:00Z,2027-01-01T00:00:00Z,active,approved,"
            + "credential:recs-admin,2026-12-01T09:15:00Z,2026-12-04T09:15:00Z,holiday campaign doubles homepage traffic,campaign,,false,"
            + "credential:chair,2026-12-01T10:00:00Z,campaign pages only,,1.25,1250000000\r\n"), text)
        // Commas, quotes and a line break: one quoted field, quotes doubled.
        XCTAssertTrue(text.contains(",\"re-index, \"\"urgent\"\", after the outage\nsecond line\","), text)
        XCTAssertTrue(text.contains(",use the burst pool,0.00,0\r\n"), text)
        XCTAssertTrue(text.contains("\r\nburst-0004,burst,recs,production,3.00,3000000000,"), text)
        XCTAssertTrue(text.contains(",demo,true,,2026-12-03T13:00:00Z,,,0.00,0\r\n"), text)
        // Every record has the header's number of fields (outside quotes).
        var fields = 1, records: [Int] = [], quoted = false
        for scalar in text.unicodeScalars {
            if scalar == "\"" { quoted.toggle() } else if scalar == ",", !quoted { fields += 1 } else if scalar == "\n", !quoted {
                records.append(fields)
                fields = 1
            }
        }
        XCTAssertEqual(records, Array(repeating: ExceptionFormat.csvColumns.count, count: 6))
    }

    func testMarkdownIsAGitHubTableForTheCommitteesNotes() throws {
        let text = ExceptionFormat.markdown(try log())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "## Exception log as of 2026-12-03T13:30:00Z")
        XCTAssertEqual(lines[1], "")
        XCTAssertEqual(lines[2], "| Id | Kind | Grant | Amount | Window | Status | Requester | Reason | Approver | Condition | Spent under |")
        XCTAssertEqual(lines[3], "| --- | --- | --- | ---: | --- | --- | --- | --- | --- | --- | ---: |")
        XCTAssertEqual(lines[4], "| exc-0001 | exception | recs (production) | $6.00 | 2026-12-01 09:15Z to 2026-12-31 | active | recs-admin "
            + "| holiday campaign doubles homepage traffic (use case: campaign) | chair | campaign pages only | $1.25 |")
        let cellCount = lines[2].filter { $0 == "|" }.count
        for row in lines[4...8] {
            XCTAssertEqual(row.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count, cellCount, row)
        }
        XCTAssertTrue(lines[5].contains("re-index, \"urgent\", after the outage<br>second line"), lines[5])
        XCTAssertTrue(lines[6].contains("a bigger sandbox for the hackathon \\| week (use case: hackathon)"), lines[6])
        XCTAssertEqual(lines[9], "")
        XCTAssertEqual(lines[10], "5 entries: 1 pending, 2 active, 1 lapsed, 1 denied.")
    }

    func testJSONIsTheServersDocument() throws {
        let raw = try fixture()
        let text = ExceptionFormat.json.render(try ExceptionLog(json: raw), raw: raw)
        XCTAssertEqual(try JSONValue.parse(text), raw)
        XCTAssertTrue(text.hasPrefix("{\n  \"as_of\": \"2026-12-03T13:30:00Z\",\n  \"exceptions\": [\n"), text)
    }

    func testOneEntrySaysWhatHappensNext() throws {
        let entries = try log().entries
        XCTAssertEqual(ExceptionFormat.detail(entries[1]), """
            exception    exc-0002
            grant        search
            amount       $2.00
            window       2026-12-24 to 2026-12-26
            reason       re-index, "urgent", after the outage
                         second line
            requested    by credential:search-lead at 2026-12-03T08:00:00Z
            status       pending: an approver decides (tollgate exception approve exc-0002) before 2026-12-06T08:00:00Z, when an undecided request expires
            spent under  $0.00

            """)
        XCTAssertEqual(ExceptionFormat.detail(entries[0]), """
            exception    exc-0001
            grant        recs (production)
            amount       $6.00
            window       2026-12-01 09:15Z to 2026-12-31
            reason       holiday campaign doubles homepage traffic
            use case     campaign
            requested    by credential:recs-admin at 2026-12-01T09:15:00Z
            status       active: grant recs has $6.00 more through 2026-12-31, then it lapses by itself
            decided      approved by credential:chair at 2026-12-01T10:00:00Z
            condition    campaign pages only
            spent under  $1.25

            """)
    }

    func testStatusLinesAndHeadlines() throws {
        let e = try log().entries
        XCTAssertEqual(ExceptionFormat.statusLine(e[0]), "active: grant recs has $6.00 more through 2026-12-31, then it lapses by itself")
        XCTAssertTrue(ExceptionFormat.statusLine(e[1]).hasPrefix("pending: an approver decides (tollgate exception approve exc-0002)"))
        XCTAssertEqual(ExceptionFormat.statusLine(e[2]), "denied: use the burst pool")
        // A request undecided when its window ends expires then, not later.
        var late = e[1]
        late.ends = "2026-12-05T00:00:00Z"
        XCTAssertEqual(ExceptionFormat.statusLine(late),
                       "pending: an approver decides (tollgate exception approve exc-0002) before 2026-12-05T00:00:00Z, when an undecided request expires")
        late.status = "expired"
        XCTAssertEqual(ExceptionFormat.statusLine(late), "expired: nobody decided before 2026-12-05T00:00:00Z; file a new request if it is still needed")
        XCTAssertEqual(ExceptionFormat.statusLine(e[4]), "lapsed: the window ended; grant search is back to its baseline")
        XCTAssertEqual(ExceptionFormat.headline(e[1], action: "request"), "Exception exc-0002 filed.")
        XCTAssertEqual(ExceptionFormat.headline(e[0], action: "approved"), "Exception exc-0001 approved by credential:chair.")
        XCTAssertEqual(ExceptionFormat.headline(e[3], action: "draw"), "Burst draw burst-0004 granted.")
        var filed = e[3]
        filed.decision = "pending"
        XCTAssertEqual(ExceptionFormat.headline(filed, action: "draw"), "Burst draw burst-0004 filed for approval.")
        filed.note = "Above the team's borrowing limit or the pool's room: filed as burst-0004 for an approver."
        XCTAssertEqual(ExceptionFormat.headline(filed, action: "draw"),
                       "Burst draw burst-0004: Above the team's borrowing limit or the pool's room: filed as burst-0004 for an approver.")
        let granted = ExceptionFormat.detail(e[3])
        XCTAssertTrue(granted.hasPrefix("burst draw   burst-0004\n"), granted)
        XCTAssertTrue(granted.contains("\npool         demo\n"), granted)
        XCTAssertTrue(granted.contains("\ndecided      granted at once, within the borrowing limit and the pool's room\n"), granted)
        let denied = ExceptionFormat.detail(e[2])
        XCTAssertTrue(denied.contains("\ndecided        denied by credential:chair at 2026-12-02T12:00:00Z\n"), denied)
        XCTAssertTrue(denied.contains("\ndenial reason  use the burst pool\n"), denied)
        XCTAssertTrue(denied.contains("\nwindow         2026-12-02 to 2026-12-10 18:00Z\n"), denied)
    }

    func testBurstPools() throws {
        let doc = try JSONValue.parse("""
            {"pools": [{"org": "acme", "amount_nanos": 10000000000, "amount": "$10.00", "lent_nanos": 3000000000, "lent": "$3.00",
                        "room_nanos": 7000000000, "room": "$7.00",
                        "teams": [{"team": "payments", "borrow_limit_nanos": 4000000000, "borrow_limit": "$4.00",
                                   "lent_nanos": 3000000000, "lent": "$3.00"},
                                  {"team": "search", "borrow_limit_nanos": 6000000000, "borrow_limit": "$6.00",
                                   "lent_nanos": 0, "lent": "$0.00"}]},
                       {"org": "globex", "amount": "$1.00", "teams": []}]}
            """)
        XCTAssertEqual(BurstFormat.pools(doc), """
            Burst pool of acme: $10.00, lent now $3.00, room $7.00

            team      borrow limit  lent now   room
            --------  ------------  --------  -----
            payments         $4.00     $3.00  $1.00
            search           $6.00     $0.00  $6.00

            Burst pool of globex: $1.00, lent now -, room -
              No team may draw at once (no borrow_limits): every draw goes to an approver.

            """)
        XCTAssertEqual(BurstFormat.pools(try JSONValue.parse(#"{"pools": []}"#)), "No burst pools (burst_pools in the gateway's config).\n")
    }

    func testChainReport() throws {
        let intact = try ChainReport(json: try JSONValue.parse(#"{"events": 7, "intact": true, "first_broken": null, "problem": null}"#))
        XCTAssertEqual(intact.text, "intact: 7 events\n")
        XCTAssertEqual(intact.exitCode, 0)
        XCTAssertEqual(ChainReport(events: 1, firstBroken: nil, problem: nil).text, "intact: 1 event\n")
        let broken = try ChainReport(json: try JSONValue.parse(
            #"{"events": 7, "intact": false, "first_broken": 3, "problem": "event 3 (exception_requested exc-0001) was changed after it was written"}"#))
        XCTAssertEqual(broken.text, "BROKEN at event 3: event 3 (exception_requested exc-0001) was changed after it was written\n")
        XCTAssertEqual(broken.exitCode, 1)
        XCTAssertThrowsError(try ChainReport(json: try JSONValue.parse(#"{"error": "x"}"#)))
    }
}
