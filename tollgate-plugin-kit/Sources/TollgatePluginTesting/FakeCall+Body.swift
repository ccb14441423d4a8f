import TollgatePluginKit

// The fake host renders the request body from the view (one message per
// prompt segment) and reads the view back from a body a plugin sets. It
// keeps no field it does not model: a fake, not the gateway's parser.

extension FakeCall {
    /// The body as the fake host would forward it now.
    public func renderBody() -> String {
        var object = JSONObject()
        object["model"] = .string(model)
        switch api {
        case .openai:
            if let maxOutputTokens { object["max_tokens"] = .int(maxOutputTokens) }
            object["messages"] = .array(prompt.map { segment in
                .object(JSONObject([("role", .string(segment.role)), ("content", .string(segment.text))]))
            })
            if let endUser { object["user"] = .string(endUser) }
        case .anthropic:
            object["max_tokens"] = .int(maxOutputTokens ?? 1024)
            let system = prompt.filter { $0.role == "system" }
            if !system.isEmpty {
                object["system"] = .array(system.map { segment in
                    .object(JSONObject([("type", .string("text")), ("text", .string(segment.text))]))
                })
            }
            object["messages"] = .array(prompt.filter { $0.role != "system" }.map { segment in
                .object(JSONObject([("role", .string(segment.role)), ("content", .string(segment.text))]))
            })
        }
        if stream { object["stream"] = .bool(true) }
        var meta = JSONObject(metadata.map { ($0.key, JSONValue.string($0.value)) })
        if api == .anthropic, let endUser { meta["user_id"] = .string(endUser) }
        if meta.count > 0 { object["metadata"] = .object(meta) }
        return JSONValue.object(object).jsonString
    }

    /// Reads model, max tokens, stream flag, prompt segments and metadata
    /// from `body`. False if it is not a JSON object with a string model
    /// and a messages array.
    func adoptBody(_ body: String) -> Bool {
        guard let json = try? JSONValue.parse(body), case .object(let object) = json,
              let model = object["model"]?.stringValue, let messages = object["messages"]?.arrayValue
        else { return false }
        var segments: [(role: String, text: String)] = []
        if api == .anthropic, let system = object["system"] {
            segments += Self.texts(of: system).map { (role: "system", text: $0) }
        }
        for message in messages {
            let role = message["role"]?.stringValue ?? "user"
            segments += Self.texts(of: message["content"] ?? .null).map { (role: role, text: $0) }
        }
        self.model = model
        maxOutputTokens = (object["max_completion_tokens"] ?? object["max_tokens"])?.int64Value
        stream = object["stream"]?.boolValue ?? false
        prompt = segments
        if let meta = object["metadata"]?.objectValue {
            metadata = meta.entries.compactMap { entry in entry.value.stringValue.map { (key: entry.key, value: $0) } }
        }
        return true
    }

    /// The text parts of a content value: a string, or an array of
    /// `{"type":"text","text":...}` blocks.
    private static func texts(of content: JSONValue) -> [String] {
        if let s = content.stringValue { return [s] }
        return (content.arrayValue ?? []).compactMap { part in
            part["type"]?.stringValue == "text" ? part["text"]?.stringValue : nil
        }
    }
}
