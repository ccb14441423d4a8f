import TollgateSupport
import TollgateJSON
import TollgateUnits

/// One server-sent event as it crossed the wire.
package struct SSEEvent: Sendable, Equatable {
    /// The complete event bytes as received, including the blank line that
    /// ended it, so an unchanged event is forwarded byte-for-byte. Blank lines
    /// before the event's first line belong to it too.
    package var raw: [UInt8]
    /// The value of the last `event:` field, if any.
    package var event: String?
    /// The `data:` lines joined with "\n" (one leading space after the colon
    /// removed, per the SSE spec).
    package var data: [UInt8]
    /// Whether any `data` field was present (a comment-only keep-alive has none).
    package var hasData: Bool

    package init(raw: [UInt8], event: String? = nil, data: [UInt8] = [], hasData: Bool = false) {
        self.raw = raw
        self.event = event
        self.data = data
        self.hasData = hasData
    }

    /// `data` as text (invalid UTF-8 is repaired).
    package var dataString: String { String(decoding: data, as: UTF8.self) }
}

/// An event grew past the splitter's `maxEventBytes` without ending: the
/// upstream is broken or hostile; the caller should abort the stream.
package struct SSEEventTooLarge: Error, Equatable, Sendable, CustomStringConvertible {
    package var limit: Int
    package var description: String {
        "upstream sent a server-sent event larger than \(limit) bytes; the stream was aborted"
    }
}
