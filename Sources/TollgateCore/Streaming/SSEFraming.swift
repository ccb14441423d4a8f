#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgateJSON

/// Turns edited events back into SSE bytes.
enum SSEFraming {
    static func frame(_ event: ResponseEvent) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(event.data.count + 32)
        if let name = event.eventName {
            out.append(contentsOf: "event: ".utf8)
            out.append(contentsOf: name.utf8)
            out.append(0x0A)
        }
        // A data payload with newlines needs one data: line per line; each
        // line is copied whole.
        event.data.withUnsafeBufferPointer { data in
            var lineStart = 0
            while true {
                out.append(contentsOf: "data: ".utf8)
                // memchr: a generic firstIndex(of:) costs several
                // instructions a byte, on every event a plugin changed.
                guard let base = data.baseAddress, lineStart < data.count,
                      let hit = memchr(base + lineStart, 0x0A, data.count - lineStart) else {
                    out.append(contentsOf: data[lineStart...])
                    break
                }
                let newline = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                out.append(contentsOf: data[lineStart...newline])
                lineStart = newline + 1
                if lineStart == data.count {
                    out.append(contentsOf: "data: ".utf8)
                    break
                }
            }
        }
        out.append(contentsOf: "\n\n".utf8)
        return out
    }
}

/// What a synthetic text event needs from the stream so far: the chunk id,
/// created time and model (OpenAI), the open content block (Anthropic).
struct StreamTemplate {
    var id: JSONValue = .string("chatcmpl-tollgate")
    var created: JSONValue = .int(0)
    var model: JSONValue = .string("")
    var blockIndex: JSONValue = .int(0)

    /// OpenAI's id, created and model are the same on every chunk of a
    /// stream: they are read from the first chunk that has them.
    private var haveOpenAIFields = false

    /// Called on every event of a stream with chunk hooks: it must not
    /// parse each chunk (the first OpenAI chunk is parsed once; an
    /// Anthropic event's index is looked up alone).
    mutating func observe(_ event: inout ResponseEvent) {
        switch event.dialect {
        case .openai:
            guard !haveOpenAIFields, let json = event.json() else { return }
            if let v = json["id"] { id = v }
            if let v = json["created"] { created = v }
            if let v = json["model"] { model = v }
            haveOpenAIFields = json["id"] != nil
        case .anthropic:
            guard event.eventName == nil || event.eventName?.hasPrefix("content_block") == true,
                  let v = JSONValue.lookup(event.data, [.key("index")]) else { return }
            blockIndex = v
        }
    }

    func syntheticTextEvent(_ text: String, dialect: APIDialect) -> [UInt8] {
        switch dialect {
        case .openai:
            let delta = JSONObject([("content", .string(text))])
            let choice = JSONObject([("index", .int(0)), ("delta", .object(delta)), ("finish_reason", .null)])
            let chunk = JSONObject([("id", id), ("object", .string("chat.completion.chunk")), ("created", created),
                                    ("model", model), ("choices", .array([.object(choice)]))])
            return Array("data: ".utf8) + JSONValue.object(chunk).serialized() + Array("\n\n".utf8)
        case .anthropic:
            let delta = JSONObject([("type", .string("text_delta")), ("text", .string(text))])
            let event = JSONObject([("type", .string("content_block_delta")), ("index", blockIndex), ("delta", .object(delta))])
            return Array("event: content_block_delta\ndata: ".utf8) + JSONValue.object(event).serialized() + Array("\n\n".utf8)
        }
    }
}
