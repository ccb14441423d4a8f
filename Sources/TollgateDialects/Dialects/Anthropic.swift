import TollgateJSON
import TollgateSupport
import TollgateUnits

/// Anthropic's Messages API (`POST /v1/messages`): the request, its errors,
/// the upstream request, then the response events.
package enum AnthropicDialect: ProviderDialect {
    package static let route = "/v1/messages"
    package static let exampleBaseURL = "https://api.anthropic.com"

    // MARK: the request

    package static let maxOutputTokensFields = ["max_tokens"]

    package static func endUser(in root: JSONObject) -> String? {
        root["metadata"]?["user_id"]?.stringValue
    }

    /// The system prompt is a top-level field (a string or text blocks),
    /// before the messages.
    package static func promptSegments(in root: JSONObject) -> [PromptSegment] {
        var segments: [PromptSegment] = []
        if let system = root["system"] {
            PromptSegmentReader.appendContent(system, role: "system", path: [.key("system")], into: &segments)
        }
        PromptSegmentReader.appendMessages(of: root, into: &segments)
        return segments
    }

    // MARK: errors

    /// `{"type":"error","error":{"type","message"}}` with Anthropic's type
    /// for the status (`errorType(status:)`); the gateway's specific reason
    /// stays in the message and in `x-tollgate-error-code`.
    package static func errorBody(_ error: GatewayError) -> [UInt8] {
        let object = JSONObject([("type", .string(errorType(status: error.status))), ("message", .string(error.message))])
        return JSONValue.object(JSONObject([("type", .string("error")), ("error", .object(object))])).serialized()
    }

    package static let errorEventName: String? = "error"

    /// Anthropic's SDKs and clients know a fixed set of `error.type`
    /// values, one per status (https://docs.anthropic.com/en/api/errors);
    /// the gateway's own reasons (`budget_exceeded`, `rate_limit_exceeded`,
    /// a plugin's type) are not among them. Other 4xx are
    /// `invalid_request_error` (Anthropic: "we may also use this error type
    /// for other 4XX status codes"); every 5xx but 529 is `api_error`: the
    /// gateway's 502/503/504 (upstream down or timed out, a plugin that
    /// failed closed) are failures, not load shedding.
    static func errorType(status: Int) -> String {
        switch status {
        case 400: return "invalid_request_error"
        case 401: return "authentication_error"
        case 403: return "permission_error"
        case 404: return "not_found_error"
        case 413: return "request_too_large"
        case 429: return "rate_limit_error"
        case 529: return "overloaded_error"
        case 400..<500: return "invalid_request_error"
        default: return "api_error"
        }
    }

    // MARK: the upstream request

    /// Anthropic base URLs are usually the bare host
    /// (https://api.anthropic.com); one ending in /v1 is accepted too.
    package static func upstreamPath(base: String) -> String {
        base.hasSuffix("/v1") ? "/messages" : "/v1/messages"
    }

    package static func credentialHeader(key: String) -> (String, String) { ("x-api-key", key) }

    package static let forwardedClientHeaders = ["anthropic-version", "anthropic-beta"]

    /// The API refuses a request without a version.
    package static let defaultUpstreamHeaders = [("anthropic-version", "2023-06-01")]
}

/// Anthropic's response events: named SSE events (`message_start`,
/// `content_block_start`, `content_block_delta`, `message_delta`,
/// `message_stop`...), usage split between `message_start` and
/// `message_delta`; a whole answer with `content` blocks and `usage`.
extension AnthropicDialect {
    private static let usagePath: [JSONLookupStep] = [.key("usage")]
    private static let indexPath: [JSONLookupStep] = [.key("index")]

    /// Events carry their type both as `event:` and in the JSON; the field
    /// name is enough and cheaper.
    private static func eventType(_ event: inout ResponseEvent) -> String? {
        event.eventName ?? event.json()?["type"]?.stringValue
    }

    package static func streamEventKind(_ event: inout ResponseEvent) -> ResponseEventKind {
        switch eventType(&event) {
        case "content_block_delta"?:
            return event.json()?["delta"]?["type"]?.stringValue == "text_delta" ? .text : .other
        case "message_stop"?: return .end
        default: return .other
        }
    }

    package static func streamText(_ event: inout ResponseEvent) -> String {
        guard let json = event.json(), json["delta"]?["type"]?.stringValue == "text_delta" else { return "" }
        return json["delta"]?["text"]?.stringValue ?? ""
    }

    /// The text blocks, joined (tool use blocks carry none).
    package static func bodyText(_ event: inout ResponseEvent) -> String {
        guard case .array(let blocks)? = event.json()?["content"] else { return "" }
        return blocks.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }.joined()
    }

    package static func replaceStreamText(with text: String, in event: inout ResponseEvent) -> Bool {
        guard var json = event.json() else { return false }
        json.replace(at: [.key("delta"), .key("text")][...], with: .string(text))
        event.setJSON(json)
        return true
    }

    /// The new text goes into the first text block; the other text blocks
    /// go, every other block stays.
    package static func replaceBodyText(with text: String, in event: inout ResponseEvent) {
        guard var json = event.json(), case .array(let blocks)? = json["content"] else { return }
        var replaced = false
        var newBlocks: [JSONValue] = []
        for block in blocks {
            guard block["type"]?.stringValue == "text" else {
                newBlocks.append(block)
                continue
            }
            if replaced { continue }
            var b = block
            b.replace(at: [.key("text")][...], with: .string(text))
            newBlocks.append(b)
            replaced = true
        }
        json.replace(at: [.key("content")][...], with: .array(newBlocks))
        event.setJSON(json)
    }

    package static func findUsage(in event: inout ResponseEvent) -> JSONValue? {
        if !event.isStreamEvent { return event.parsed == nil ? JSONValue.lookup(event.data, usagePath) : event.json()?["usage"] }
        switch eventType(&event) {
        case "message_start"?: return event.json()?["message"]?["usage"]
        case "message_delta"?: return event.json()?["usage"]
        default: return nil
        }
    }

    /// `message_start` carries a placeholder output count (typically 1)
    /// that only `message_delta` replaces.
    package static func usageHasFinalOutput(_ event: inout ResponseEvent) -> Bool {
        !(event.isStreamEvent && eventType(&event) == "message_start")
    }

    /// `input_tokens` excludes cache reads, which are reported apart.
    /// Without `finalOutput` (message_start) the output count is ignored.
    package static func readUsage(_ usage: JSONValue, finalOutput: Bool) -> UsageReading {
        var reading = UsageReading()
        // Cache writes are billed as input here: the catalog has no
        // separate cache-write price.
        if let inputTokens = UsageReading.count(usage["input_tokens"]) {
            let (sum, overflow) = inputTokens.addingReportingOverflow(UsageReading.count(usage["cache_creation_input_tokens"]) ?? 0)
            reading.input = overflow ? Int64.max : sum
        }
        if let read = UsageReading.count(usage["cache_read_input_tokens"]) { reading.cached = read }
        if finalOutput, let outputTokens = UsageReading.count(usage["output_tokens"]) { reading.output = outputTokens }
        return reading
    }

    // MARK: synthetic text events

    /// A synthetic delta goes into the open content block: the index of
    /// the last content_block event, looked up alone (no parse).
    package static func observe(_ event: inout ResponseEvent, into template: inout StreamTemplate) {
        guard event.eventName == nil || event.eventName?.hasPrefix("content_block") == true,
              let index = JSONValue.lookup(event.data, indexPath) else { return }
        template.fields["index"] = index
    }

    package static func syntheticTextEvent(_ text: String, template: StreamTemplate) -> (name: String?, data: JSONValue) {
        let delta = JSONObject([("type", .string("text_delta")), ("text", .string(text))])
        let event = JSONObject([("type", .string("content_block_delta")), ("index", template.fields["index"] ?? .int(0)),
                                ("delta", .object(delta))])
        return ("content_block_delta", .object(event))
    }
}
