import NIOCore
import NIOPosix
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

/// The HTTP face of the mock: routes, stats, recorded requests. Talks to it
/// through HTTP1Transport, as the gateway does.
final class MockProviderServerTests: MockUpstreamTestCase {
    override var mockDefaults: MockDirectives { MockDirectives(chunks: 2) }

    private func call(_ method: String, _ path: String, _ body: String = "", headers: [(String, String)] = []) -> RecordingUpstreamDelegate {
        transport.runToFinish(UpstreamRequest(url: "http://127.0.0.1:\(port)\(path)", method: method, headers: headers,
                                              body: body.bytes),
                              on: group.next())
    }

    func testHealthAndModels() throws {
        let health = call("GET", "/healthz")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(try JSONValue.parse(health.body)["status"]?.stringValue, "ok")
        let models = try JSONValue.parse(call("GET", "/v1/models").body)
        XCTAssertEqual(models["object"]?.stringValue, "list")
        XCTAssertEqual(models["data"]?[0]?["id"]?.stringValue, "mock-small")
    }

    func testServerSendsExactlyWhatTheResponderPlans() throws {
        let body = #"{"model":"m+chunks=3","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        let answer = call("POST", "/v1/messages", body)
        XCTAssertEqual(answer.status, 200)
        let plan = MockResponder(defaults: MockDirectives(chunks: 2)).plan(api: .anthropic, body: body.bytes, headers: [])
        XCTAssertEqual(answer.body, plan.bodyBytes, "same bytes as the in-process plan")
    }

    func testStatsAndRecordedRequests() throws {
        _ = call("POST", "/v1/chat/completions", #"{"model":"alpha","messages":[{"role":"user","content":"one"}]}"#)
        _ = call("POST", "/v1/chat/completions", #"{"model":"alpha+fail=500","messages":[{"role":"user","content":"two"}]}"#)
        _ = call("POST", "/v1/messages", #"{"model":"beta","max_tokens":5,"messages":[{"role":"user","content":"three"}]}"#,
                 headers: [("x-mock-fail", "429")])
        let stats = try JSONValue.parse(call("GET", "/_mock/stats").body)
        XCTAssertEqual(stats["requests"]?.int64Value, 3)
        XCTAssertEqual(stats["by_model"]?["alpha"]?.int64Value, 2)
        XCTAssertEqual(stats["by_model"]?["beta"]?.int64Value, 1)
        XCTAssertEqual(stats["by_failure"]?["500"]?.int64Value, 1)
        XCTAssertEqual(stats["by_failure"]?["429"]?.int64Value, 1)

        let requests = try JSONValue.parse(call("GET", "/_mock/requests").body)
        XCTAssertEqual(requests.arrayValue?.count, 3)
        XCTAssertEqual(requests[0]?["messages"]?[0]?["content"]?.stringValue, "one", "oldest first, as JSON values")
        XCTAssertEqual(requests[2]?["max_tokens"]?.int64Value, 5)

        XCTAssertEqual(call("POST", "/_mock/reset").status, 200)
        XCTAssertEqual(try JSONValue.parse(call("GET", "/_mock/stats").body)["requests"]?.int64Value, 0)
        XCTAssertEqual(try JSONValue.parse(call("GET", "/_mock/requests").body), .array([]))
    }

    func testRecordedRequestsKeepTheLastHundred() throws {
        for i in 0..<105 {
            _ = call("POST", "/v1/chat/completions", #"{"model":"m","n":\#(i),"messages":[]}"#)
        }
        let requests = try JSONValue.parse(call("GET", "/_mock/requests").body).arrayValue ?? []
        XCTAssertEqual(requests.count, 100)
        XCTAssertEqual(requests.first?["n"]?.int64Value, 5)
        XCTAssertEqual(requests.last?["n"]?.int64Value, 104)
    }

    func testUnknownRouteAndMalformedBody() throws {
        let missing = call("GET", "/v2/nothing")
        XCTAssertEqual(missing.status, 404)
        XCTAssertNotNil(try JSONValue.parse(missing.body)["error"]?["message"]?.stringValue)
        let bad = call("POST", "/v1/messages", "[1,2")
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(try JSONValue.parse(bad.body)["error"]?["type"]?.stringValue, "invalid_request_error")
    }
}
