import Foundation
import NIOHTTP1
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

/// The provider key is read from the environment per call and must be
/// sendable as a header as it is.
final class UpstreamCredentialsTests: XCTestCase {
    private let variable = "TOLLGATE_TEST_KEY_\(UUID().uuidString.replacingOccurrences(of: "-", with: "_"))"

    override func tearDown() { unsetenv(variable) }

    private func target(_ provider: ProviderKind = .openai) throws -> UpstreamTarget {
        let entry = ModelEntry(name: "gpt", provider: provider, baseURL: "https://api.example.com/v1", apiKeyEnv: variable,
                               price: Price(inputPerMTokNanos: 1, outputPerMTokNanos: 1))
        let request = try CanonicalRequest(dialect: .openai, body: Array(#"{"model":"gpt","messages":[]}"#.utf8))
        return try UpstreamTarget.make(entry: entry, deployment: entry.deployments[0], dialect: .openai, request: request,
                                       clientHeaders: HTTPHeaders(), timeouts: UpstreamTimeouts())
    }

    func testTheKeyIsSentWithoutSurroundingWhitespace() throws {
        setenv(variable, "  sk-live-123\r\n", 1)
        let headers = try target().request.headers
        XCTAssertEqual(headers.first { $0.0 == "authorization" }?.1, "Bearer sk-live-123")
    }

    func testAKeyWithAControlCharacterIsRefusedNotSent() {
        setenv(variable, "sk-live\r\nx-injected: 1", 1)
        XCTAssertThrowsError(try target()) { error in
            XCTAssertEqual((error as? GatewayError)?.code, "upstream_credentials_invalid")
            XCTAssertTrue((error as? GatewayError)?.message.contains(variable) ?? false)
        }
    }

    func testAMissingKeyNamesTheVariable() {
        XCTAssertThrowsError(try target(.anthropic)) { error in
            XCTAssertEqual((error as? GatewayError)?.code, "upstream_credentials_missing")
            XCTAssertTrue((error as? GatewayError)?.message.contains(variable) ?? false)
        }
    }

    func testMockDirectiveHeadersGoOnlyToAMockOnThisMachine() throws {
        let request = try CanonicalRequest(dialect: .openai, body: Array(#"{"model":"gpt","messages":[]}"#.utf8))
        let client = HTTPHeaders([("X-Mock-Fail", "500"), ("x-other", "1")])
        func sent(_ provider: ProviderKind, _ baseURL: String) throws -> [String] {
            let entry = ModelEntry(name: "gpt", provider: provider, baseURL: baseURL, price: Price(inputPerMTokNanos: 1, outputPerMTokNanos: 1))
            return try UpstreamTarget.make(entry: entry, deployment: entry.deployments[0], dialect: .openai, request: request,
                                           clientHeaders: client, timeouts: UpstreamTimeouts()).request.headers
                .filter { $0.0.hasPrefix("x-") }.map { "\($0.0)=\($0.1)" }
        }
        XCTAssertEqual(try sent(.mock, ""), ["x-mock-fail=500"])
        XCTAssertEqual(try sent(.openai, "http://127.0.0.1:9000/v1"), ["x-mock-fail=500"])
        XCTAssertEqual(try sent(.openai, "http://localhost/v1"), ["x-mock-fail=500"])
        XCTAssertEqual(try sent(.openai, "http://[::1]:80/v1"), ["x-mock-fail=500"])
        XCTAssertEqual(try sent(.openai, "https://api.example.com/v1"), [])
        XCTAssertEqual(try sent(.openai, "https://127.0.0.1.example.com/v1"), [], "a name that starts like a loopback address is not one")
    }

    func testAnInjectedEnvironmentIsTrimmedToo() {
        let deployment = Deployment(name: "d", baseURL: nil, upstreamModel: "m", apiKeyEnv: "K")
        XCTAssertEqual(deployment.apiKey(environment: ["K": "sk-x\n"]), "sk-x")
        XCTAssertNil(deployment.apiKey(environment: ["K": " \n"]))
        XCTAssertNil(deployment.apiKey(environment: [:]))
    }
}
