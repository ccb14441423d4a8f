import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateUpstream

/// A successful answer in either dialect, as the provider would send it.
package struct MockAnswer {
    var id: String
    var created: Int64
    var model: String
    var output: MockOutput
    var inputTokens: Int
    var cachedTokens: Int
    /// False: usage is left out (the `usage=0` directive).
    var includeUsage: Bool

    private var quotedModel: String { JSONValue.quoted(model) }
    private var finishReason: String { output.truncated ? "length" : "stop" }
    private var stopReason: String { output.truncated ? "max_tokens" : "end_turn" }

    // MARK: OpenAI

    /// OpenAI's prompt_tokens includes the cached tokens.
    private var openAIUsage: String {
        "{\"prompt_tokens\":\(inputTokens),\"completion_tokens\":\(output.tokens),\"total_tokens\":\(inputTokens + output.tokens),"
            + "\"prompt_tokens_details\":{\"cached_tokens\":\(cachedTokens),\"audio_tokens\":0},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0}}"
    }

    func openAIBody() -> [UInt8] {
        var text = "{\"id\":\"\(id)\",\"object\":\"chat.completion\",\"created\":\(created),\"model\":\(quotedModel),"
        text += "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\(JSONValue.quoted(output.text)),\"refusal\":null},"
        text += "\"logprobs\":null,\"finish_reason\":\"\(finishReason)\"}]"
        if includeUsage { text += ",\"usage\":\(openAIUsage)" }
        text += "}"
        return Array(text.utf8)
    }

    /// Role chunk, content chunks, finish chunk, usage chunk (only when the
    /// request asked with stream_options.include_usage), [DONE].
    func openAIStream(includeUsage requested: Bool) -> MockEvents {
        let prefix = "data: {\"id\":\"\(id)\",\"object\":\"chat.completion.chunk\",\"created\":\(created),\"model\":\(quotedModel),"
            + "\"system_fingerprint\":\"fp_mock\",\"choices\":"
        // With include_usage, OpenAI sends "usage":null on every chunk but the last.
        let suffix = requested ? ",\"usage\":null}\n\n" : "}\n\n"
        var events = MockEvents()
        events.items.append(Array((prefix + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
            + "\"logprobs\":null,\"finish_reason\":null}]" + suffix).utf8))
        let start = events.items.count
        for piece in output.pieces where !piece.isEmpty {
            events.items.append(Array((prefix + "[{\"index\":0,\"delta\":{\"content\":\(JSONValue.quoted(piece))},"
                + "\"logprobs\":null,\"finish_reason\":null}]" + suffix).utf8))
        }
        events.contentRange = start..<events.items.count
        events.items.append(Array((prefix + "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"\(finishReason)\"}]"
            + suffix).utf8))
        if requested && includeUsage {
            events.items.append(Array((prefix + "[],\"usage\":\(openAIUsage)}\n\n").utf8))
        }
        events.items.append(Array("data: [DONE]\n\n".utf8))
        return events
    }

    // MARK: Anthropic

    /// Anthropic's input_tokens excludes cache reads.
    private var anthropicInputUsage: String {
        "\"input_tokens\":\(inputTokens - cachedTokens),\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":\(cachedTokens)"
    }

    func anthropicBody() -> [UInt8] {
        var text = "{\"id\":\"\(id)\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\(quotedModel),"
        text += "\"content\":[{\"type\":\"text\",\"text\":\(JSONValue.quoted(output.text))}],"
        text += "\"stop_reason\":\"\(stopReason)\",\"stop_sequence\":null"
        if includeUsage { text += ",\"usage\":{\(anthropicInputUsage),\"output_tokens\":\(output.tokens)}" }
        text += "}"
        return Array(text.utf8)
    }

    func anthropicStream() -> MockEvents {
        func event(_ name: String, _ data: String) -> [UInt8] { Array("event: \(name)\ndata: \(data)\n\n".utf8) }
        var events = MockEvents()
        let startUsage = includeUsage ? ",\"usage\":{\(anthropicInputUsage),\"output_tokens\":1}" : ""
        events.items.append(event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"\(id)\",\"type\":\"message\","
            + "\"role\":\"assistant\",\"model\":\(quotedModel),\"content\":[],\"stop_reason\":null,\"stop_sequence\":null\(startUsage)}}"))
        events.items.append(event("content_block_start",
                                  "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"))
        events.items.append(event("ping", "{\"type\": \"ping\"}"))
        let start = events.items.count
        for piece in output.pieces where !piece.isEmpty {
            events.items.append(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"text_delta\",\"text\":\(JSONValue.quoted(piece))}}"))
        }
        events.contentRange = start..<events.items.count
        events.items.append(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"))
        let finalUsage = includeUsage ? ",\"usage\":{\"output_tokens\":\(output.tokens)}" : ""
        events.items.append(event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"\(stopReason)\","
            + "\"stop_sequence\":null}\(finalUsage)}"))
        events.items.append(event("message_stop", "{\"type\":\"message_stop\"}"))
        return events
    }
}
