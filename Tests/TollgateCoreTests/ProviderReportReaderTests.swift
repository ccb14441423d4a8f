import NIOConcurrencyHelpers
import TollgateJSON
import XCTest
@testable import TollgateReports
import TollgateUnits

/// The readers of OpenAI's and Anthropic's cost and usage report JSON, the
/// page-by-page fetch, and exact amounts.
final class ProviderReportReaderTests: XCTestCase {
    let nov3: Int64 = 1_793_491_200 + 2 * 86_400

    func testAmountsAreExactDecimals() {
        let d = ProviderAmount.dollars, c = ProviderAmount.cents
        XCTAssertEqual(ProviderAmount.nanos("0.06", unitDigits: d), 60_000_000)
        XCTAssertEqual(ProviderAmount.nanos("0.060000000000000005", unitDigits: d), 60_000_000, "float noise below a nano-dollar")
        XCTAssertEqual(ProviderAmount.nanos("6e-05", unitDigits: d), 60_000)
        XCTAssertEqual(ProviderAmount.nanos("1.5E2", unitDigits: d), 150_000_000_000)
        XCTAssertEqual(ProviderAmount.nanos("0.0000000005", unitDigits: d), 1, "half a nano-dollar rounds away from zero")
        XCTAssertEqual(ProviderAmount.nanos("0.00000000049", unitDigits: d), 0)
        XCTAssertEqual(ProviderAmount.nanos("-0.0000000005", unitDigits: d), -1)
        XCTAssertEqual(ProviderAmount.nanos("123.45", unitDigits: c), 1_234_500_000, "123.45 cents is $1.2345")
        XCTAssertEqual(ProviderAmount.nanos("0.00264", unitDigits: c), 26_400)
        XCTAssertEqual(ProviderAmount.nanos("12", unitDigits: d), 12_000_000_000)
        XCTAssertEqual(ProviderAmount.nanos("9223372036.854775807", unitDigits: d), Int64.max)
        for bad in ["", "-", ".", "1.2.3", "abc", "1,5", "1e", "1e+", "$1", "1 "] {
            XCTAssertNil(ProviderAmount.nanos(bad, unitDigits: d), bad)
        }
        XCTAssertNil(ProviderAmount.nanos("9223372037", unitDigits: d), "does not fit")
    }

    func testOpenAILineItemsNameTheModel() {
        XCTAssertEqual(OpenAIReportReader.model(ofLineItem: "gpt-4o-2024-08-06, input"), "gpt-4o-2024-08-06")
        XCTAssertEqual(OpenAIReportReader.model(ofLineItem: "gpt-4o-mini-2024-07-18, cached input"), "gpt-4o-mini-2024-07-18")
        XCTAssertEqual(OpenAIReportReader.model(ofLineItem: "priority | gpt-5, output, long context"), "gpt-5")
        XCTAssertEqual(OpenAIReportReader.model(ofLineItem: "gpt-image-1 image, output"), "gpt-image-1")
        XCTAssertEqual(OpenAIReportReader.model(ofLineItem: "web search tool calls"), "web search tool calls")
        XCTAssertEqual(OpenAIReportReader.model(ofLineItem: nil), "(no line item)")
    }

    func testOpenAICostsAndUsagePages() throws {
        let costs = try JSONValue.parse(Array("""
            {"object":"page","data":[
              {"object":"bucket","start_time":\(nov3),"end_time":\(nov3 + 86_400),"results":[
                {"object":"organization.costs.result","amount":{"value":0.0012,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, input","project_id":null},
                {"object":"organization.costs.result","amount":{"value":0.0048,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, output","project_id":null},
                {"object":"organization.costs.result","amount":{"value":"0.5","currency":"usd"},"line_item":"web search tool calls","project_id":null}]},
              {"object":"bucket","start_time":\(nov3 + 86_400),"end_time":\(nov3 + 172_800),"results":[]}],
             "has_more":true,"next_page":"page_abc"}
            """.utf8))
        var report = try ProviderReport(provider: .openai, source: "test")
        XCTAssertEqual(try OpenAIReportReader.addCosts(costs, to: &report, where: "costs"), "page_abc")
        let usage = try JSONValue.parse(Array("""
            {"object":"page","data":[{"object":"bucket","start_time":\(nov3),"end_time":\(nov3 + 86_400),"results":[
              {"object":"organization.usage.completions.result","input_tokens":1000,"output_tokens":150,"input_cached_tokens":400,
               "num_model_requests":3,"model":"gpt-4o-2024-08-06"}]}],"has_more":false,"next_page":null}
            """.utf8))
        XCTAssertNil(try OpenAIReportReader.addUsage(usage, to: &report, where: "usage"))
        let day = nov3 / 86_400
        XCTAssertEqual(report.sortedCells, [
            ProviderReport.Cell(day: day, model: "gpt-4o-2024-08-06", costNanos: 6_000_000,
                                tokens: ProviderReport.Tokens(input: 600, cached: 400, output: 150)),
            ProviderReport.Cell(day: day, model: "web search tool calls", costNanos: 500_000_000),
        ])

        let euros = try JSONValue.parse(Array(#"{"data":[{"start_time":0,"results":[{"amount":{"value":1,"currency":"eur"}}]}]}"#.utf8))
        XCTAssertThrowsError(try OpenAIReportReader.addCosts(euros, to: &report, where: "costs")) {
            XCTAssertTrue("\($0)".contains("eur"), "\($0)")
        }
        let truncated = try JSONValue.parse(Array(#"{"data":[],"has_more":true}"#.utf8))
        XCTAssertThrowsError(try OpenAIReportReader.addCosts(truncated, to: &report, where: "costs"))
    }

    func testAnthropicCostAndUsagePages() throws {
        let cost = try JSONValue.parse(Array("""
            {"data":[{"starting_at":"2026-11-03T00:00:00Z","ending_at":"2026-11-04T00:00:00Z","results":[
              {"currency":"USD","amount":"123.45","workspace_id":null,"description":"Claude Sonnet 4.5 Usage - Input Tokens",
               "cost_type":"tokens","context_window":"0-200k","model":"claude-sonnet-4-5-20250929","service_tier":"standard",
               "token_type":"uncached_input_tokens"},
              {"currency":"USD","amount":"0.0000001","model":"claude-sonnet-4-5-20250929","token_type":"output_tokens"},
              {"currency":"USD","amount":"10","model":null,"description":"Web Search","cost_type":"web_search"}]}],
             "has_more":false,"next_page":null}
            """.utf8))
        var report = try ProviderReport(provider: .anthropic, source: "test")
        XCTAssertNil(try AnthropicReportReader.addCosts(cost, to: &report, where: "cost_report"))
        let usage = try JSONValue.parse(Array("""
            {"data":[{"starting_at":"2026-11-03T00:00:00Z","ending_at":"2026-11-04T00:00:00Z","results":[
              {"uncached_input_tokens":500,"cache_creation":{"ephemeral_1h_input_tokens":5,"ephemeral_5m_input_tokens":7},
               "cache_read_input_tokens":100,"output_tokens":90,"model":"claude-sonnet-4-5-20250929"}]}],
             "has_more":true,"next_page":"next-token"}
            """.utf8))
        XCTAssertEqual(try AnthropicReportReader.addUsage(usage, to: &report, where: "usage"), "next-token")
        let day = nov3 / 86_400
        XCTAssertEqual(report.sortedCells, [
            ProviderReport.Cell(day: day, model: "Web Search", costNanos: 100_000_000),
            ProviderReport.Cell(day: day, model: "claude-sonnet-4-5-20250929", costNanos: 1_234_500_001,
                                tokens: ProviderReport.Tokens(input: 512, cached: 100, output: 90)),
        ])
        let bad = try JSONValue.parse(Array(#"{"data":[{"starting_at":"2026-11-03T00:00:00Z","results":[{"amount":"12,5"}]}]}"#.utf8))
        XCTAssertThrowsError(try AnthropicReportReader.addCosts(bad, to: &report, where: "cost_report")) {
            XCTAssertTrue("\($0)".contains("cost_report: data[0].results[0]"), "\($0)")
        }
    }

    /// The fetch follows next_page to the end, sends the admin key the
    /// provider's way, and stops on an HTTP error with the provider's message.
    func testFetchFollowsPagesAndReportsRefusals() throws {
        let seen = NIOLockedValueBox<[(String, [(String, String)])]>([])
        let day = nov3
        let get: ProviderReportFetch.Get = { url, headers in
            seen.withLockedValue { $0.append((url, headers)) }
            let more = !url.contains("page=")
            let body: String
            if url.contains("/costs") {
                let value = more ? "1.25" : "0.75"
                body = #"{"object":"page","data":[{"start_time":\#(day),"results":[{"amount":{"value":\#(value),"currency":"usd"},"line_item":"gpt-4o, input"}]}],"has_more":\#(more),"next_page":\#(more ? "\"p2\"" : "null")}"#
            } else {
                body = #"{"object":"page","data":[],"has_more":false,"next_page":null}"#
            }
            return (200, Array(body.utf8))
        }
        let fetch = ProviderReportFetch(provider: .openai, baseURL: "http://mock.test/v1/", adminKey: "sk-admin-x", get: get)
        let report = try fetch.fetch(fromSeconds: nov3, toSeconds: nov3 + 86_400)
        XCTAssertEqual(report.cells.map(\.costNanos), [2_000_000_000], "both pages summed")
        let urls = seen.withLockedValue { $0.map(\.0) }
        XCTAssertEqual(urls.count, 3)
        XCTAssertEqual(urls[0], "http://mock.test/v1/organization/costs?start_time=\(nov3)&end_time=\(nov3 + 86_400)"
            + "&bucket_width=1d&group_by=line_item&limit=31")
        XCTAssertTrue(urls[1].hasSuffix("&page=p2"), urls[1])
        XCTAssertTrue(urls[2].contains("/v1/organization/usage/completions?"), urls[2])
        XCTAssertEqual(seen.withLockedValue { $0[0].1.first { $0.0 == "Authorization" }?.1 }, "Bearer sk-admin-x")

        let anthropic = ProviderReportFetch(provider: .anthropic, adminKey: "sk-ant-admin-y") { url, headers in
            seen.withLockedValue { $0.append((url, headers)) }
            return (401, Array(#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#.utf8))
        }
        XCTAssertThrowsError(try anthropic.fetch(fromSeconds: nov3, toSeconds: nov3 + 86_400)) { error in
            XCTAssertEqual(error as? ProviderFetchError, .refused(url: "https://api.anthropic.com/v1/organizations/cost_report",
                                                                  status: 401, excerpt: "invalid x-api-key"))
            XCTAssertTrue("\(error)".contains("HTTP 401"), "\(error)")
        }
        let last = try XCTUnwrap(seen.withLockedValue { $0.last })
        XCTAssertTrue(last.0.contains("starting_at=2026-11-03T00%3A00%3A00Z&ending_at=2026-11-04T00%3A00%3A00Z"), last.0)
        XCTAssertTrue(last.0.contains("group_by%5B%5D=description"), last.0)
        XCTAssertTrue(last.1.contains { $0 == ("x-api-key", "sk-ant-admin-y") })
        XCTAssertTrue(last.1.contains { $0 == ("anthropic-version", "2023-06-01") })

        let looping = ProviderReportFetch(provider: .openai, adminKey: "k") { _, _ in
            (200, Array(#"{"data":[],"has_more":true,"next_page":"same"}"#.utf8))
        }
        XCTAssertThrowsError(try looping.fetch(fromSeconds: 0, toSeconds: 86_400)) {
            XCTAssertTrue("\($0)".contains("came back twice"), "\($0)")
        }
    }
}
