import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateUpstream

/// The parts of a chat request the mock answers from.
package struct MockRequest {
    var json: JSONValue
    /// The model exactly as sent (echoed back in the answer).
    var model: String
    /// The model without `+directives`.
    var baseModel: String
    var stream: Bool
    /// OpenAI `stream_options.include_usage`.
    var includeUsage: Bool
    var maxTokens: Int?
    /// Every text part of every message, system and tool results included.
    var promptSegments: [String]

    /// Nil when the body is not a chat request of `api`'s dialect.
    init?(api: MockAPI, body: [UInt8]) {
        guard let json = try? JSONValue.parse(body), case .object(let root) = json,
              case .array(let messages)? = root["messages"] else { return nil }
        self.json = json
        model = root["model"]?.stringValue ?? "mock"
        baseModel = String(model.split(separator: "+", maxSplits: 1).first ?? "")
        stream = root["stream"]?.boolValue ?? false
        includeUsage = root["stream_options"]?["include_usage"]?.boolValue ?? false
        let limit = api == .openai ? (root["max_completion_tokens"] ?? root["max_tokens"]) : root["max_tokens"]
        maxTokens = limit?.int64Value.map { Int(clamping: $0) }
        var segments: [String] = []
        if api == .anthropic, let system = root["system"] { Self.appendText(system, to: &segments) }
        for message in messages {
            if let content = message["content"] { Self.appendText(content, to: &segments) }
        }
        promptSegments = segments
    }

    private static func appendText(_ content: JSONValue, to segments: inout [String]) {
        switch content {
        case .string(let text):
            segments.append(text)
        case .array(let parts):
            for part in parts {
                switch part["type"]?.stringValue {
                case "text"?, "input_text"?:
                    if let text = part["text"]?.stringValue { segments.append(text) }
                case "tool_result"?:
                    if let inner = part["content"] { appendText(inner, to: &segments) }
                default:
                    continue
                }
            }
        default:
            return
        }
    }

    var promptBytes: Int { promptSegments.reduce(0) { $0 + $1.utf8.count } }

    /// ceil(prompt bytes / 4), at least 1.
    var inputTokens: Int { max(1, (promptBytes + 3) / 4) }

    /// Directives found in the model suffix and the prompt, over `defaults`.
    func directives(over defaults: MockDirectives, headers: [(String, String)]) -> MockDirectives {
        var directives = defaults
        let modelParts = model.split(separator: "+")
        directives.apply(words: modelParts.dropFirst())
        for segment in promptSegments { Self.applyPromptDirectives(segment, to: &directives) }
        for (name, value) in headers {
            let name = name.lowercased()
            guard name.hasPrefix("x-mock-") else { continue }
            directives.apply(key: String(name.dropFirst("x-mock-".count)), value: value.trimmingCharacters())
        }
        return directives
    }

    /// `[[mock fail=500 chunks=3]]` anywhere in the text.
    static func applyPromptDirectives(_ text: String, to directives: inout MockDirectives) {
        var rest = text[...]
        while let open = rest.range(of: "[[mock") {
            let after = rest[open.upperBound...]
            guard let close = after.range(of: "]]") else { return }
            directives.apply(words: after[..<close.lowerBound].split(separator: " "))
            rest = after[close.upperBound...]
        }
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        var slice = self[...]
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
