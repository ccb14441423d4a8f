import TollgateJSON
import TollgateSupport
import TollgateUnits

/// OpenAI's Chat Completions API (`POST /v1/chat/completions`): the
/// request, its errors, the upstream request, then the response events.
package enum OpenAIDialect: ProviderDialect {
    package static let route = "/v1/chat/completions"
    package static let exampleBaseURL = "https://api.openai.com/v1"

    // MARK: the request

    /// `max_completion_tokens` replaced `max_tokens`; clients send either.
    package static let maxOutputTokensFields = ["max_completion_tokens", "max_tokens"]

    package static func endUser(in root: JSONObject) -> String? {
        root["user"]?.stringValue
    }

    /// The system prompt is a message like the others.
    package static func promptSegments(in root: JSONObject) -> [PromptSegment] {
        var segments: [PromptSegment] = []
        PromptSegmentReader.appendMessages(of: root, into: &segments)
        return segments
    }

    package static func clientAskedForStreamUsage(_ root: JSONObject) -> Bool {
        root["stream_options"]?["include_usage"]?.boolValue ?? false
    }

    /// A stream reports usage only in a final chunk the client must ask
    /// for (`stream_options.include_usage`): the gateway asks for it when
    /// the client did not, and hides that chunk from the client.
    package static func addAccountingFields(to body: inout JSONObject, for request: CanonicalRequest) -> Bool {
        guard request.stream, !request.clientWantsStreamUsage else { return false }
        var options = body["stream_options"]?.objectValue ?? JSONObject()
        options["include_usage"] = .bool(true)
        body["stream_options"] = .object(options)
        return true
    }

    // MARK: errors

    /// `{"error":{"message","type","param","code"}}`, the gateway's own
    /// type and code as they are.
    package static func errorBody(_ error: GatewayError) -> [UInt8] {
        let object = JSONObject([
            ("message", .string(error.message)),
            ("type", .string(error.type)),
            ("param", error.param.map { .string($0) } ?? .null),
            ("code", error.code.map { .string($0) } ?? .null),
        ])
        return JSONValue.object(JSONObject([("error", .object(object))])).serialized()
    }

    package static let errorEventName: String? = nil

    // MARK: the upstream request

    /// OpenAI base URLs end in /v1.
    package static func upstreamPath(base: String) -> String { "/chat/completions" }

    package static func credentialHeader(key: String) -> (String, String) { ("authorization", "Bearer \(key)") }

    package static let forwardedClientHeaders = ["openai-organization", "openai-project"]
}

/// OpenAI's response events: a stream of `chat.completion.chunk` objects
/// ending in `[DONE]`, usage in a final chunk with no choices; a whole
/// answer with `choices[0].message.content` and `usage`.
extension OpenAIDialect {
    private static let deltaContentPath: [JSONLookupStep] = [.key("choices"), .index(0), .key("delta"), .key("content")]
    private static let usagePath: [JSONLookupStep] = [.key("usage")]
    private static let usageKey: [UInt8] = Array("\"usage\"".utf8)

    private static func isDone(_ event: ResponseEvent) -> Bool {
        event.data.count == 6 && event.data.elementsEqual("[DONE]".utf8)
    }

    /// A chunk's `choices[0].delta.content`, found without parsing the
    /// whole chunk (most chunks need nothing else).
    private static func deltaContent(_ event: inout ResponseEvent) -> String? {
        if let parsed = event.parsed { return parsed?["choices"]?[0]?["delta"]?["content"]?.stringValue }
        return event.quickString(at: deltaContentPath)
    }

    package static func streamEventKind(_ event: inout ResponseEvent) -> ResponseEventKind {
        if isDone(event) { return .end }
        return deltaContent(&event) != nil ? .text : .other
    }

    package static func streamText(_ event: inout ResponseEvent) -> String {
        deltaContent(&event) ?? ""
    }

    package static func bodyText(_ event: inout ResponseEvent) -> String {
        event.json()?["choices"]?[0]?["message"]?["content"]?.stringValue ?? ""
    }

    package static func replaceStreamText(with text: String, in event: inout ResponseEvent) -> Bool {
        // Splice the new string over the old one: the rest of the chunk
        // stays as it came, unparsed.
        if event.spliceQuickString(text) { return true }
        guard var json = event.json() else { return false }
        json.replace(at: [.key("choices"), .index(0), .key("delta"), .key("content")][...], with: .string(text))
        event.setJSON(json)
        return true
    }

    package static func replaceBodyText(with text: String, in event: inout ResponseEvent) {
        guard var json = event.json() else { return }
        json.replace(at: [.key("choices"), .index(0), .key("message"), .key("content")][...], with: .string(text))
        event.setJSON(json)
    }

    package static func findUsage(in event: inout ResponseEvent) -> JSONValue? {
        // Cheap pre-check: most chunks carry no usage, and when usage is
        // asked for, every chunk carries `"usage": null`.
        guard !event.isStreamEvent || event.data.mayHaveNonNullKey(usageKey) else { return nil }
        // Look the one field up rather than parse the chunk; in a whole
        // answer, skip over the choices rather than build them.
        let usage = event.parsed == nil ? JSONValue.lookup(event.data, usagePath) : event.json()?["usage"]
        if let usage, !usage.isNull { return usage }
        return nil
    }

    /// The final chunk the gateway asked for: `choices: []` and usage.
    package static func isUsageOnlyChunk(_ event: inout ResponseEvent) -> Bool {
        guard event.isStreamEvent, event.usage() != nil else { return false }
        if case .array(let choices)? = event.json()?["choices"] { return choices.isEmpty }
        return false
    }

    /// `prompt_tokens` includes the cached ones
    /// (`prompt_tokens_details.cached_tokens`); Tollgate counts them apart.
    package static func readUsage(_ usage: JSONValue, finalOutput: Bool) -> UsageReading {
        var reading = UsageReading()
        let cachedTokens = UsageReading.count(usage["prompt_tokens_details"]?["cached_tokens"]) ?? 0
        if let prompt = UsageReading.count(usage["prompt_tokens"]) {
            reading.input = max(0, prompt - min(cachedTokens, prompt))
            reading.cached = min(cachedTokens, prompt)
        }
        if let completion = UsageReading.count(usage["completion_tokens"]) { reading.output = completion }
        return reading
    }

    // MARK: synthetic text events

    /// id, created and model are the same on every chunk of a stream: they
    /// are read from the first chunk that has them (that chunk is parsed
    /// once), then no more.
    package static func observe(_ event: inout ResponseEvent, into template: inout StreamTemplate) {
        guard let json = event.json() else { return }
        if let v = json["id"] { template.fields["id"] = v }
        if let v = json["created"] { template.fields["created"] = v }
        if let v = json["model"] { template.fields["model"] = v }
        template.complete = json["id"] != nil
    }

    package static func syntheticTextEvent(_ text: String, template: StreamTemplate) -> (name: String?, data: JSONValue) {
        let delta = JSONObject([("content", .string(text))])
        let choice = JSONObject([("index", .int(0)), ("delta", .object(delta)), ("finish_reason", .null)])
        let chunk = JSONObject([
            ("id", template.fields["id"] ?? .string("chatcmpl-tollgate")),
            ("object", .string("chat.completion.chunk")),
            ("created", template.fields["created"] ?? .int(0)),
            ("model", template.fields["model"] ?? .string("")),
            ("choices", .array([.object(choice)])),
        ])
        return (nil, .object(chunk))
    }
}
