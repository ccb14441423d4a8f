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

/// Every registered dialect carries a request, an error, a stream with
/// usage, a whole answer and an upstream request through the core's own
/// code paths. A new dialect adds its fixture below; until it does,
/// `testEveryDialectHasAFixture` fails.
final class DialectCompletenessTests: XCTestCase {
    struct Fixture {
        /// A streaming request: a system prompt, one user message, an output
        /// limit of 50 and end user "u-1".
        var request: String
        /// A whole stream as the provider sends it: "Hel" + "lo", usage
        /// 12 prompt tokens of which 4 cached, 2 output tokens.
        var stream: String
        /// A whole answer: "Hi", 9 input tokens, 1 output token.
        var body: String
    }

    static let fixtures: [APIDialect: Fixture] = [
        .openai: Fixture(
            request: #"{"model":"m","stream":true,"max_completion_tokens":50,"user":"u-1","messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Hello there"}]}"#,
            stream: [
                #"data: {"id":"c1","object":"chat.completion.chunk","created":5,"model":"vendor-m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
                #"data: {"id":"c1","object":"chat.completion.chunk","created":5,"model":"vendor-m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#,
                #"data: {"id":"c1","object":"chat.completion.chunk","created":5,"model":"vendor-m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}"#,
                #"data: {"id":"c1","object":"chat.completion.chunk","created":5,"model":"vendor-m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
                #"data: {"id":"c1","object":"chat.completion.chunk","created":5,"model":"vendor-m","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":4}}}"#,
                "data: [DONE]",
            ].map { $0 + "\n\n" }.joined(),
            body: #"{"id":"c2","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1}}"#),
        .anthropic: Fixture(
            request: #"{"model":"m","stream":true,"max_tokens":50,"system":"Be terse.","metadata":{"user_id":"u-1"},"messages":[{"role":"user","content":"Hello there"}]}"#,
            stream: [
                "event: message_start\n" + #"data: {"type":"message_start","message":{"id":"msg1","type":"message","role":"assistant","model":"vendor-m","content":[],"usage":{"input_tokens":8,"cache_read_input_tokens":4,"output_tokens":1}}}"#,
                "event: content_block_start\n" + #"data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                "event: ping\n" + #"data: {"type":"ping"}"#,
                "event: content_block_delta\n" + #"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#,
                "event: content_block_delta\n" + #"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo"}}"#,
                "event: content_block_stop\n" + #"data: {"type":"content_block_stop","index":0}"#,
                "event: message_delta\n" + #"data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}"#,
                "event: message_stop\n" + #"data: {"type":"message_stop"}"#,
            ].map { $0 + "\n\n" }.joined(),
            body: #"{"id":"msg2","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"usage":{"input_tokens":9,"output_tokens":1}}"#),
    ]

    private let keyVariable = "TOLLGATE_TEST_DIALECT_KEY_\(UUID().uuidString.replacingOccurrences(of: "-", with: "_"))"

    override func tearDown() { unsetenv(keyVariable) }

    private func fixture(_ dialect: APIDialect) throws -> Fixture {
        try XCTUnwrap(Self.fixtures[dialect], "dialect \(dialect.rawValue) has no fixture in DialectCompletenessTests")
    }

    private func split(_ text: String) throws -> [SSEEvent] {
        var splitter = SSESplitter()
        var events = try splitter.feed(Array(text.utf8))
        if let last = try splitter.finish() { events.append(last) }
        return events
    }

    private func streamEvent(_ dialect: APIDialect, _ sse: SSEEvent) -> ResponseEvent {
        ResponseEvent(dialect: dialect, isStreamEvent: true, eventName: sse.event, data: sse.data, raw: sse.raw)
    }

    func testEveryDialectHasAFixture() {
        for dialect in APIDialect.allCases {
            XCTAssertNotNil(Self.fixtures[dialect], "add a fixture for \(dialect.rawValue)")
        }
    }

    func testRoutesNamesAndTheCatalogFindEveryDialect() {
        XCTAssertEqual(Set(APIDialect.allCases.map(\.route)).count, APIDialect.allCases.count, "one route per dialect")
        for dialect in APIDialect.allCases {
            let wire = dialect.wire
            XCTAssertEqual(APIDialect(route: dialect.route), dialect)
            XCTAssertEqual(APIDialect(errorsOn: dialect.route + "?beta=true"), dialect)
            XCTAssertEqual(APIDialect(rawValue: dialect.rawValue), dialect, "the ledger's api column and metric labels")
            XCTAssertEqual(ProviderKind(rawValue: dialect.rawValue)?.dialect, dialect, "`provider: \(dialect.rawValue)` in the config")
            XCTAssertTrue(ProviderKind.allCases.contains(ProviderKind(dialect: dialect)))
            XCTAssertTrue(wire.exampleBaseURL.hasPrefix("https://"), dialect.rawValue)
            XCTAssertFalse(wire.maxOutputTokensFields.isEmpty, dialect.rawValue)
        }
        XCTAssertNil(APIDialect(route: "/v1/models"))
        XCTAssertEqual(APIDialect(errorsOn: "/admin/keys"), .unrouted)
        XCTAssertEqual(ProviderKind(rawValue: "mock"), .mock)
        XCTAssertNil(ProviderKind(rawValue: "gemini"))
    }

    func testARequestRoundTripsThroughTheCanonicalView() throws {
        for dialect in APIDialect.allCases {
            let request = try CanonicalRequest(dialect: dialect, body: Array(fixture(dialect).request.utf8))
            XCTAssertEqual(request.model, "m")
            XCTAssertTrue(request.stream)
            XCTAssertEqual(request.maxOutputTokens, 50, dialect.rawValue)
            XCTAssertEqual(request.endUser, "u-1", dialect.rawValue)
            XCTAssertEqual(request.segments.map(\.text), ["Be terse.", "Hello there"], dialect.rawValue)
            XCTAssertEqual(request.segments.map(\.role), ["system", "user"], dialect.rawValue)

            request.setModel("other")
            request.setMaxOutputTokens(7)
            request.setSegment(0, text: "Be kind.")
            request.setSegment(1, text: "Hi [EMAIL_1]")
            let sent = try CanonicalRequest(dialect: dialect, body: request.upstreamBody(upstreamModel: "vendor-other"))
            XCTAssertEqual(sent.model, "vendor-other", dialect.rawValue)
            XCTAssertEqual(sent.maxOutputTokens, 7, dialect.rawValue)
            XCTAssertEqual(sent.segments.map(\.text), ["Be kind.", "Hi [EMAIL_1]"], dialect.rawValue)
            XCTAssertEqual(sent.endUser, "u-1", dialect.rawValue)
            XCTAssertTrue(sent.stream)
        }
    }

    func testAnErrorIsABodyAndATerminalEvent() throws {
        let error = GatewayError(status: 429, type: "budget_exceeded", code: "budget_exceeded", message: "over \"budget\"\nnow")
        func mentionsMessage(_ value: JSONValue) -> Bool {
            switch value {
            case .string(let s): return s == error.message
            case .object(let o): return o.entries.contains { mentionsMessage($0.value) }
            case .array(let a): return a.contains(where: mentionsMessage)
            default: return false
            }
        }
        for dialect in APIDialect.allCases {
            let body = error.body(for: dialect)
            XCTAssertTrue(mentionsMessage(try JSONValue.parse(body)), dialect.rawValue)
            let events = try split(String(decoding: error.sseEvent(for: dialect), as: UTF8.self))
            XCTAssertEqual(events.count, 1, dialect.rawValue)
            XCTAssertEqual(events.first?.data, body, dialect.rawValue)
            XCTAssertEqual(events.first?.event, dialect.wire.errorEventName, dialect.rawValue)
        }
    }

    func testAStreamGivesItsTextAndUsageAndTakesEditsAndSyntheticText() throws {
        for dialect in APIDialect.allCases {
            let sses = try split(fixture(dialect).stream)
            var tracker = UsageTracker(dialect: dialect)
            var template = StreamTemplate()
            var text = ""
            var kinds: [ResponseEventKind] = []
            for sse in sses {
                var event = streamEvent(dialect, sse)
                if let usage = event.usage() { tracker.observe(usage: usage, finalOutput: event.usageHasFinalOutput()) }
                let kind = event.kind()
                if kind == .text { text += event.text() }
                template.observe(&event)
                kinds.append(kind)
            }
            XCTAssertEqual(text, "Hello", dialect.rawValue)
            XCTAssertEqual(tracker.final(promptBytes: 0), TokenUsage(input: 8, output: 2, cached: 4, estimated: false), dialect.rawValue)
            XCTAssertEqual(kinds.last, .end, dialect.rawValue)
            XCTAssertFalse(kinds.dropLast().contains(.end), dialect.rawValue)

            // An edited text event, framed again, reads back as edited.
            let first = try XCTUnwrap(sses.first { var e = streamEvent(dialect, $0); return e.kind() == .text && e.text() == "Hel" })
            var edited = streamEvent(dialect, first)
            edited.setText("He said \"hi\"\n")
            XCTAssertTrue(edited.changed)
            var reread = streamEvent(dialect, try XCTUnwrap(split(String(decoding: SSEFraming.frame(edited), as: UTF8.self)).first))
            XCTAssertEqual(reread.kind(), .text, dialect.rawValue)
            XCTAssertEqual(reread.text(), "He said \"hi\"\n", dialect.rawValue)
            XCTAssertEqual(reread.eventName, first.event)

            // Text set on an event without text comes out as a text event
            // of the stream's own.
            var end = streamEvent(dialect, sses.last!)
            end.setText("held back")
            XCTAssertEqual(end.insertedTextBefore, "held back")
            let synthetic = template.syntheticTextEvent("held back", dialect: dialect)
            var inserted = streamEvent(dialect, try XCTUnwrap(split(String(decoding: synthetic, as: UTF8.self)).first))
            XCTAssertEqual(inserted.kind(), .text, dialect.rawValue)
            XCTAssertEqual(inserted.text(), "held back", dialect.rawValue)
        }
    }

    func testAWholeAnswerGivesItsTextAndUsageAndTakesAnEdit() throws {
        for dialect in APIDialect.allCases {
            let body = Array(try fixture(dialect).body.utf8)
            var event = ResponseEvent(dialect: dialect, isStreamEvent: false, eventName: nil, data: body, raw: body)
            XCTAssertEqual(event.kind(), .body)
            XCTAssertEqual(event.text(), "Hi", dialect.rawValue)
            var tracker = UsageTracker(dialect: dialect)
            tracker.observe(usage: try XCTUnwrap(event.usage(), dialect.rawValue), finalOutput: event.usageHasFinalOutput())
            XCTAssertEqual(tracker.final(promptBytes: 0), TokenUsage(input: 9, output: 1, cached: 0, estimated: false), dialect.rawValue)
            XCTAssertFalse(event.isUsageOnlyChunk())
            event.setText("Bye")
            var reread = ResponseEvent(dialect: dialect, isStreamEvent: false, eventName: nil, data: event.data, raw: event.data)
            XCTAssertEqual(reread.text(), "Bye", dialect.rawValue)
            XCTAssertNotNil(reread.usage(), "an edit keeps the usage")
        }
    }

    func testTheUpstreamRequestCarriesTheKeyThePathAndTheRequest() throws {
        setenv(keyVariable, "sk-test", 1)
        for dialect in APIDialect.allCases {
            let wire = dialect.wire
            let request = try CanonicalRequest(dialect: dialect, body: Array(fixture(dialect).request.utf8))
            let entry = ModelEntry(name: "m", provider: ProviderKind(dialect: dialect), baseURL: "https://provider.example/v1",
                                   upstreamModel: "vendor-m", apiKeyEnv: keyVariable, price: Price(inputPerMTokNanos: 1, outputPerMTokNanos: 1))
            let sent = try UpstreamTarget.make(entry: entry, deployment: entry.deployments[0], dialect: dialect, request: request,
                                               clientHeaders: HTTPHeaders(), timeouts: UpstreamTimeouts()).request
            XCTAssertEqual(sent.url, "https://provider.example/v1" + wire.upstreamPath(base: "https://provider.example/v1"))
            XCTAssertTrue(wire.upstreamPath(base: "https://provider.example/v1").hasPrefix("/"))
            let credential = wire.credentialHeader(key: "sk-test")
            XCTAssertTrue(sent.headers.contains { $0 == credential }, dialect.rawValue)
            for header in wire.defaultUpstreamHeaders {
                XCTAssertTrue(sent.headers.contains { $0 == header }, "\(dialect.rawValue): \(header.0)")
            }
            for name in wire.forwardedClientHeaders {
                XCTAssertTrue(UpstreamTarget.forwardedClientHeaders.contains(name), name)
            }
            let body = try CanonicalRequest(dialect: dialect, body: sent.body)
            XCTAssertEqual(body.model, "vendor-m")
            XCTAssertEqual(body.segments.map(\.text), ["Be terse.", "Hello there"])
        }
    }
}
