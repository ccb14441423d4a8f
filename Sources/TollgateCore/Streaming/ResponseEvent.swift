#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgateJSON

/// What a response event is, as plugins see it (TOLLGATE_CHUNK_*).
public enum ResponseEventKind: Int32, Sendable {
    case text = 0
    case other = 1
    case end = 2
    case body = 3
}

/// One response event — an SSE event of a stream, or a whole non-stream
/// body — with lazy access to its JSON and generated text, and edits.
public struct ResponseEvent {
    public let dialect: APIDialect
    public let isStreamEvent: Bool
    /// The SSE `event:` name (Anthropic), nil otherwise.
    public let eventName: String?
    /// The event's data (stream) or the body (non-stream).
    public private(set) var data: [UInt8]
    /// The bytes as received, to forward untouched when nothing changed.
    public let raw: [UInt8]
    public private(set) var changed = false
    /// Text to emit in a synthetic text event before this one.
    public private(set) var insertedTextBefore: String?
    private var parsed: JSONValue??
    /// An OpenAI chunk's `choices[0].delta.content`, found without parsing
    /// the whole chunk (most chunks need nothing else).
    private var openAIContent: String??
    /// Where that content string lies in `data` (quotes included).
    private var openAIContentSpan: Range<Int>?
    private static let openAIContentPath: [JSONLookupStep] = [.key("choices"), .index(0), .key("delta"), .key("content")]
    /// usage(), once looked up (the core asks twice per event).
    private var foundUsage: JSONValue??

    public init(dialect: APIDialect, isStreamEvent: Bool, eventName: String?, data: [UInt8], raw: [UInt8]) {
        self.dialect = dialect
        self.isStreamEvent = isStreamEvent
        self.eventName = eventName
        self.data = data
        self.raw = raw
    }

    public mutating func json() -> JSONValue? {
        if let parsed { return parsed }
        let value = try? JSONValue.parse(data)
        parsed = .some(value)
        return value
    }

    private var isOpenAIDone: Bool {
        data.count == 6 && data.elementsEqual("[DONE]".utf8)
    }

    /// Anthropic events carry their type both as `event:` and in the JSON;
    /// the field name is enough and cheaper.
    private mutating func anthropicType() -> String? {
        eventName ?? json()?["type"]?.stringValue
    }

    public mutating func kind() -> ResponseEventKind {
        guard isStreamEvent else { return .body }
        switch dialect {
        case .openai:
            if isOpenAIDone { return .end }
            return openAIDeltaContent() != nil ? .text : .other
        case .anthropic:
            switch anthropicType() {
            case "content_block_delta"?:
                return json()?["delta"]?["type"]?.stringValue == "text_delta" ? .text : .other
            case "message_stop"?: return .end
            default: return .other
            }
        }
    }

    private mutating func openAIDeltaContent() -> String? {
        if let parsed { return parsed?["choices"]?[0]?["delta"]?["content"]?.stringValue }
        if let openAIContent { return openAIContent }
        let found = JSONValue.lookupSpan(data, Self.openAIContentPath)
        let content = found?.value.stringValue
        openAIContent = .some(content)
        openAIContentSpan = content == nil ? nil : found?.span
        return content
    }

    /// The generated text this event carries ("" when none).
    public mutating func text() -> String {
        if isStreamEvent && dialect == .openai { return openAIDeltaContent() ?? "" }
        guard let json = json() else { return "" }
        if isStreamEvent {
            switch dialect {
            case .openai: return json["choices"]?[0]?["delta"]?["content"]?.stringValue ?? ""
            case .anthropic:
                guard json["delta"]?["type"]?.stringValue == "text_delta" else { return "" }
                return json["delta"]?["text"]?.stringValue ?? ""
            }
        }
        switch dialect {
        case .openai: return json["choices"]?[0]?["message"]?["content"]?.stringValue ?? ""
        case .anthropic:
            guard case .array(let blocks)? = json["content"] else { return "" }
            return blocks.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }.joined()
        }
    }

    /// Whether the usage this event carries is the provider's final word on
    /// the output count. Anthropic's `message_start` carries a placeholder
    /// output count (typically 1) that only `message_delta` replaces; every
    /// other usage the gateway reads (OpenAI's final chunk, a whole answer,
    /// `message_delta`) is final.
    public mutating func usageHasFinalOutput() -> Bool {
        !(dialect == .anthropic && isStreamEvent && anthropicType() == "message_start")
    }

    /// The usage object this event carries, if any.
    public mutating func usage() -> JSONValue? {
        if let foundUsage { return foundUsage }
        let usage = findUsage()
        foundUsage = .some(usage)
        return usage
    }

    private static let usageKey: [UInt8] = Array("\"usage\"".utf8)

    private mutating func findUsage() -> JSONValue? {
        switch dialect {
        case .openai:
            // Cheap pre-check: most chunks carry no usage.
            guard !isStreamEvent || data.mayHaveNonNullKey(Self.usageKey) else { return nil }
            // A stream chunk often carries `"usage": null`: look the one
            // field up rather than parse the chunk.
            // A whole answer: skip over the choices to the usage rather than build them.
            let usage = parsed == nil ? JSONValue.lookup(data, [.key("usage")]) : json()?["usage"]
            if let usage, !usage.isNull { return usage }
            return nil
        case .anthropic:
            if !isStreamEvent { return parsed == nil ? JSONValue.lookup(data, [.key("usage")]) : json()?["usage"] }
            switch anthropicType() {
            case "message_start"?: return json()?["message"]?["usage"]
            case "message_delta"?: return json()?["usage"]
            default: return nil
            }
        }
    }

    /// An OpenAI chunk that only carries usage (`choices: []`), which the
    /// gateway asked for on the client's behalf.
    public mutating func isUsageOnlyChunk() -> Bool {
        guard dialect == .openai, isStreamEvent, usage() != nil else { return false }
        if case .array(let choices)? = json()?["choices"] { return choices.isEmpty }
        return false
    }

    /// Replaces the generated text. On an event that carries no text, the
    /// text goes into a synthetic text event emitted just before it.
    public mutating func setText(_ newText: String) {
        var kind = self.kind()
        if kind == .body {
            setBodyText(newText)
            return
        }
        if kind == .text, dialect == .openai, parsed == nil, let span = openAIContentSpan {
            // Splice the new string over the old one: the rest of the
            // chunk stays as it came, unparsed.
            var edited: [UInt8] = []
            edited.reserveCapacity(data.count - span.count + newText.utf8.count + 8)
            edited.append(contentsOf: data[..<span.lowerBound])
            JSONValue.string(newText).serialize(into: &edited)
            let end = edited.count
            edited.append(contentsOf: data[span.upperBound...])
            data = edited
            openAIContent = .some(newText)
            openAIContentSpan = span.lowerBound..<end
            changed = true
            return
        }
        if kind == .text, var json = json() {
            switch dialect {
            case .openai: json.replace(at: [.key("choices"), .index(0), .key("delta"), .key("content")][...], with: .string(newText))
            case .anthropic: json.replace(at: [.key("delta"), .key("text")][...], with: .string(newText))
            }
            setJSON(json)
            return
        }
        kind = .other
        insertedTextBefore = (insertedTextBefore ?? "") + newText
        changed = true
    }

    private mutating func setBodyText(_ newText: String) {
        guard var json = json() else { return }
        switch dialect {
        case .openai:
            json.replace(at: [.key("choices"), .index(0), .key("message"), .key("content")][...], with: .string(newText))
        case .anthropic:
            guard case .array(let blocks)? = json["content"] else { return }
            var replaced = false
            var newBlocks: [JSONValue] = []
            for block in blocks {
                guard block["type"]?.stringValue == "text" else {
                    newBlocks.append(block)
                    continue
                }
                if replaced { continue }
                var b = block
                b.replace(at: [.key("text")][...], with: .string(newText))
                newBlocks.append(b)
                replaced = true
            }
            json.replace(at: [.key("content")][...], with: .array(newBlocks))
        }
        setJSON(json)
    }

    public mutating func setRaw(_ bytes: [UInt8]) {
        data = bytes
        parsed = nil
        openAIContent = nil
        openAIContentSpan = nil
        foundUsage = nil
        changed = true
    }

    private mutating func setJSON(_ value: JSONValue) {
        data = value.serialized()
        parsed = .some(value)
        openAIContent = nil
        openAIContentSpan = nil
        foundUsage = nil
        changed = true
    }
}

extension Array where Element == UInt8 {
    /// False only when every `"key"` (given with its quotes) followed by a
    /// colon has the value null — or there is none: OpenAI sends
    /// `"usage":null` on every chunk when usage is asked for, and this
    /// answers that without a JSON walk. (Inside a JSON string a quote is
    /// escaped, so the quoted key followed by ':' is a key. A key spelled
    /// with \u escapes is not seen; no provider writes its ASCII keys so.)
    func mayHaveNonNullKey(_ quotedKey: [UInt8]) -> Bool {
        guard !quotedKey.isEmpty, quotedKey.count <= count else { return false }
        return withUnsafeBufferPointer { bytes in
            quotedKey.withUnsafeBufferPointer { key in
                mayHaveNonNullKey(in: bytes, key)
            }
        }
    }

    private func mayHaveNonNullKey(in bytes: UnsafeBufferPointer<UInt8>, _ quotedKey: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, let keyBase = quotedKey.baseAddress, quotedKey.count >= 2 else { return false }
        // memchr for the key's second byte, then compare the whole key: a
        // quote (the first byte) opens every JSON string, so a scan for it
        // stops everywhere; the letter after it is rare.
        var from = 1
        while from < bytes.count {
            guard let hit = memchr(base + from, Int32(quotedKey[1]), bytes.count - from) else { return false }
            let start = UnsafeRawPointer(hit) - UnsafeRawPointer(base) - 1
            from = start + 2
            guard start + quotedKey.count <= bytes.count, memcmp(base + start, keyBase, quotedKey.count) == 0 else { continue }
            var k = start + quotedKey.count
            func skipSpace() { while k < bytes.count, bytes[k] == 0x20 || bytes[k] == 0x0A || bytes[k] == 0x0D || bytes[k] == 0x09 { k += 1 } }
            skipSpace()
            guard k < bytes.count, bytes[k] == UInt8(ascii: ":") else { continue }
            k += 1
            skipSpace()
            let isNull = k + 4 <= bytes.count && bytes[k] == UInt8(ascii: "n") && bytes[k + 1] == UInt8(ascii: "u")
                && bytes[k + 2] == UInt8(ascii: "l") && bytes[k + 3] == UInt8(ascii: "l")
            if !isNull { return true }
            from = k + 4
        }
        return false
    }
}
