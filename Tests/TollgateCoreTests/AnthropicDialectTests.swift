import Foundation
import NIOHTTP1
import TollgateJSON
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

/// What is Anthropic's own in AnthropicDialect: the system field, the
/// upstream path with or without /v1, x-api-key and anthropic-version.
/// (Its error types: GatewayErrorDialectTests; its usage across
/// message_start and message_delta: ResponseEventTests.)
final class AnthropicDialectTests: XCTestCase {
    private let variable = "TOLLGATE_TEST_ANTHROPIC_KEY_\(UUID().uuidString.replacingOccurrences(of: "-", with: "_"))"

    override func tearDown() { unsetenv(variable) }

    func testASystemStringIsTheFirstSegmentAndAnEditLandsInIt() throws {
        let r = try CanonicalRequest(dialect: .anthropic, body: Array(#"{"model":"m","max_tokens":5,"system":"sys","messages":[{"role":"user","content":"q"}]}"#.utf8))
        XCTAssertEqual(r.segments.map(\.text), ["sys", "q"])
        r.setSegment(0, text: "new sys")
        XCTAssertEqual(r.root["system"], .string("new sys"))
        r.setMaxOutputTokens(9)
        XCTAssertEqual(r.root["max_tokens"], .int(9))
        XCTAssertNil(r.root["max_completion_tokens"])
        XCTAssertFalse(r.clientWantsStreamUsage)
    }

    func testTheStreamIsForwardedAsAsked() throws {
        let json = #"{"model":"m","stream":true,"max_tokens":5,"messages":[]}"#
        let r = try CanonicalRequest(dialect: .anthropic, body: Array(json.utf8))
        XCTAssertEqual(r.upstreamBody(upstreamModel: "m"), Array(json.utf8), "usage comes in message_start and message_delta unasked")
    }

    func testErrorsOnItsRouteAndBelowIt() {
        XCTAssertEqual(APIDialect(errorsOn: "/v1/messages?beta=true"), .anthropic)
        XCTAssertEqual(APIDialect(errorsOn: "/v1/messages/count_tokens"), .anthropic)
        XCTAssertEqual(APIDialect(route: "/v1/messages"), .anthropic)
        XCTAssertNil(APIDialect(route: "/v1/messages/count_tokens"))
    }

    private func headers(provider: ProviderKind, baseURL: String?, client: HTTPHeaders = HTTPHeaders()) throws -> UpstreamRequest {
        setenv(variable, "sk-ant", 1)
        let r = try CanonicalRequest(dialect: .anthropic, body: Array(#"{"model":"m","max_tokens":5,"messages":[]}"#.utf8))
        let entry = ModelEntry(name: "m", provider: provider, baseURL: baseURL, apiKeyEnv: variable,
                               price: Price(inputPerMTokNanos: 1, outputPerMTokNanos: 1))
        return try UpstreamTarget.make(entry: entry, deployment: entry.deployments[0], dialect: .anthropic, request: r,
                                       clientHeaders: client, timeouts: UpstreamTimeouts()).request
    }

    func testTheUpstreamPathTakesABareHostOrOneEndingInV1() throws {
        XCTAssertEqual(try headers(provider: .anthropic, baseURL: "https://api.anthropic.com").url, "https://api.anthropic.com/v1/messages")
        XCTAssertEqual(try headers(provider: .anthropic, baseURL: "https://gw.example/v1").url, "https://gw.example/v1/messages")
    }

    func testTheKeyGoesInXAPIKeyAndTheVersionIsAddedUnlessTheClientSentOne() throws {
        let sent = try headers(provider: .anthropic, baseURL: "https://api.anthropic.com").headers
        XCTAssertTrue(sent.contains { $0 == ("x-api-key", "sk-ant") })
        XCTAssertFalse(sent.contains { $0.0 == "authorization" })
        XCTAssertEqual(sent.filter { $0.0 == "anthropic-version" }.map(\.1), ["2023-06-01"])

        let pinned = try headers(provider: .anthropic, baseURL: "https://api.anthropic.com",
                                 client: HTTPHeaders([("anthropic-version", "2024-01-01"), ("anthropic-beta", "x")])).headers
        XCTAssertEqual(pinned.filter { $0.0 == "anthropic-version" }.map(\.1), ["2024-01-01"])
        XCTAssertEqual(pinned.filter { $0.0 == "anthropic-beta" }.map(\.1), ["x"])
    }

    func testTheMockOnThisRouteGetsABearerKeyAndNoVersion() throws {
        let sent = try headers(provider: .mock, baseURL: nil)
        XCTAssertEqual(sent.url, "http://in-process.mock/v1/messages")
        XCTAssertTrue(sent.headers.contains { $0 == ("authorization", "Bearer sk-ant") })
        XCTAssertFalse(sent.headers.contains { $0.0 == "anthropic-version" || $0.0 == "x-api-key" })
    }
}
