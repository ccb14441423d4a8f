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

/// What is OpenAI's own in OpenAIDialect: the two output-limit fields, the
/// usage chunk the gateway asks for, the upstream path and bearer key.
final class OpenAIDialectTests: XCTestCase {
    func request(_ json: String) throws -> CanonicalRequest {
        try CanonicalRequest(dialect: .openai, body: Array(json.utf8))
    }

    func testMaxCompletionTokensWinsAndIsWhatAnEditWrites() throws {
        let both = try request(#"{"model":"m","messages":[],"max_tokens":10,"max_completion_tokens":30}"#)
        XCTAssertEqual(both.maxOutputTokens, 30)
        both.setMaxOutputTokens(5)
        XCTAssertEqual(both.root["max_completion_tokens"], .int(5))
        XCTAssertEqual(both.root["max_tokens"], .int(10))

        let legacy = try request(#"{"model":"m","messages":[],"max_completion_tokens":null,"max_tokens":10}"#)
        XCTAssertEqual(legacy.maxOutputTokens, 10)
        legacy.setMaxOutputTokens(5)
        XCTAssertEqual(legacy.root["max_tokens"], .int(5))
        XCTAssertEqual(legacy.root["max_completion_tokens"], .null)

        let neither = try request(#"{"model":"m","messages":[]}"#)
        XCTAssertNil(neither.maxOutputTokens)
        neither.setMaxOutputTokens(5)
        XCTAssertEqual(neither.root.keys, ["model", "messages", "max_tokens"])
    }

    func testTheUsageChunkIsAskedForOnlyWhenTheClientDidNot() throws {
        let asked = #"{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#
        XCTAssertEqual(try request(asked).upstreamBody(upstreamModel: "m"), Array(asked.utf8), "forwarded as it came")
        XCTAssertTrue(try request(asked).clientWantsStreamUsage)
        let whole = #"{"model":"m","messages":[]}"#
        XCTAssertEqual(try request(whole).upstreamBody(upstreamModel: "m"), Array(whole.utf8))
        let other = try request(#"{"model":"m","stream":true,"stream_options":{"x":1},"messages":[]}"#)
        XCTAssertEqual(String(decoding: other.upstreamBody(upstreamModel: "v"), as: UTF8.self),
                       #"{"model":"v","stream":true,"stream_options":{"x":1,"include_usage":true},"messages":[]}"#)

        var chunk = ResponseEvent(dialect: .openai, isStreamEvent: true, eventName: nil,
                                  data: Array(#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#.utf8), raw: [])
        XCTAssertTrue(chunk.isUsageOnlyChunk())
        var last = ResponseEvent(dialect: .openai, isStreamEvent: true, eventName: nil,
                                 data: Array(#"{"choices":[{"delta":{}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#.utf8), raw: [])
        XCTAssertFalse(last.isUsageOnlyChunk(), "a chunk with choices goes to the client")
    }

    func testTheUpstreamIsBaseSlashChatCompletionsWithABearerKey() {
        XCTAssertEqual(OpenAIDialect.upstreamPath(base: "https://api.openai.com/v1"), "/chat/completions")
        XCTAssertTrue(OpenAIDialect.credentialHeader(key: "sk-1") == ("authorization", "Bearer sk-1"))
        XCTAssertTrue(OpenAIDialect.defaultUpstreamHeaders.isEmpty)
        XCTAssertNil(OpenAIDialect.errorEventName)
    }
}
