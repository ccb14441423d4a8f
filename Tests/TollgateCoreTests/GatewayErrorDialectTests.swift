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

/// Every status the gateway answers with, in both dialects: Anthropic's
/// documented error types on its route, the specific reason kept.
final class GatewayErrorDialectTests: XCTestCase {
    func anthropicError(_ error: GatewayError) throws -> [String: Any] {
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(error.body(for: .anthropic))) as? [String: Any])
        XCTAssertEqual(json["type"] as? String, "error")
        return try XCTUnwrap(json["error"] as? [String: Any])
    }

    func openAIError(_ error: GatewayError) throws -> [String: Any] {
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(error.body(for: .openai))) as? [String: Any])
        return try XCTUnwrap(json["error"] as? [String: Any])
    }

    func testEveryStatusMapsToAnAnthropicDocumentedType() {
        let expected: [Int: String] = [
            400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
            405: "invalid_request_error", 413: "request_too_large", 415: "invalid_request_error", 422: "invalid_request_error",
            429: "rate_limit_error", 500: "api_error", 502: "api_error", 503: "api_error", 504: "api_error",
            529: "overloaded_error",
        ]
        for (status, type) in expected {
            XCTAssertEqual(AnthropicDialect.errorType(status: status), type, "status \(status)")
        }
    }

    /// The errors the core and the first-party plugins produce, as they
    /// produce them.
    func testTheGatewaysOwnErrorsKeepTheirReasonOnTheAnthropicRoute() throws {
        let errors: [(GatewayError, String)] = [
            (GatewayError(status: 429, type: "budget_exceeded", code: "budget_exceeded",
                          message: "Budget exceeded: team acme/payments (daily) limit $0.01, spent $0.01"), "rate_limit_error"),
            (GatewayError(status: 429, type: "rate_limit_exceeded", code: "rate_limit_exceeded", message: "Rate limit"), "rate_limit_error"),
            (GatewayError(status: 413, type: "invalid_request_error", code: "request_too_large", message: "too big"), "request_too_large"),
            (GatewayError(status: 415, type: "invalid_request_error", code: "unsupported_media_type", message: "json"),
             "invalid_request_error"),
            (GatewayError(status: 503, type: "plugin_error", code: "plugin_failed", message: "failed closed"), "api_error"),
            (GatewayError(status: 500, type: "plugin_error", code: "plugin_rejected", message: "no reason"), "api_error"),
            (GatewayError(status: 504, type: "api_error", code: "upstream_timeout", message: "timeout"), "api_error"),
            (GatewayError(status: 502, type: "api_error", code: "upstream_unavailable", message: "down"), "api_error"),
            (.authentication("Missing API key.", code: "missing_api_key"), "authentication_error"),
            (.permission("no"), "permission_error"),
            (.notFound("no model", code: "model_not_found"), "not_found_error"),
            (.invalidRequest("bad"), "invalid_request_error"),
        ]
        for (error, anthropicType) in errors {
            let anthropic = try anthropicError(error)
            XCTAssertEqual(anthropic["type"] as? String, anthropicType, error.message)
            XCTAssertEqual(anthropic["message"] as? String, error.message)
            XCTAssertEqual(Set(anthropic.keys), ["type", "message"])
            let openai = try openAIError(error)
            XCTAssertEqual(openai["type"] as? String, error.type, "the OpenAI route keeps the gateway's type")
            XCTAssertEqual(openai["code"] as? String, error.code)
            XCTAssertTrue(error.responseHeaders.contains { $0 == ("x-tollgate-error-code", error.code!) }, error.message)
            XCTAssertTrue(error.responseHeaders.contains { $0 == ("content-type", "application/json") })
        }
    }

    func testTheReasonHeaderFallsBackToTheTypeAndRefusesWhatCannotBeAHeader() {
        let typeOnly = GatewayError(status: 429, type: "quota_exceeded", message: "m")
        XCTAssertTrue(typeOnly.responseHeaders.contains { $0 == ("x-tollgate-error-code", "quota_exceeded") })
        let injected = GatewayError(status: 429, type: "t", code: "x\r\nset-cookie: a=b", message: "m")
        XCTAssertFalse(injected.responseHeaders.contains { $0.0 == "x-tollgate-error-code" })
    }

    func testATerminalStreamEventUsesTheSameType() {
        let error = GatewayError(status: 429, type: "budget_exceeded", code: "budget_exceeded", message: "cut")
        let event = String(decoding: error.sseEvent(for: .anthropic), as: UTF8.self)
        XCTAssertTrue(event.hasPrefix("event: error\ndata: "), event)
        XCTAssertTrue(event.contains(#""type":"rate_limit_error""#), event)
    }
}
