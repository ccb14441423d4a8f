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

final class ResponseEventTests: XCTestCase {
    func openAI(_ data: String) -> ResponseEvent {
        ResponseEvent(dialect: .openai, isStreamEvent: true, eventName: nil, data: Array(data.utf8), raw: Array("data: \(data)\n\n".utf8))
    }

    func anthropic(_ name: String, _ data: String) -> ResponseEvent {
        ResponseEvent(dialect: .anthropic, isStreamEvent: true, eventName: name, data: Array(data.utf8),
                      raw: Array("event: \(name)\ndata: \(data)\n\n".utf8))
    }

    func testOpenAIKindsTextAndUsage() {
        var text = openAI(#"{"id":"c1","choices":[{"index":0,"delta":{"content":"hel"}}]}"#)
        XCTAssertEqual(text.kind(), .text)
        XCTAssertEqual(text.text(), "hel")
        XCTAssertNil(text.usage())
        var done = openAI("[DONE]")
        XCTAssertEqual(done.kind(), .end)
        var usage = openAI(#"{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":3}}}"#)
        XCTAssertEqual(usage.kind(), .other)
        XCTAssertTrue(usage.isUsageOnlyChunk())
        var tracker = UsageTracker(dialect: .openai)
        tracker.observe(usage: usage.usage()!)
        XCTAssertEqual(tracker.final(promptBytes: 0), TokenUsage(input: 7, output: 4, cached: 3, estimated: false))
    }

    func testAnthropicUsageAcrossStartAndDelta() {
        var start = anthropic("message_start", #"{"type":"message_start","message":{"usage":{"input_tokens":12,"cache_read_input_tokens":5,"output_tokens":1}}}"#)
        var delta = anthropic("message_delta", #"{"type":"message_delta","usage":{"output_tokens":30}}"#)
        var tracker = UsageTracker(dialect: .anthropic)
        tracker.observe(usage: start.usage()!)
        tracker.observe(usage: delta.usage()!)
        XCTAssertEqual(tracker.final(promptBytes: 0), TokenUsage(input: 12, output: 30, cached: 5, estimated: false))
        var stop = anthropic("message_stop", #"{"type":"message_stop"}"#)
        XCTAssertEqual(stop.kind(), .end)
    }

    func testAnthropicStreamCutAfterMessageStartIsEstimatedFromTheText() {
        // message_start's output_tokens is a placeholder (the real API sends
        // 1): a stream cut before message_delta is estimated, not billed 1.
        var start = anthropic("message_start", #"{"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1}}}"#)
        XCTAssertFalse(start.usageHasFinalOutput())
        var tracker = UsageTracker(dialect: .anthropic)
        tracker.observe(usage: start.usage()!, finalOutput: start.usageHasFinalOutput())
        XCTAssertFalse(tracker.hasOutputCount)
        tracker.addOutputText(bytes: 80)
        XCTAssertEqual(tracker.runningOutputTokens, 20)
        XCTAssertEqual(tracker.final(promptBytes: 0), TokenUsage(input: 12, output: 20, cached: 0, estimated: true))
        var delta = anthropic("message_delta", #"{"type":"message_delta","usage":{"output_tokens":30}}"#)
        XCTAssertTrue(delta.usageHasFinalOutput())
        tracker.observe(usage: delta.usage()!, finalOutput: delta.usageHasFinalOutput())
        XCTAssertEqual(tracker.final(promptBytes: 0), TokenUsage(input: 12, output: 30, cached: 0, estimated: false))
    }

    func testNegativeCountsAreNoCountsAndAreEstimated() {
        var tracker = UsageTracker(dialect: .openai)
        tracker.observe(usage: .object(JSONObject([("prompt_tokens", .int(-5)), ("completion_tokens", .int(-1))])))
        tracker.addOutputText(bytes: 8)
        XCTAssertEqual(tracker.final(promptBytes: 12), TokenUsage(input: 3, output: 2, cached: 0, estimated: true))
        var anthropic = UsageTracker(dialect: .anthropic)
        anthropic.observe(usage: .object(JSONObject([("input_tokens", .int(Int64.max)), ("cache_creation_input_tokens", .int(10)),
                                                     ("output_tokens", .int(3))])))
        XCTAssertEqual(anthropic.final(promptBytes: 0), TokenUsage(input: Int64.max, output: 3, cached: 0, estimated: false),
                       "a sum past Int64 saturates instead of trapping")
    }

    func testMissingUsageIsEstimatedAndMarked() {
        var tracker = UsageTracker(dialect: .openai)
        tracker.addOutputText(bytes: 10)
        XCTAssertEqual(tracker.final(promptBytes: 9), TokenUsage(input: 3, output: 3, cached: 0, estimated: true))
    }

    func testSetTextRewritesTheDeltaAndReframes() {
        var event = anthropic("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a [EMAIL_1]"}}"#)
        event.setText("a x@y.z")
        XCTAssertTrue(event.changed)
        XCTAssertEqual(String(decoding: SSEFraming.frame(event), as: UTF8.self),
                       "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a x@y.z\"}}\n\n")
    }

    func testSetTextOnAnOpenAIChunkSplicesTheStringAndKeepsTheRestAsItCame() throws {
        let original = #"{"id":"c1", "choices":[{"index":0,"delta":{"content":"a [EMAIL_1] b"},"finish_reason":null}],"usage":null}"#
        var event = openAI(original)
        XCTAssertEqual(event.text(), "a [EMAIL_1] b")
        event.setText("a \"x\"@y.z\n\u{1}é 😀")
        XCTAssertTrue(event.changed)
        let edited = String(decoding: event.data, as: UTF8.self)
        // Only the content's bytes changed: spacing, order and nulls stay.
        XCTAssertTrue(edited.hasPrefix(#"{"id":"c1", "choices":[{"index":0,"delta":{"content":"#), edited)
        XCTAssertTrue(edited.hasSuffix(#"},"finish_reason":null}],"usage":null}"#), edited)
        let reparsed = try JSONValue.parse(event.data)
        XCTAssertEqual(reparsed["choices"]?[0]?["delta"]?["content"]?.stringValue, "a \"x\"@y.z\n\u{1}é 😀")
        XCTAssertEqual(event.text(), "a \"x\"@y.z\n\u{1}é 😀")
        // A second edit lands on the new string, not the old span.
        event.setText("short")
        XCTAssertEqual(String(decoding: event.data, as: UTF8.self),
                       #"{"id":"c1", "choices":[{"index":0,"delta":{"content":"short"},"finish_reason":null}],"usage":null}"#)
        XCTAssertNil(event.usage())
    }

    func testUsageNullOnEveryChunkIsAnsweredWithoutAWalkButRealUsageIsFound() {
        XCTAssertFalse(Array(#"{"choices":[],"usage":null}"#.utf8).mayHaveNonNullKey(Array("\"usage\"".utf8)))
        XCTAssertFalse(Array(#"{"usage" :  null}"#.utf8).mayHaveNonNullKey(Array("\"usage\"".utf8)))
        XCTAssertFalse(Array(#"{"choices":[{"delta":{"content":"\"usage\":{}"}}]}"#.utf8).mayHaveNonNullKey(Array("\"usage\"".utf8)),
                       "an escaped quote inside a string is not a key")
        XCTAssertFalse(Array(#"{"content":"usage"}"#.utf8).mayHaveNonNullKey(Array("\"usage\"".utf8)), "a value, not a key")
        XCTAssertTrue(Array(#"{"usage":{"prompt_tokens":1}}"#.utf8).mayHaveNonNullKey(Array("\"usage\"".utf8)))
        XCTAssertTrue(Array(#"{"a":{"usage":null},"usage":{"x":1}}"#.utf8).mayHaveNonNullKey(Array("\"usage\"".utf8)))
        XCTAssertTrue(Array(#""usage":1"#.utf8).mayHaveNonNullKey(Array("\"usage\"".utf8)), "at the very start")
        XCTAssertTrue(Array(#"{"u":"uu\"u","usual":"usage","usage" : {}}"#.utf8).mayHaveNonNullKey(Array("\"usage\"".utf8)))
        XCTAssertFalse(Array(#"{"usag":1,"usage"#.utf8).mayHaveNonNullKey(Array("\"usage\"".utf8)), "cut at the end")
        var chunk = openAI(#"{"choices":[{"delta":{"content":"x"}}],"usage":null}"#)
        XCTAssertNil(chunk.usage())
        var last = openAI(#"{"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3}}"#)
        XCTAssertEqual(last.usage()?["completion_tokens"]?.int64Value, 3)
    }

    func testRawDataWithNewlinesIsFramedOneDataLinePerLine() {
        func framed(_ data: String, event: String? = nil) -> String {
            var e = ResponseEvent(dialect: .openai, isStreamEvent: true, eventName: event, data: [], raw: [])
            e.setRaw(Array(data.utf8))
            return String(decoding: SSEFraming.frame(e), as: UTF8.self)
        }
        XCTAssertEqual(framed("abc"), "data: abc\n\n")
        XCTAssertEqual(framed(""), "data: \n\n")
        XCTAssertEqual(framed("a\nb"), "data: a\ndata: b\n\n")
        XCTAssertEqual(framed("a\n"), "data: a\ndata: \n\n")
        XCTAssertEqual(framed("\n"), "data: \ndata: \n\n")
        XCTAssertEqual(framed("a\n\nb", event: "x"), "event: x\ndata: a\ndata: \ndata: b\n\n")
    }

    func testSerializedStringsEscapeWhatJSONRequiresAndNothingElse() throws {
        let text = "plain \"quoted\" back\\slash\nnew\rret\ttab \u{01}\u{1F} é 😀 /"
        let bytes = JSONValue.object(JSONObject([("k\"ey", .string(text))])).serialized()
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self),
                       #"{"k\"ey":"plain \"quoted\" back\\slash\nnew\rret\ttab \u0001\u001f é 😀 /"}"#)
        XCTAssertEqual(try JSONValue.parse(bytes)["k\"ey"]?.stringValue, text)
    }

    func testUsageIsLookedUpAgainAfterAnEdit() {
        var event = openAI(#"{"choices":[{"index":0,"delta":{"content":"x"}}]}"#)
        XCTAssertNil(event.usage())
        event.setRaw(Array(#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#.utf8))
        XCTAssertNotNil(event.usage())
    }

    func testSetTextOnAnEventWithoutTextInsertsASyntheticEvent() {
        var end = openAI("[DONE]")
        end.setText("held back")
        XCTAssertEqual(end.insertedTextBefore, "held back")
        var template = StreamTemplate()
        var first = openAI(#"{"id":"c9","created":5,"model":"m","choices":[{"index":0,"delta":{"content":"x"}}]}"#)
        template.observe(&first)
        let synthetic = String(decoding: template.syntheticTextEvent("held back", dialect: .openai), as: UTF8.self)
        XCTAssertTrue(synthetic.hasPrefix("data: {\"id\":\"c9\""), synthetic)
        XCTAssertTrue(synthetic.contains("\"content\":\"held back\""))
    }

    func testTheTemplateReadsOpenAIFieldsOnceAndFollowsAnthropicBlockIndexes() {
        var template = StreamTemplate()
        var first = openAI(#"{"id":"c1","created":5,"model":"m","choices":[{"index":0,"delta":{"role":"assistant"}}]}"#)
        template.observe(&first)
        var later = openAI(#"{"id":"c1","created":5,"model":"m","choices":[{"index":0,"delta":{"content":"x"}}]}"#)
        template.observe(&later)
        later.setText("y")  // not parsed by the template: the edit is a splice
        XCTAssertEqual(String(decoding: later.data, as: UTF8.self),
                       #"{"id":"c1","created":5,"model":"m","choices":[{"index":0,"delta":{"content":"y"}}]}"#)
        XCTAssertTrue(String(decoding: template.syntheticTextEvent("z", dialect: .openai), as: UTF8.self)
            .hasPrefix(#"data: {"id":"c1","object":"chat.completion.chunk","created":5,"model":"m""#))

        var anthropicTemplate = StreamTemplate()
        var start = anthropic("content_block_start", #"{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}"#)
        anthropicTemplate.observe(&start)
        var stop = anthropic("message_delta", #"{"type":"message_delta","index":9,"usage":{"output_tokens":3}}"#)
        anthropicTemplate.observe(&stop)
        XCTAssertTrue(String(decoding: anthropicTemplate.syntheticTextEvent("z", dialect: .anthropic), as: UTF8.self)
            .contains(#""index":2"#), "only content_block events move the index")
    }

    func testNonStreamBodyTextInBothDialects() {
        var openAIBody = ResponseEvent(dialect: .openai, isStreamEvent: false, eventName: nil,
                                       data: Array(#"{"choices":[{"message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#.utf8), raw: [])
        XCTAssertEqual(openAIBody.kind(), .body)
        XCTAssertEqual(openAIBody.text(), "hi")
        openAIBody.setText("bye")
        XCTAssertEqual(openAIBody.text(), "bye")
        var anthropicBody = ResponseEvent(dialect: .anthropic, isStreamEvent: false, eventName: nil,
                                          data: Array(#"{"content":[{"type":"text","text":"a"},{"type":"tool_use","id":"t"},{"type":"text","text":"b"}]}"#.utf8), raw: [])
        XCTAssertEqual(anthropicBody.text(), "ab")
        anthropicBody.setText("c")
        XCTAssertEqual(anthropicBody.text(), "c")
        XCTAssertEqual(anthropicBody.json()?["content"]?.arrayValue?.count, 2, "tool blocks are kept")
    }
}
