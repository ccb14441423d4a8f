#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgateJSON
import TollgateSupport
import TollgateUnits

/// What a response event is, as plugins see it (TOLLGATE_CHUNK_*).
package enum ResponseEventKind: Int32, Sendable {
    case text = 0
    case other = 1
    case end = 2
    case body = 3
}

/// One response event — an SSE event of a stream, or a whole non-stream
/// body — with lazy access to its JSON and generated text, and edits. What
/// the event means is its dialect's business (`dialect.wire`); this type
/// keeps the bytes and what was found in them.
package struct ResponseEvent {
    package let dialect: APIDialect
    package let isStreamEvent: Bool
    /// The SSE `event:` name (Anthropic), nil otherwise.
    package let eventName: String?
    /// The event's data (stream) or the body (non-stream).
    package private(set) var data: [UInt8]
    /// The bytes as received, to forward untouched when nothing changed.
    package let raw: [UInt8]
    package private(set) var changed = false
    /// Text to emit in a synthetic text event before this one.
    package private(set) var insertedTextBefore: String?
    /// The parsed data, once parsed (nil inside: not JSON).
    private(set) var parsed: JSONValue??
    /// A string the dialect found without parsing the whole event (an
    /// OpenAI chunk's text), once looked up.
    private var foundQuickString: String??
    /// Where that string lies in `data` (quotes included), for a splice.
    private var quickStringSpan: Range<Int>?
    /// usage(), once looked up (the core asks twice per event).
    private var foundUsage: JSONValue??

    package init(dialect: APIDialect, isStreamEvent: Bool, eventName: String?, data: [UInt8], raw: [UInt8]) {
        self.dialect = dialect
        self.isStreamEvent = isStreamEvent
        self.eventName = eventName
        self.data = data
        self.raw = raw
    }

    package mutating func json() -> JSONValue? {
        if let parsed { return parsed }
        let value = try? JSONValue.parse(data)
        parsed = .some(value)
        return value
    }

    package mutating func kind() -> ResponseEventKind {
        guard isStreamEvent else { return .body }
        return dialect.wire.streamEventKind(&self)
    }

    /// The generated text this event carries ("" when none).
    package mutating func text() -> String {
        isStreamEvent ? dialect.wire.streamText(&self) : dialect.wire.bodyText(&self)
    }

    /// Whether the usage this event carries is the provider's final word on
    /// the output count. Anthropic's `message_start` carries a placeholder
    /// output count (typically 1) that only `message_delta` replaces; every
    /// other usage the gateway reads (OpenAI's final chunk, a whole answer,
    /// `message_delta`) is final.
    package mutating func usageHasFinalOutput() -> Bool {
        dialect.wire.usageHasFinalOutput(&self)
    }

    /// The usage object this event carries, if any.
    package mutating func usage() -> JSONValue? {
        if let foundUsage { return foundUsage }
        let usage = dialect.wire.findUsage(in: &self)
        foundUsage = .some(usage)
        return usage
    }

    /// A chunk that only carries usage the gateway asked for on the
    /// client's behalf (OpenAI's final chunk, `choices: []`).
    package mutating func isUsageOnlyChunk() -> Bool {
        dialect.wire.isUsageOnlyChunk(&self)
    }

    /// Replaces the generated text. On an event that carries no text, the
    /// text goes into a synthetic text event emitted just before it.
    package mutating func setText(_ newText: String) {
        switch kind() {
        case .body:
            dialect.wire.replaceBodyText(with: newText, in: &self)
            return
        case .text:
            if dialect.wire.replaceStreamText(with: newText, in: &self) { return }
        case .other, .end:
            break
        }
        insertedTextBefore = (insertedTextBefore ?? "") + newText
        changed = true
    }

    package mutating func setRaw(_ bytes: [UInt8]) {
        data = bytes
        parsed = nil
        foundQuickString = nil
        quickStringSpan = nil
        foundUsage = nil
        changed = true
    }

    /// Replaces the data with `value` serialised.
    mutating func setJSON(_ value: JSONValue) {
        data = value.serialized()
        parsed = .some(value)
        foundQuickString = nil
        quickStringSpan = nil
        foundUsage = nil
        changed = true
    }

    // MARK: for dialects: one string without a parse

    /// The string at `path`, looked up without parsing the event (once;
    /// the dialect asks the parsed JSON instead when there is one). Its
    /// span is kept for `spliceQuickString`.
    mutating func quickString(at path: [JSONLookupStep]) -> String? {
        if let foundQuickString { return foundQuickString }
        let found = JSONValue.lookupSpan(data, path)
        let string = found?.value.stringValue
        foundQuickString = .some(string)
        quickStringSpan = string == nil ? nil : found?.span
        return string
    }

    /// Writes `newString` over the string `quickString(at:)` found, the rest
    /// of the data as it came; false when there is none to write over (or
    /// the event was parsed since, and must be edited as JSON).
    mutating func spliceQuickString(_ newString: String) -> Bool {
        guard parsed == nil, let span = quickStringSpan else { return false }
        var edited: [UInt8] = []
        edited.reserveCapacity(data.count - span.count + newString.utf8.count + 8)
        edited.append(contentsOf: data[..<span.lowerBound])
        JSONValue.string(newString).serialize(into: &edited)
        let end = edited.count
        edited.append(contentsOf: data[span.upperBound...])
        data = edited
        foundQuickString = .some(newString)
        quickStringSpan = span.lowerBound..<end
        changed = true
        return true
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
