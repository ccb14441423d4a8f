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

final class MockProviderResponderTests: XCTestCase {
    let responder = MockResponder(defaults: MockDirectives(), now: { 1_700_000_000 })

    private func body(_ json: String) -> [UInt8] { Array(json.utf8) }

    private func json(_ plan: MockPlan) throws -> JSONValue { try JSONValue.parse(plan.bodyBytes) }

    private func events(_ plan: MockPlan) throws -> [SSEEvent] {
        var splitter = SSESplitter()
        var events = try splitter.feed(plan.bodyBytes)
        if let last = try splitter.finish() { events.append(last) }
        return events
    }

    /// 17 bytes of prompt text -> ceil(17/4) = 5 tokens.
    let openAIRequest = #"{"model":"mock-small","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi there!"}]}]}"#

    func testOpenAINonStreamIsARealisticChatCompletion() throws {
        let plan = responder.plan(api: .openai, body: body(openAIRequest), headers: [])
        XCTAssertEqual(plan.status, 200)
        XCTAssertTrue(plan.headers.contains { $0 == ("content-type", "application/json") })
        XCTAssertTrue(plan.headers.contains { $0 == ("content-length", String(plan.bodyBytes.count)) })
        let answer = try json(plan)
        XCTAssertEqual(answer["object"]?.stringValue, "chat.completion")
        XCTAssertEqual(answer["model"]?.stringValue, "mock-small")
        XCTAssertEqual(answer["created"]?.int64Value, 1_700_000_000)
        XCTAssertTrue(answer["id"]?.stringValue?.hasPrefix("chatcmpl-") ?? false)
        let choice = try XCTUnwrap(answer["choices"]?[0])
        XCTAssertEqual(choice["message"]?["role"]?.stringValue, "assistant")
        XCTAssertEqual(choice["message"]?["content"]?.stringValue, (0..<16).map { "tok\($0)" }.joined(separator: " "))
        XCTAssertEqual(choice["finish_reason"]?.stringValue, "stop")
        XCTAssertEqual(answer["usage"]?["prompt_tokens"]?.int64Value, 5)
        XCTAssertEqual(answer["usage"]?["completion_tokens"]?.int64Value, 16)
        XCTAssertEqual(answer["usage"]?["total_tokens"]?.int64Value, 21)
        XCTAssertEqual(answer["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.int64Value, 0)
        XCTAssertEqual(plan.model, "mock-small")
        XCTAssertEqual(plan.request?["model"]?.stringValue, "mock-small")
    }

    func testMaxTokensCapsTheOutput() throws {
        let request = #"{"model":"m","max_completion_tokens":3,"messages":[{"role":"user","content":"x"}]}"#
        let answer = try json(responder.plan(api: .openai, body: body(request), headers: []))
        XCTAssertEqual(answer["choices"]?[0]?["message"]?["content"]?.stringValue, "tok0 tok1 tok2")
        XCTAssertEqual(answer["choices"]?[0]?["finish_reason"]?.stringValue, "length")
        XCTAssertEqual(answer["usage"]?["completion_tokens"]?.int64Value, 3)
        XCTAssertEqual(answer["usage"]?["prompt_tokens"]?.int64Value, 1, "at least one input token")
    }

    func testOpenAIStreamSendsUsageOnlyWhenAskedFor() throws {
        let base = #"{"model":"mock-small+chunks=3","stream":true,"messages":[{"role":"user","content":"abcdefgh"}]"#
        let without = try events(responder.plan(api: .openai, body: body(base + "}"), headers: []))
        XCTAssertEqual(without.last?.dataString, "[DONE]")
        XCTAssertEqual(without.count, 1 + 3 + 1 + 1, "role, 3 content chunks, finish, [DONE]")
        for event in without.dropLast() {
            XCTAssertNil(try JSONValue.parse(event.data)["usage"])
        }

        let with = try events(responder.plan(api: .openai, body: body(base + #","stream_options":{"include_usage":true}}"#),
                                             headers: []))
        XCTAssertEqual(with.count, 7)
        let usageChunk = try JSONValue.parse(with[5].data)
        XCTAssertEqual(usageChunk["choices"], .array([]))
        XCTAssertEqual(usageChunk["usage"]?["prompt_tokens"]?.int64Value, 2)
        XCTAssertEqual(usageChunk["usage"]?["completion_tokens"]?.int64Value, 16)
        let first = try JSONValue.parse(with[0].data)
        XCTAssertEqual(first["object"]?.stringValue, "chat.completion.chunk")
        XCTAssertEqual(first["choices"]?[0]?["delta"]?["role"]?.stringValue, "assistant")
        XCTAssertEqual(try JSONValue.parse(with[4].data)["choices"]?[0]?["finish_reason"]?.stringValue, "stop")
        let text = try with[1...3].map { try JSONValue.parse($0.data)["choices"]?[0]?["delta"]?["content"]?.stringValue ?? "" }
        XCTAssertEqual(text.joined(), (0..<16).map { "tok\($0)" }.joined(separator: " "),
                       "the streamed text and the usage agree")
        XCTAssertTrue(with.allSatisfy { $0.raw.suffix(2) == [0x0A, 0x0A] })
    }

    let anthropicRequest = #"""
    {"model":"claude-mock","max_tokens":100,"system":[{"type":"text","text":"sys prompt"}],
     "messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"result!"}]},
                 {"type":"text","text":"question"}]}]}
    """#

    func testAnthropicNonStreamExcludesCacheReadsFromInputTokens() throws {
        // 10 + 7 + 8 = 25 bytes -> 7 tokens, of which 5 read from cache.
        let plan = responder.plan(api: .anthropic, body: body(anthropicRequest), headers: [("X-Mock-Cached", "5")])
        let answer = try json(plan)
        XCTAssertEqual(answer["type"]?.stringValue, "message")
        XCTAssertEqual(answer["role"]?.stringValue, "assistant")
        XCTAssertEqual(answer["model"]?.stringValue, "claude-mock")
        XCTAssertEqual(answer["content"]?[0]?["type"]?.stringValue, "text")
        XCTAssertEqual(answer["stop_reason"]?.stringValue, "end_turn")
        XCTAssertEqual(answer["usage"]?["input_tokens"]?.int64Value, 2)
        XCTAssertEqual(answer["usage"]?["cache_read_input_tokens"]?.int64Value, 5)
        XCTAssertEqual(answer["usage"]?["output_tokens"]?.int64Value, 16)
    }

    func testOpenAIPromptTokensIncludeCachedTokens() throws {
        let plan = responder.plan(api: .openai, body: body(openAIRequest), headers: [("x-mock-cached", "3")])
        let answer = try json(plan)
        XCTAssertEqual(answer["usage"]?["prompt_tokens"]?.int64Value, 5)
        XCTAssertEqual(answer["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.int64Value, 3)
    }

    func testAnthropicStreamHasTheRealEventSequence() throws {
        let request = anthropicRequest.replacingOccurrences(of: "\"max_tokens\":100", with: "\"max_tokens\":100,\"stream\":true")
        let plan = responder.plan(api: .anthropic, body: body(request), headers: [("x-mock-chunks", "2")])
        XCTAssertTrue(plan.headers.contains { $0 == ("content-type", "text/event-stream") })
        let events = try events(plan)
        XCTAssertEqual(events.map(\.event), ["message_start", "content_block_start", "ping", "content_block_delta",
                                             "content_block_delta", "content_block_stop", "message_delta", "message_stop"])
        for event in events {
            let data = try JSONValue.parse(event.data)
            XCTAssertEqual(data["type"]?.stringValue, event.event, "data.type matches the event name")
        }
        let start = try JSONValue.parse(events[0].data)
        XCTAssertEqual(start["message"]?["usage"]?["input_tokens"]?.int64Value, 7)
        XCTAssertEqual(start["message"]?["usage"]?["output_tokens"]?.int64Value, 1)
        let delta = try JSONValue.parse(events[6].data)
        XCTAssertEqual(delta["delta"]?["stop_reason"]?.stringValue, "end_turn")
        XCTAssertEqual(delta["usage"]?["output_tokens"]?.int64Value, 16)
        XCTAssertEqual(events[0].raw, Array("event: message_start\ndata: ".utf8) + events[0].data + [0x0A, 0x0A])
    }

    func testDirectivePrecedenceModelThenPromptThenHeaders() throws {
        func tokens(model: String, prompt: String, headers: [(String, String)]) throws -> Int64? {
            let request = #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(prompt)"}]}"#
            return try json(responder.plan(api: .openai, body: body(request), headers: headers))["usage"]?["completion_tokens"]?.int64Value
        }
        XCTAssertEqual(try tokens(model: "m", prompt: "hi", headers: []), 16)
        XCTAssertEqual(try tokens(model: "m+tokens=4", prompt: "hi", headers: []), 4)
        XCTAssertEqual(try tokens(model: "m+tokens=4", prompt: "hi [[mock tokens=6 chunks=2]] there", headers: []), 6)
        XCTAssertEqual(try tokens(model: "m+tokens=4", prompt: "[[mock tokens=6]]", headers: [("x-mock-tokens", "8")]), 8)
        let defaultsResponder = MockResponder(defaults: MockDirectives(outputTokens: 2))
        let request = #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#
        XCTAssertEqual(try JSONValue.parse(defaultsResponder.plan(api: .openai, body: body(request), headers: []).bodyBytes)["usage"]?["completion_tokens"]?.int64Value, 2)
    }

    func testErrorsSpeakEachDialect() throws {
        let request = #"{"model":"mock-small+fail=429","messages":[{"role":"user","content":"hi"}]}"#
        let openAI = responder.plan(api: .openai, body: body(request), headers: [])
        XCTAssertEqual(openAI.status, 429)
        XCTAssertTrue(openAI.headers.contains { $0 == ("retry-after", "1") })
        XCTAssertEqual(openAI.failure, .status429)
        let error = try json(openAI)["error"]
        XCTAssertNotNil(error?["message"]?.stringValue)
        XCTAssertEqual(error?["code"]?.stringValue, "rate_limit_exceeded")
        XCTAssertEqual(error?["param"], .null)

        let anthropic = responder.plan(api: .anthropic, body: body(request), headers: [("x-mock-fail", "500")])
        XCTAssertEqual(anthropic.status, 500)
        let body500 = try json(anthropic)
        XCTAssertEqual(body500["type"]?.stringValue, "error")
        XCTAssertEqual(body500["error"]?["type"]?.stringValue, "api_error")

        let overloaded = responder.plan(api: .openai, body: body(request), headers: [("x-mock-fail", "503")])
        XCTAssertEqual(overloaded.status, 503)
        XCTAssertEqual(try json(overloaded)["error"]?["type"]?.stringValue, "server_error")

        for api in [MockAPI.openai, .anthropic] {
            let bad = responder.plan(api: api, body: body("{not json"), headers: [])
            XCTAssertEqual(bad.status, 400)
            XCTAssertEqual(try json(bad)[api == .openai ? "error" : "type"] != nil, true)
        }
    }

    func testEchoReturnsThePromptUncapped() throws {
        let request = #"{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"abc"},{"role":"user","content":"[[mock echo=1]] defgh"}]}"#
        let answer = try json(responder.plan(api: .openai, body: body(request), headers: []))
        let text = "abc\n[[mock echo=1]] defgh"
        XCTAssertEqual(answer["choices"]?[0]?["message"]?["content"]?.stringValue, text)
        XCTAssertEqual(answer["usage"]?["completion_tokens"]?.int64Value, Int64((text.utf8.count + 3) / 4))
    }

    func testFailureShapes() throws {
        let stream = #"{"model":"m+chunks=8","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        XCTAssertEqual(responder.plan(api: .openai, body: body(stream), headers: [("x-mock-fail", "stall")]).parts, [.stall])

        let afterFirst = responder.plan(api: .openai, body: body(stream), headers: [("x-mock-fail", "stall-after-first")])
        XCTAssertEqual(afterFirst.parts.count, 2)
        XCTAssertEqual(afterFirst.parts.last, .stall)

        let cut = responder.plan(api: .anthropic, body: body(stream), headers: [("x-mock-fail", "cut")])
        XCTAssertEqual(cut.parts.last, .cut)
        let cutEvents = try events(cut)
        XCTAssertEqual(cutEvents.filter { $0.event == "content_block_delta" }.count, 4, "about half the chunks")
        XCTAssertFalse(cutEvents.contains { $0.event == "message_stop" })

        let bad = responder.plan(api: .openai, body: body(stream), headers: [("x-mock-fail", "bad-json")])
        let badEvents = try events(bad)
        XCTAssertThrowsError(try JSONValue.parse(badEvents[1].data))
        XCTAssertEqual(badEvents.last?.dataString, "[DONE]")

        let noUsage = #"{"model":"m+usage=0","messages":[{"role":"user","content":"hi"}]}"#
        XCTAssertNil(try json(responder.plan(api: .openai, body: body(noUsage), headers: []))["usage"])
    }

    func testDelaysApplyBeforeContentChunks() {
        let stream = #"{"model":"m+chunks=2+delay_ms=7","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        let plan = responder.plan(api: .openai, body: body(stream), headers: [])
        let delays = plan.parts.map { part -> Int in
            if case .bytes(_, let delay) = part { return delay }
            return -1
        }
        XCTAssertEqual(delays, [0, 7, 7, 0, 0])
    }
}
