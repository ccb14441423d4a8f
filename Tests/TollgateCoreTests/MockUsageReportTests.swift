import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TollgateJSON
import XCTest
@testable import TollgateConfig
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
import TollgateUnits

/// The mock provider's usage and cost report endpoints: admin key required,
/// each provider's JSON shape and pagination, and amounts that are exactly
/// the gateway's cost formula per call (plus a planted markup).
final class MockUsageReportTests: XCTestCase {
    static let nov3: Int64 = 1_793_491_200 + 2 * 86_400  // 2026-11-03T00:00:00Z

    /// A clock the test moves; @unchecked Sendable: its one value is read and written under the lock.
    final class Clock: @unchecked Sendable {
        private let lock = NIOLock()
        private var value: Int64
        init(_ seconds: Int64) { value = seconds }
        var seconds: Int64 {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
    }

    let small = Price(inputPerMTokNanos: 400_000_000, outputPerMTokNanos: 1_600_000_000, cachedPerMTokNanos: 100_000_000)
    let large = Price(inputPerMTokNanos: 8_000_000_000, outputPerMTokNanos: 32_000_000_000)
    var server: MockProviderServer!
    var port = 0
    var group: MultiThreadedEventLoopGroup!
    var transport: HTTP1Transport!
    let clock = Clock(MockUsageReportTests.nov3 + 36_000)

    override func setUpWithError() throws {
        let prices = ["mock-small-v1": small, "mock-large-v1": large]
        let clock = clock
        server = MockProviderServer(port: 0, threads: 1,
                                    invoice: MockInvoice(prices: { prices }, markupBasisPoints: ["mock-large-v1": 1000],
                                                         adminKey: "admin-test"),
                                    now: { clock.seconds })
        port = try server.start()
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        transport = HTTP1Transport(group: group)
    }

    override func tearDownWithError() throws {
        transport.shutdown()
        server.shutdown()
        try group.syncShutdownGracefully()
    }

    private func call(_ method: String, _ path: String, _ body: String = "", headers: [(String, String)] = []) -> RecordingUpstreamDelegate {
        transport.runToFinish(UpstreamRequest(url: "http://127.0.0.1:\(port)\(path)", method: method, headers: headers,
                                              body: Array(body.utf8)),
                              on: group.next())
    }

    private func chat(_ model: String, _ prompt: String, tokens: Int = 16, cached: Int = 0, anthropic: Bool = false) {
        let body = #"{"model":"\#(model)","max_tokens":1000,"messages":[{"role":"user","content":"\#(prompt) [[mock tokens=\#(tokens) cached=\#(cached)]]"}]}"#
        XCTAssertEqual(call("POST", anthropic ? "/v1/messages" : "/v1/chat/completions", body).status, 200)
    }

    private var openAIAdmin: [(String, String)] { [("authorization", "Bearer admin-test")] }
    private var anthropicAdmin: [(String, String)] { [("x-api-key", "admin-test"), ("anthropic-version", "2023-06-01")] }

    func testReportsNeedTheAdminKey() throws {
        let costs = "/v1/organization/costs?start_time=\(Self.nov3)"
        XCTAssertEqual(call("GET", costs).status, 401)
        XCTAssertEqual(call("GET", costs, headers: [("authorization", "Bearer wrong")]).status, 401)
        let refused = try JSONValue.parse(call("GET", costs, headers: [("authorization", "Bearer wrong")]).body)
        XCTAssertEqual(refused["error"]?["code"]?.stringValue, "invalid_api_key")
        XCTAssertEqual(call("GET", costs, headers: openAIAdmin).status, 200)

        let report = "/v1/organizations/cost_report?starting_at=2026-11-03T00:00:00Z"
        XCTAssertEqual(call("GET", report).status, 401)
        XCTAssertEqual(call("GET", report, headers: [("x-api-key", "nope"), ("anthropic-version", "2023-06-01")]).status, 401)
        let anthropic401 = try JSONValue.parse(call("GET", report).body)
        XCTAssertEqual(anthropic401["error"]?["type"]?.stringValue, "authentication_error")
        XCTAssertEqual(call("GET", report, headers: [("x-api-key", "admin-test")]).status, 400, "anthropic-version is required")
        XCTAssertEqual(call("GET", report, headers: anthropicAdmin).status, 200)
        XCTAssertEqual(call("GET", "/v1/organization/nothing", headers: openAIAdmin).status, 404)
    }

    func testOpenAICostsAreTheGatewaysCostFormulaPerCallByLineItem() throws {
        chat("mock-small-v1", "hello there", tokens: 16, cached: 2)   // 20 bytes of prompt with the directive
        chat("mock-small-v1", "hello there", tokens: 16, cached: 2)
        chat("mock-large-v1", "x", tokens: 3)
        chat("mock-claude-v1", "not openai", anthropic: true)
        _ = call("POST", "/v1/chat/completions", #"{"model":"mock-small-v1+fail=500","messages":[{"role":"user","content":"x"}]}"#)

        let body = call("GET", "/v1/organization/costs?start_time=\(Self.nov3)&end_time=\(Self.nov3 + 86_400)&group_by=line_item",
                        headers: openAIAdmin).body
        let page = try JSONValue.parse(body)
        XCTAssertEqual(page["object"]?.stringValue, "page")
        XCTAssertEqual(page["has_more"]?.boolValue, false)
        let bucket = try XCTUnwrap(page["data"]?[0])
        XCTAssertEqual(bucket["start_time"]?.int64Value, Self.nov3)
        XCTAssertEqual(bucket["end_time"]?.int64Value, Self.nov3 + 86_400)
        let results = try XCTUnwrap(bucket["results"]?.arrayValue)
        let items = results.compactMap { $0["line_item"]?.stringValue }
        XCTAssertEqual(items, ["mock-large-v1, input", "mock-large-v1, output", "mock-small-v1, input",
                               "mock-small-v1, cached input", "mock-small-v1, output"], "only OpenAI calls answered in full")
        XCTAssertEqual(results[0]["amount"]?["currency"]?.stringValue, "usd")

        var report = try ProviderReport(provider: .openai, source: "test")
        _ = try OpenAIReportReader.addCosts(page, to: &report, where: "page")
        let byModel = Dictionary(uniqueKeysWithValues: report.cells.map { ($0.model, $0.costNanos) })
        // The mock's prompt is the text with its directive; tokens = ceil(bytes / 4).
        let smallInput = Int64(("hello there [[mock tokens=16 cached=2]]".utf8.count + 3) / 4)
        let perSmall = try XCTUnwrap(Cost.nanos(price: small, tokensIn: smallInput - 2, tokensOut: 16, tokensCached: 2))
        XCTAssertEqual(byModel["mock-small-v1"], 2 * perSmall, "the ledger's formula, rounded per call")
        let largeInput = Int64(("x [[mock tokens=3 cached=0]]".utf8.count + 3) / 4)
        let perLarge = try XCTUnwrap(Cost.nanos(price: large, tokensIn: largeInput, tokensOut: 3, tokensCached: 0))
        let markup = (perLarge * 1000 + 5_000) / 10_000
        XCTAssertEqual(byModel["mock-large-v1"], perLarge + markup, "the planted 10% markup")

        let plain = try JSONValue.parse(call("GET", "/v1/organization/costs?start_time=\(Self.nov3)", headers: openAIAdmin).body)
        XCTAssertTrue(plain["data"]?[0]?["results"]?[0]?["line_item"]?.isNull ?? false, "ungrouped: one total per day")
    }

    func testPaginationAndUsage() throws {
        chat("mock-small-v1", "day one")
        clock.seconds += 2 * 86_400
        chat("mock-small-v1", "day three", cached: 1)
        let start = Self.nov3
        var pages: [JSONValue] = []
        var next: String? = nil
        repeat {
            let url = "/v1/organization/usage/completions?start_time=\(start)&end_time=\(start + 4 * 86_400)&group_by[]=model&limit=3"
                + (next.map { "&page=" + $0 } ?? "")
            let page = try JSONValue.parse(call("GET", url, headers: openAIAdmin).body)
            pages.append(page)
            next = page["next_page"]?.stringValue
        } while next != nil && pages.count < 5
        XCTAssertEqual(pages.count, 2)
        XCTAssertEqual(pages[0]["data"]?.arrayValue?.count, 3)
        XCTAssertEqual(pages[0]["has_more"]?.boolValue, true)
        XCTAssertEqual(pages[1]["data"]?.arrayValue?.count, 1)
        let third = try XCTUnwrap(pages[0]["data"]?[2]?["results"]?[0])
        XCTAssertEqual(third["model"]?.stringValue, "mock-small-v1")
        XCTAssertEqual(third["input_cached_tokens"]?.int64Value, 1)
        XCTAssertEqual(third["num_model_requests"]?.int64Value, 1)
        XCTAssertEqual(third["output_tokens"]?.int64Value, 16)
        XCTAssertEqual(pages[0]["data"]?[1]?["results"]?.arrayValue?.count, 0, "a day without calls is an empty bucket")
        XCTAssertEqual(call("GET", "/v1/organization/costs?start_time=\(start)&bucket_width=1h", headers: openAIAdmin).status, 400)
        XCTAssertEqual(call("GET", "/v1/organization/costs?start_time=\(start)&page=bogus", headers: openAIAdmin).status, 400)
    }

    func testAnthropicShapesInCents() throws {
        chat("mock-claude-v1", "hi claude", tokens: 10, cached: 1, anthropic: true)
        let cost = try JSONValue.parse(call("GET", "/v1/organizations/cost_report?starting_at=2026-11-03T00%3A00%3A00Z"
            + "&ending_at=2026-11-04T00:00:00Z&group_by[]=description", headers: anthropicAdmin).body)
        XCTAssertEqual(cost["has_more"]?.boolValue, false)
        let bucket = try XCTUnwrap(cost["data"]?[0])
        XCTAssertEqual(bucket["starting_at"]?.stringValue, "2026-11-03T00:00:00Z")
        XCTAssertEqual(bucket["ending_at"]?.stringValue, "2026-11-04T00:00:00Z")
        let results = try XCTUnwrap(bucket["results"]?.arrayValue)
        XCTAssertEqual(results.map { $0["token_type"]?.stringValue ?? "" },
                       ["uncached_input_tokens", "cache_read_input_tokens", "output_tokens"])
        XCTAssertEqual(results[0]["currency"]?.stringValue, "USD")
        XCTAssertEqual(results[0]["model"]?.stringValue, "mock-claude-v1")
        guard case .string? = results[0]["amount"] else { return XCTFail("amount is a decimal string") }

        var report = try ProviderReport(provider: .anthropic, source: "test")
        _ = try AnthropicReportReader.addCosts(cost, to: &report, where: "page")
        let input = Int64(("hi claude [[mock tokens=10 cached=1]]".utf8.count + 3) / 4)
        // Not in the price list: the mock's documented default price.
        let expected = try XCTUnwrap(Cost.nanos(price: MockInvoice.defaultPrice, tokensIn: input - 1, tokensOut: 10, tokensCached: 1))
        XCTAssertEqual(report.cells.map(\.costNanos), [expected])

        let usage = try JSONValue.parse(call("GET", "/v1/organizations/usage_report/messages?starting_at=2026-11-03T00:00:00Z"
            + "&ending_at=2026-11-04T00:00:00Z&group_by[]=model", headers: anthropicAdmin).body)
        let row = try XCTUnwrap(usage["data"]?[0]?["results"]?[0])
        XCTAssertEqual(row["uncached_input_tokens"]?.int64Value, input - 1)
        XCTAssertEqual(row["cache_read_input_tokens"]?.int64Value, 1)
        XCTAssertEqual(row["output_tokens"]?.int64Value, 10)
        XCTAssertEqual(row["cache_creation"]?["ephemeral_5m_input_tokens"]?.int64Value, 0)
    }

    func testFetchReadsTheMockEndToEnd() throws {
        chat("mock-small-v1", "fetch me")
        chat("mock-large-v1", "and me")
        let transport = transport!
        let loop = group.next()
        let fetch = ProviderReportFetch(provider: .openai, baseURL: "http://127.0.0.1:\(port)/v1", adminKey: "admin-test") { url, headers in
            let answer = transport.runToFinish(UpstreamRequest(url: url, method: "GET", headers: headers), on: loop)
            return (answer.status ?? 0, answer.body)
        }
        let report = try fetch.fetch(fromSeconds: Self.nov3, toSeconds: Self.nov3 + 86_400)
        XCTAssertEqual(report.sortedCells.map(\.model), ["mock-large-v1", "mock-small-v1"])
        XCTAssertEqual(report.sortedCells[1].tokens?.output, 16)
        XCTAssertEqual(report.sortedCells.map(\.day), [Self.nov3 / 86_400, Self.nov3 / 86_400])

        XCTAssertEqual(call("POST", "/_mock/reset").status, 200)
        let empty = try fetch.fetch(fromSeconds: Self.nov3, toSeconds: Self.nov3 + 86_400)
        XCTAssertTrue(empty.cells.isEmpty, "reset forgets what was billed")
    }

    func testMarkupRoundsAndSplitsExactly() throws {
        XCTAssertEqual(MockInvoice.markedUp(15, 1000), 17, "1.5 rounds half away from zero")
        XCTAssertEqual(MockInvoice.markedUp(14, 1000), 15)
        XCTAssertEqual(MockInvoice.markedUp(15, -1000), 13)
        XCTAssertEqual(MockInvoice.markedUp(15, 1000, roundDown: true), 16)
        XCTAssertEqual(MockInvoice.floorNanos(3, 400_000_000), 1_200)
        XCTAssertEqual(MockUsageReports.decimal(26_400, unitDigits: 9), "0.0000264")
        XCTAssertEqual(MockUsageReports.decimal(26_400, unitDigits: 7), "0.00264")
        XCTAssertEqual(MockUsageReports.decimal(1_234_500_000, unitDigits: 7), "123.45")
        var billing = MockBilling()
        billing.add(api: .openai, atSecond: Self.nov3, model: "m", usage: MockUsage(inputTokens: 7, cachedTokens: 3, outputTokens: 5), count: 3)
        let cell = try XCTUnwrap(billing.cells(api: .openai, fromDay: 0, toDay: Int64.max).first)
        let billed = try MockInvoice(markupBasisPoints: ["*": 333]).bill(cell, prices: ["m": small])
        XCTAssertEqual(billed.inputNanos + billed.cachedNanos + billed.outputNanos, billed.totalNanos)
        XCTAssertGreaterThanOrEqual(billed.outputNanos, 0)
        XCTAssertEqual(billed.requests, 3)
    }
}
