import TollgateJSON
import TollgateSupport
import TollgateUnits

/// The parts of a request's prompt the dialects share: messages whose
/// content is a string or an array of parts. Each dialect's
/// `promptSegments(in:)` puts them together with what is its own (the
/// Anthropic system field).
package enum PromptSegmentReader {
    /// Every text part of every message in `messages`, tool results
    /// included.
    static func appendMessages(of root: JSONObject, into segments: inout [PromptSegment]) {
        guard case .array(let messages)? = root["messages"] else { return }
        for (i, message) in messages.enumerated() {
            guard case .object(let object) = message else { continue }
            let role = object["role"]?.stringValue ?? "user"
            let path: [PromptSegment.PathComponent] = [.key("messages"), .index(i), .key("content")]
            if let content = object["content"] {
                appendContent(content, role: role, path: path, into: &segments)
            }
        }
    }

    /// Content is a string, or an array of parts of which `text` parts and
    /// (Anthropic) `tool_result` parts carry text.
    static func appendContent(_ content: JSONValue, role: String, path: [PromptSegment.PathComponent],
                              into segments: inout [PromptSegment]) {
        switch content {
        case .string(let text):
            segments.append(PromptSegment(role: role, text: text, path: path))
        case .array(let parts):
            for (j, part) in parts.enumerated() {
                guard case .object(let object) = part else { continue }
                let partPath = path + [.index(j)]
                switch object["type"]?.stringValue {
                case "text"?, "input_text"?:
                    if let text = object["text"]?.stringValue {
                        segments.append(PromptSegment(role: role, text: text, path: partPath + [.key("text")]))
                    }
                case "tool_result"?:
                    if let inner = object["content"] {
                        appendContent(inner, role: "tool", path: partPath + [.key("content")], into: &segments)
                    }
                default:
                    continue
                }
            }
        default:
            return
        }
    }
}
