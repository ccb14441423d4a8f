import Foundation
import XCTest

/// Errors the gateway writes on each route, against the real binary: on
/// /v1/messages Anthropic's documented error types (the specific reason in
/// the message and in x-tollgate-error-code), and the Content-Type rule.
final class ErrorDialectEndToEndTests: XCTestCase {
    static let anthropicBody = #"{"model":"mock-claude","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}"#
    static let openAIBody = #"{"model":"mock-gpt","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}"#

    func startGateway(server: [String] = [], plugins: String = "") throws -> GatewayProcess {
        let dir = TestPaths.temporaryDirectory("error-dialect")
        return try GatewayProcess(yaml: InProcessMockConfig.yaml(storage: dir + "/data", server: server, plugins: plugins),
                                  directory: dir)
    }

    func post(_ port: Int, _ path: String, body: String, contentType: String? = "application/json") throws -> HTTPResponse {
        var headers = [("authorization", "Bearer \(TestConfig.prodKey)")]
        if let contentType { headers.append(("content-type", contentType)) }
        return try HTTP.request(port: port, path: path, headers: headers, body: Array(body.utf8))
    }

    /// `{"type":"error","error":{"type","message"}}`, nothing else.
    func anthropicError(_ response: HTTPResponse, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertEqual(response.header("content-type"), "application/json", file: file, line: line)
        let json = try response.json()
        XCTAssertEqual(json["type"] as? String, "error", response.text, file: file, line: line)
        let error = try XCTUnwrap(json["error"] as? [String: Any], response.text, file: file, line: line)
        XCTAssertEqual(Set(error.keys), ["type", "message"], response.text, file: file, line: line)
        return error
    }

    func testABudget429OnTheAnthropicRouteIsARateLimitErrorThatSaysBudget() throws {
        let gateway = try startGateway(plugins: """
        plugins:
          - name: budget
            config:
              budgets:
                - {scope: team/acme/payments, period: daily, amount: "0.000001"}
        """)
        defer { gateway.stop() }
        let response = try post(gateway.port, "/v1/messages", body: Self.anthropicBody)
        XCTAssertEqual(response.status, 429, response.text)
        let error = try anthropicError(response)
        XCTAssertEqual(error["type"] as? String, "rate_limit_error")
        XCTAssertTrue((error["message"] as? String)?.hasPrefix("Budget exceeded:") == true, response.text)
        XCTAssertEqual(response.header("x-tollgate-error-code"), "budget_exceeded")

        // The OpenAI route keeps the gateway's own type.
        let openAI = try post(gateway.port, "/v1/chat/completions", body: Self.openAIBody)
        XCTAssertEqual(openAI.status, 429, openAI.text)
        XCTAssertEqual((try openAI.json()["error"] as? [String: Any])?["type"] as? String, "budget_exceeded")
        XCTAssertEqual(openAI.header("x-tollgate-error-code"), "budget_exceeded")
    }

    func testTooLargeIsRequestTooLargeOnTheAnthropicRoute() throws {
        let gateway = try startGateway(server: ["max_body_bytes: 200"])
        defer { gateway.stop() }
        let big = Self.anthropicBody.replacingOccurrences(of: "hi", with: String(repeating: "x", count: 300))
        let response = try post(gateway.port, "/v1/messages", body: big)
        XCTAssertEqual(response.status, 413, response.text)
        XCTAssertEqual(try anthropicError(response)["type"] as? String, "request_too_large")
        XCTAssertEqual(response.header("x-tollgate-error-code"), "request_too_large")

        let openAI = try post(gateway.port, "/v1/chat/completions", body: big)
        XCTAssertEqual(openAI.status, 413, openAI.text)
        let error = try XCTUnwrap(try openAI.json()["error"] as? [String: Any])
        XCTAssertEqual(error["type"] as? String, "invalid_request_error")
        XCTAssertEqual(error["code"] as? String, "request_too_large")
    }

    func testABodyThatIsNotDeclaredJSONIsA415InTheRoutesDialect() throws {
        let gateway = try startGateway()
        defer { gateway.stop() }
        let anthropic = try post(gateway.port, "/v1/messages", body: Self.anthropicBody, contentType: "text/plain")
        XCTAssertEqual(anthropic.status, 415, anthropic.text)
        let error = try anthropicError(anthropic)
        XCTAssertEqual(error["type"] as? String, "invalid_request_error")
        XCTAssertTrue((error["message"] as? String)?.contains("application/json") == true, anthropic.text)
        XCTAssertEqual(anthropic.header("x-tollgate-error-code"), "unsupported_media_type")

        let openAI = try post(gateway.port, "/v1/chat/completions", body: Self.openAIBody, contentType: "application/x-www-form-urlencoded")
        XCTAssertEqual(openAI.status, 415, openAI.text)
        let openAIError = try XCTUnwrap(try openAI.json()["error"] as? [String: Any])
        XCTAssertEqual(openAIError["type"] as? String, "invalid_request_error")
        XCTAssertEqual(openAIError["code"] as? String, "unsupported_media_type")
    }

    func testJSONWithParametersAndAMissingContentTypeAreAccepted() throws {
        let gateway = try startGateway()
        defer { gateway.stop() }
        XCTAssertEqual(try post(gateway.port, "/v1/messages", body: Self.anthropicBody, contentType: nil).status, 200)
        XCTAssertEqual(try post(gateway.port, "/v1/chat/completions", body: Self.openAIBody,
                                contentType: "application/json; charset=utf-8").status, 200)
    }
}
