import Foundation
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateUpstream

/// The mock provider's logic, with no I/O: a request in, a planned response
/// out. The HTTP server and the in-process transport both play these plans,
/// so they send the same bytes.
package struct MockResponder: Sendable {
    package var defaults: MockDirectives
    /// Seconds since 1970 for `created` fields; injectable for tests.
    let now: @Sendable () -> Int64

    package init(defaults: MockDirectives = MockDirectives(), now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.defaults = defaults
        self.now = now
    }

    package func plan(api: MockAPI, body: [UInt8], headers: [(String, String)]) -> MockPlan {
        guard let request = MockRequest(api: api, body: body) else {
            var plan = MockErrors.plan(api: api, status: 400,
                                       message: "The request body is not a valid \(api == .openai ? "chat completions" : "messages") request: expected a JSON object with a \"messages\" array.")
            plan.request = try? JSONValue.parse(body)
            return plan
        }
        let directives = request.directives(over: defaults, headers: headers)
        var plan: MockPlan
        switch directives.fail {
        case .status429?: plan = MockErrors.plan(api: api, status: 429, message: "Rate limit reached for \(request.baseModel) (mock). Please try again in 1s.")
        case .status500?: plan = MockErrors.plan(api: api, status: 500, message: "The server had an error while processing your request (mock).")
        case .status503?: plan = MockErrors.plan(api: api, status: 503, message: "The engine is currently overloaded, please try again later (mock).")
        default: plan = successPlan(api: api, request: request, directives: directives)
        }
        plan.model = request.baseModel
        plan.failure = directives.fail
        plan.request = request.json
        plan.api = api
        return plan
    }

    private func successPlan(api: MockAPI, request: MockRequest, directives: MockDirectives) -> MockPlan {
        let output = MockOutput(request: request, directives: directives)
        let cached = min(directives.cachedTokens, request.inputTokens)
        let answer = MockAnswer(id: Self.identifier(api: api, body: request.json), created: now(), model: request.model,
                                output: output, inputTokens: request.inputTokens, cachedTokens: cached,
                                includeUsage: directives.usage)
        // What the provider bills: a call answered in full, whether or not
        // the answer carries usage (acted-out failures are not billed).
        let usage = directives.fail == nil
            ? MockUsage(inputTokens: Int64(request.inputTokens - cached), cachedTokens: Int64(cached),
                        outputTokens: Int64(output.tokens))
            : nil
        let badJSON = directives.fail == .badJSON
        if request.stream {
            var events = api == .openai
                ? answer.openAIStream(includeUsage: request.includeUsage)
                : answer.anthropicStream()
            if badJSON, let first = events.firstContent {
                events.items[first] = Array("data: {\"choices\": [{\"delta\": {\"content\": \"oops\"\n\n".utf8)
            }
            return MockPlan(status: 200, headers: [("content-type", "text/event-stream"), ("cache-control", "no-cache")],
                            parts: events.parts(directives: directives), usage: usage)
        }
        var body = api == .openai ? answer.openAIBody() : answer.anthropicBody()
        if badJSON { body = Array(body.prefix(body.count / 2)) }
        let headers = [("content-type", "application/json"), ("content-length", String(body.count))]
        let delay = directives.chunkDelayMs * output.pieces.count
        let parts: [MockPart]
        switch directives.fail {
        case .stall?: parts = [.stall]
        case .stallAfterFirst?: parts = [.bytes(Array(body.prefix(body.count / 2)), delayMsBefore: delay), .stall]
        case .cut?: parts = [.bytes(Array(body.prefix(body.count / 2)), delayMsBefore: delay), .cut]
        default: parts = [.bytes(body, delayMsBefore: delay)]
        }
        return MockPlan(status: 200, headers: headers, parts: parts, usage: usage)
    }

    /// Stable per request body, so runs are reproducible.
    static func identifier(api: MockAPI, body: JSONValue) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body.serialized() {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        return api == .openai ? "chatcmpl-mock\(padded)" : "msg_mock\(padded)"
    }
}

/// A streamed answer as events, knowing which ones carry content.
package struct MockEvents {
    var items: [[UInt8]] = []
    var contentRange: Range<Int> = 0..<0

    var firstContent: Int? { contentRange.isEmpty ? nil : contentRange.lowerBound }

    func parts(directives: MockDirectives) -> [MockPart] {
        func part(_ index: Int) -> MockPart {
            .bytes(items[index], delayMsBefore: contentRange.contains(index) ? directives.chunkDelayMs : 0)
        }
        switch directives.fail {
        case .stall?:
            return [.stall]
        case .stallAfterFirst?:
            return [part(0), .stall]
        case .cut?:
            let keep = contentRange.lowerBound + max(1, contentRange.count / 2)
            return (0..<min(keep, items.count)).map(part) + [.cut]
        default:
            return items.indices.map(part)
        }
    }
}
