import XCTest
@testable import TollgateReports
import TollgateUnits

/// `tollgate reconcile --file`: the Tollgate form and the providers' cost
/// exports, exact amounts, and errors that name the line and column.
final class ProviderReportCSVTests: XCTestCase {
    let nov3: Int64 = (1_793_491_200 + 2 * 86_400) / 86_400  // 2026-11-03, in days

    func testTollgateForm() throws {
        let text = """
            date,model,cost_usd,input_tokens,output_tokens
            2026-11-03,small,0.0000264,3,16\r
            2026-11-03,small,$0.0000001,1,0
            "2026-11-04","large, the big one",12.5,,
            \n
            """
        let report = try ProviderReportCSV.read(text, name: "nov.csv", provider: .openai)
        XCTAssertEqual(report.source, "file nov.csv")
        XCTAssertEqual(report.sortedCells, [
            ProviderReport.Cell(day: nov3, model: "small", costNanos: 26_500, tokens: ProviderReport.Tokens(input: 4, output: 16)),
            ProviderReport.Cell(day: nov3 + 1, model: "large, the big one", costNanos: 12_500_000_000,
                                tokens: ProviderReport.Tokens()),
        ])
    }

    func testOpenAICostExport() throws {
        let text = """
            start_time,end_time,amount_value,amount_currency,line_item,project_id,organization_id,project_name,organization_name
            1793664000,1793750400,0.0012,usd,"gpt-4o-2024-08-06, input",proj_1,org_1,Default,Acme
            1793664000,1793750400,0.0048,usd,"gpt-4o-2024-08-06, output",proj_1,org_1,Default,Acme
            1793750400,1793836800,0.25,usd,web search tool calls,proj_1,org_1,Default,Acme
            """
        let report = try ProviderReportCSV.read(text, name: "openai.csv", provider: .openai)
        XCTAssertEqual(report.sortedCells, [
            ProviderReport.Cell(day: nov3, model: "gpt-4o-2024-08-06", costNanos: 6_000_000),
            ProviderReport.Cell(day: nov3 + 1, model: "web search tool calls", costNanos: 250_000_000),
        ])
    }

    func testAnthropicExports() throws {
        let dollars = """
            usage_date_utc,model,workspace,api_key,usage_type,token_type,cost_usd
            2026-11-03,claude-sonnet-4-5-20250929,Default,key-1,message,input_no_cache,1.5
            2026-11-03,claude-sonnet-4-5-20250929,Default,key-1,message,output,0.25
            """
        XCTAssertEqual(try ProviderReportCSV.read(dollars, name: "a.csv", provider: .anthropic).cells.map(\.costNanos),
                       [1_750_000_000])
        let cents = """
            starting_at,ending_at,model,description,token_type,currency,amount
            2026-11-03T00:00:00Z,2026-11-04T00:00:00Z,claude-haiku-4-5,Haiku input,uncached_input_tokens,USD,123.45
            2026-11-03T00:00:00Z,2026-11-04T00:00:00Z,,Web Search,,USD,10
            """
        let report = try ProviderReportCSV.read(cents, name: "b.csv", provider: .anthropic)
        XCTAssertEqual(report.sortedCells.map(\.model), ["Web Search", "claude-haiku-4-5"])
        XCTAssertEqual(report.sortedCells.map(\.costNanos), [100_000_000, 1_234_500_000], "cents, exactly")
    }

    func testMalformedFilesNameLineAndColumn() {
        func error(_ text: String) -> String {
            do {
                _ = try ProviderReportCSV.read(text, name: "x.csv", provider: .openai)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(error("date,model,cost_usd\n2026-11-03,small,0.1\n2026-11-03,small,0.1.2\n"),
                       "x.csv:3:3: cost_usd '0.1.2' is not an exact decimal amount (dollars)")
        XCTAssertEqual(error("date,model,cost_usd\n2026-13-03,small,0.1\n"),
                       "x.csv:2:1: date '2026-13-03' is not a day (YYYY-MM-DD, RFC 3339 or Unix seconds)")
        XCTAssertEqual(error("date,model,cost_usd\n2026-11-03,small\n"), "x.csv:2: 2 field(s) where the header has 3")
        XCTAssertEqual(error("date,model,cost_usd\n2026-11-03,,1\n"), "x.csv:2:2: model is empty")
        XCTAssertEqual(error("date,model,cost_usd,output_tokens\n2026-11-03,m,1,-4\n"),
                       "x.csv:2:4: output_tokens '-4' is not a token count")
        XCTAssertEqual(error("date,model,cost_usd\n2026-11-03,\"small,1\n2026-11-04,m,2\n"),
                       "x.csv:2:2: a quoted field is never closed")
        XCTAssertEqual(error("date,model,cost_usd\n2026-11-03,sm\"all,1\n"),
                       "x.csv:2:2: a quote inside an unquoted field (quote the whole field and double the quote)")
        XCTAssertEqual(error("start_time,amount_value,amount_currency,line_item\n1793664000,1,eur,\"gpt-4o, input\"\n"),
                       "x.csv:2:3: amount_currency 'eur': reconcile compares US dollars")
        XCTAssertTrue(error("day,model,price\n").hasPrefix("x.csv:1: no cost column"), error("day,model,price\n"))
        XCTAssertEqual(error(""), "x.csv: the file is empty (expected a header row)")
    }

    func testRecordsKeepTheirLines() throws {
        let records = try CSVRecords.parse("\u{FEFF}a,b\n\"multi\nline\",2\n\nlast,\"q\"\"uote\"")
        XCTAssertEqual(records, [
            CSVRecords.Record(line: 1, fields: ["a", "b"]),
            CSVRecords.Record(line: 2, fields: ["multi\nline", "2"]),
            CSVRecords.Record(line: 5, fields: ["last", "q\"uote"]),
        ])
    }
}
