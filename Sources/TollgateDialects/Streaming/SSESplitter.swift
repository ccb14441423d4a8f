import NIOCore
import TollgateJSON
import TollgateSupport
import TollgateUnits

/// Splits a byte stream into server-sent events, whatever the chunking.
///
/// Lines may end in CRLF, LF or CR; an event ends at a blank line. Because a
/// CR may be the first half of a CRLF, an event whose final blank line ends
/// in a bare CR is held until the next byte (or `finish()`) shows whether an
/// LF follows, so `raw` always holds the whole terminator.
///
/// Errors: an event larger than `maxEventBytes` throws `SSEEventTooLarge`.
/// Events completed earlier in the same feed are returned first; the error
/// is thrown by the next `feed` / `finish` call.
package struct SSESplitter {
    package let maxEventBytes: Int

    /// Bytes of the event being assembled (plus unscanned input).
    private var pending: [UInt8] = []
    /// Next byte of `pending` to examine.
    private var scanIndex = 0
    /// Start of the current line in `pending`.
    private var lineStart = 0
    /// The previous byte was a CR ending a line: an LF now belongs to it.
    private var afterCR = false
    /// The current event has at least one non-blank line.
    private var eventHasLines = false
    /// The event ended at a blank line terminated by a bare CR; emit it once
    /// the next byte (maybe its LF) is seen.
    private var heldEventEnd: Int? = nil
    private var overflowed = false

    package init(maxEventBytes: Int = 1 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    package mutating func feed(_ buffer: ByteBuffer) throws -> [SSEEvent] {
        try feed(buffer.readableBytesView)
    }

    /// Returns the events completed by `bytes`, in order (often none).
    package mutating func feed(_ bytes: some Collection<UInt8>) throws -> [SSEEvent] {
        if overflowed { throw SSEEventTooLarge(limit: maxEventBytes) }
        pending.append(contentsOf: bytes)
        var events: [SSEEvent] = []
        var consumed = 0  // bytes of `pending` already emitted as events
        let count = pending.count
        do {
        let snapshot = pending  // shares storage; lets the closure mutate the other fields
        snapshot.withUnsafeBufferPointer { buf in
            var i = scanIndex
            while i < count {
                if heldEventEnd == nil && !afterCR {
                    // Most bytes are inside a line: run to the next line
                    // ending without the state checks below.
                    i = Self.lineEnding(buf, from: i, to: count)
                    if i == count { break }
                }
                let byte = buf[i]
                if let end = heldEventEnd {
                    heldEventEnd = nil
                    afterCR = false
                    let eventEnd = byte == 0x0A ? end + 1 : end
                    events.append(Self.makeEvent(buf, consumed, eventEnd))
                    consumed = eventEnd
                    lineStart = eventEnd
                    eventHasLines = false
                    i = eventEnd
                    continue
                }
                if afterCR {
                    afterCR = false
                    if byte == 0x0A {
                        i += 1
                        lineStart = i
                        continue
                    }
                }
                guard byte == 0x0A || byte == 0x0D else {
                    i += 1
                    continue
                }
                let isBlank = i == lineStart
                if byte == 0x0D { afterCR = true }
                i += 1
                if !isBlank {
                    eventHasLines = true
                    lineStart = i
                    continue
                }
                lineStart = i
                guard eventHasLines else { continue }  // leading blank lines join the next event
                if byte == 0x0D {
                    heldEventEnd = i
                    continue
                }
                events.append(Self.makeEvent(buf, consumed, i))
                consumed = i
                eventHasLines = false
            }
            scanIndex = i
        }
        }
        if consumed > 0 {
            if consumed == count {
                // Everything emitted (the usual case): let the buffer go, so
                // a stream waiting for its next chunk holds no read-sized one.
                pending = []
            } else {
                pending.removeSubrange(0..<consumed)
            }
            scanIndex -= consumed
            lineStart -= consumed
            if let end = heldEventEnd { heldEventEnd = end - consumed }
        }
        let tooLarge = pending.count > maxEventBytes || events.contains { $0.raw.count > maxEventBytes }
        if tooLarge {
            overflowed = true
            events.removeAll { $0.raw.count > maxEventBytes }
            if events.isEmpty { throw SSEEventTooLarge(limit: maxEventBytes) }
        }
        return events
    }

    /// The stream ended: returns a trailing event that had no blank line
    /// after it (its last line is parsed even without a line ending), if any.
    package mutating func finish() throws -> SSEEvent? {
        if overflowed { throw SSEEventTooLarge(limit: maxEventBytes) }
        defer {
            pending.removeAll(keepingCapacity: true)
            scanIndex = 0
            lineStart = 0
            afterCR = false
            eventHasLines = false
            heldEventEnd = nil
        }
        guard !pending.isEmpty else { return nil }
        return pending.withUnsafeBufferPointer { Self.makeEvent($0, 0, $0.count) }
    }

    /// The index of the first CR or LF in `buf[from..<to]`, else `to`,
    /// eight bytes at a time.
    static func lineEnding(_ buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        ByteScan.first(in: buf, from: from, to: to, flags: { ByteScan.equal($0, 0x0A) | ByteScan.equal($0, 0x0D) },
                       matches: { $0 == 0x0A || $0 == 0x0D })
    }

    /// Parses the fields of `buf[start..<end]`, one whole event.
    private static func makeEvent(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> SSEEvent {
        var event = SSEEvent(raw: Array(UnsafeBufferPointer(rebasing: buf[start..<end])))
        var i = start
        while i < end {
            let lineEnd = lineEnding(buf, from: i, to: end)
            if lineEnd > i { parseField(buf, i, lineEnd, into: &event) }
            i = lineEnd
            if i < end, buf[i] == 0x0D { i += 1 }
            if i < end, buf[i] == 0x0A { i += 1 }
        }
        return event
    }

    private static func parseField(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into event: inout SSEEvent) {
        if buf[start] == UInt8(ascii: ":") { return }  // comment
        var colon = start
        while colon < end, buf[colon] != UInt8(ascii: ":") { colon += 1 }
        var valueStart = min(colon + 1, end)
        if valueStart < end, buf[valueStart] == 0x20 { valueStart += 1 }
        let name = UnsafeBufferPointer(rebasing: buf[start..<colon])
        let value = UnsafeBufferPointer(rebasing: buf[valueStart..<end])
        if name.elementsEqual("data".utf8) {
            if event.hasData { event.data.append(0x0A) }
            event.data.append(contentsOf: value)
            event.hasData = true
        } else if name.elementsEqual("event".utf8) {
            event.event = String(decoding: value, as: UTF8.self)
        }
    }
}
