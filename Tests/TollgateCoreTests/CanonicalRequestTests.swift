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

final class CanonicalRequestTests: XCTestCase {
    func request(_ dialect: APIDialect, _ json: String) throws -> CanonicalRequest {
        try CanonicalRequest(dialect: dialect, body: Array(json.utf8))
    }

    func testOpenAISegmentsCoverSystemMultipartAndToolMessages() throws {
        let r = try request(.openai, """
        {"model":"small","max_completion_tokens":50,"user":"u-1","metadata":{"feature":"search","n":3},
         "messages":[{"role":"system","content":"sys"},
                     {"role":"user","content":[{"type":"text","text":"part one"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"part two"}]},
                     {"role":"tool","tool_call_id":"t","content":"tool said"}]}
        """)
        XCTAssertEqual(r.segments.map(\.text), ["sys", "part one", "part two", "tool said"])
        XCTAssertEqual(r.segments.map(\.role), ["system", "user", "user", "tool"])
        XCTAssertEqual(r.maxOutputTokens, 50)
        XCTAssertEqual(r.endUser, "u-1")
        XCTAssertEqual(r.metadata.map(\.0), ["feature"], "only string metadata values are exposed")
        XCTAssertEqual(r.promptBytes, "syspart onepart twotool said".utf8.count)
        XCTAssertFalse(r.stream)
    }

    func testAnthropicSegmentsIncludeSystemBlocksAndToolResults() throws {
        let r = try request(.anthropic, """
        {"model":"claude","max_tokens":10,"system":[{"type":"text","text":"be kind"}],"metadata":{"user_id":"end-7"},
         "messages":[{"role":"user","content":"q"},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"x","content":[{"type":"text","text":"result"}]}]}]}
        """)
        XCTAssertEqual(r.segments.map(\.text), ["be kind", "q", "result"])
        XCTAssertEqual(r.segments.map(\.role), ["system", "user", "tool"])
        XCTAssertEqual(r.endUser, "end-7")
    }

    func testUneditedBodyIsForwardedByteForByte() throws {
        let json = #"{"model":"small",  "messages":[{"role":"user","content":"x"}], "temperature":0.70}"#
        let r = try request(.openai, json)
        XCTAssertEqual(r.upstreamBody(upstreamModel: "small"), Array(json.utf8))
        XCTAssertFalse(r.edited)
    }

    func testEditsAreWrittenBackAndOtherFieldsKeptExactly() throws {
        let r = try request(.openai, #"{"model":"small","temperature":0.70,"messages":[{"role":"user","content":"my email is a@b.c"}]}"#)
        r.setSegment(0, text: "my email is [EMAIL_1]")
        r.setModel("large")
        r.setMaxOutputTokens(99)
        let body = String(decoding: r.upstreamBody(upstreamModel: "vendor-large"), as: UTF8.self)
        XCTAssertEqual(body, #"{"model":"vendor-large","temperature":0.70,"messages":[{"role":"user","content":"my email is [EMAIL_1]"}],"max_tokens":99}"#)
        XCTAssertEqual(r.model, "large", "plugins keep seeing the public name")
        XCTAssertEqual(r.promptBytes, "my email is [EMAIL_1]".utf8.count)
    }

    func testOpenAIStreamAsksUpstreamForUsage() throws {
        let r = try request(.openai, #"{"model":"m","stream":true,"messages":[]}"#)
        let body = try JSONValue.parse(r.upstreamBody(upstreamModel: "m"))
        XCTAssertEqual(body["stream_options"]?["include_usage"], .bool(true))
        XCTAssertFalse(r.clientWantsStreamUsage)
    }

    func testSetBodyReparsesOrRefuses() throws {
        let r = try request(.openai, #"{"model":"a","messages":[]}"#)
        try r.setBody(Array(#"{"model":"b","stream":true,"messages":[{"role":"user","content":"new"}]}"#.utf8))
        XCTAssertEqual(r.model, "b")
        XCTAssertTrue(r.stream)
        XCTAssertEqual(r.segments.map(\.text), ["new"])
        XCTAssertThrowsError(try r.setBody(Array("[1,2]".utf8)))
        XCTAssertEqual(r.model, "b", "a refused body leaves the view unchanged")
    }

    func testInvalidRequestsAreClear400s() {
        let cases = [
            "not json": "not valid JSON",
            "[]": "must be a JSON object",
            #"{"messages":[]}"#: "'model' is required",
            #"{"model":"m"}"#: "'messages' is required",
            #"{"model":"m","messages":[],"stream":"yes"}"#: "'stream' must be a boolean",
            #"{"model":"m","messages":[],"max_tokens":-3}"#: "positive integer",
        ]
        for (body, expected) in cases {
            XCTAssertThrowsError(try request(.openai, body)) { error in
                let e = error as? GatewayError
                XCTAssertEqual(e?.status, 400, body)
                XCTAssertTrue(e?.message.contains(expected) == true, "\(body): \(e?.message ?? "")")
            }
        }
    }

    func testErrorBodiesInBothDialects() throws {
        let error = GatewayError(status: 429, type: "budget_exceeded", code: "budget", message: "no \"money\"")
        XCTAssertEqual(String(decoding: error.body(for: .openai), as: UTF8.self),
                       #"{"error":{"message":"no \"money\"","type":"budget_exceeded","param":null,"code":"budget"}}"#)
        // Anthropic's documented type for the status; the reason stays in the message.
        XCTAssertEqual(String(decoding: error.body(for: .anthropic), as: UTF8.self),
                       #"{"type":"error","error":{"type":"rate_limit_error","message":"no \"money\""}}"#)
    }
}
