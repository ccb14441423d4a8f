import TollgateJSON
import TollgateSupport
import TollgateUnits

/// One provider API's wire format: everything the core needs to read a call
/// made in that API, answer it, account for it and forward it. The core
/// asks `dialect.wire`; it never switches on the dialect.
///
/// An implementation is a caseless enum: every requirement is static, so a
/// call through `any ProviderDialect.Type` is a witness-table call on a
/// metatype — no existential box, no allocation — and the per-event
/// requirements read and edit the `ResponseEvent` in place.
///
/// Adding a provider API: a file implementing this protocol, a case in
/// `APIDialect` and a line in `APIDialect.wire`. DialectCompletenessTests
/// runs a request, an error and a stream with usage through every
/// registered dialect.
package protocol ProviderDialect {
    // MARK: the route and the catalog

    /// The route clients call, e.g. "/v1/chat/completions".
    static var route: String { get }

    /// A base URL quoted by the config error that asks for one.
    static var exampleBaseURL: String { get }

    // MARK: the request (the canonical view)

    /// Fields that may hold the output-token limit, in the order they are
    /// read: the first one present and not null counts. An edit writes the
    /// first one the request already has, else the last one.
    static var maxOutputTokensFields: [String] { get }

    /// Who the end user is, as the client said.
    static func endUser(in root: JSONObject) -> String?

    /// Every text part of every message, system prompt included, in order
    /// (PromptSegmentReader has the parts both dialects share).
    static func promptSegments(in root: JSONObject) -> [PromptSegment]

    /// The client asked for the stream's usage chunk itself (so the gateway
    /// must not hide it). Default: false.
    static func clientAskedForStreamUsage(_ root: JSONObject) -> Bool

    /// Adds what the gateway needs upstream to account for the call and
    /// the client did not ask for (OpenAI: the usage chunk of a stream).
    /// Returns false, `body` untouched, when nothing is needed. Default:
    /// nothing.
    static func addAccountingFields(to body: inout JSONObject, for request: CanonicalRequest) -> Bool

    // MARK: errors

    /// The error body on this route (status and headers are the same in
    /// every dialect: GatewayError.responseHeaders).
    static func errorBody(_ error: GatewayError) -> [UInt8]

    /// The SSE event name of a terminal error event, nil for a bare
    /// `data:` event.
    static var errorEventName: String? { get }

    // MARK: response events (per chunk: no allocation unless asked for text or an edit)

    /// A stream event's kind (a whole body is `.body` without asking).
    static func streamEventKind(_ event: inout ResponseEvent) -> ResponseEventKind

    /// The generated text a stream event carries ("" when none).
    static func streamText(_ event: inout ResponseEvent) -> String

    /// The generated text of a whole non-stream answer.
    static func bodyText(_ event: inout ResponseEvent) -> String

    /// Replaces the text of a `.text` stream event; false when it cannot
    /// (the text then goes into a synthetic event before this one).
    static func replaceStreamText(with text: String, in event: inout ResponseEvent) -> Bool

    /// Replaces the text of a whole answer.
    static func replaceBodyText(with text: String, in event: inout ResponseEvent)

    /// The usage object the event carries, if any (looked up once per
    /// event by ResponseEvent).
    static func findUsage(in event: inout ResponseEvent) -> JSONValue?

    /// Whether that usage's output count is the provider's final word.
    /// Default: true.
    static func usageHasFinalOutput(_ event: inout ResponseEvent) -> Bool

    /// A chunk that carries only usage the gateway asked for on the
    /// client's behalf (hidden from a client that did not). Default: false.
    static func isUsageOnlyChunk(_ event: inout ResponseEvent) -> Bool

    /// A usage object in Tollgate's canonical split (TokenUsage).
    static func readUsage(_ usage: JSONValue, finalOutput: Bool) -> UsageReading

    // MARK: synthetic text events

    /// Keeps what a synthetic text event needs from the stream so far.
    /// Runs on every event of a stream with chunk hooks: must not parse
    /// every event.
    static func observe(_ event: inout ResponseEvent, into template: inout StreamTemplate)

    /// A text event the provider did not send, carrying `text`.
    static func syntheticTextEvent(_ text: String, template: StreamTemplate) -> (name: String?, data: JSONValue)

    // MARK: the upstream request

    /// The path after the deployment's base URL (no trailing slash).
    static func upstreamPath(base: String) -> String

    /// The header that carries the provider key.
    static func credentialHeader(key: String) -> (String, String)

    /// Client headers the provider needs to see as sent.
    static var forwardedClientHeaders: [String] { get }

    /// Headers the provider requires, sent when the client did not send
    /// them. Default: none.
    static var defaultUpstreamHeaders: [(String, String)] { get }
}

extension ProviderDialect {
    package static func clientAskedForStreamUsage(_ root: JSONObject) -> Bool { false }
    package static func addAccountingFields(to body: inout JSONObject, for request: CanonicalRequest) -> Bool { false }
    package static func usageHasFinalOutput(_ event: inout ResponseEvent) -> Bool { true }
    package static func isUsageOnlyChunk(_ event: inout ResponseEvent) -> Bool { false }
    package static var defaultUpstreamHeaders: [(String, String)] { [] }
}

/// What one usage object says, in Tollgate's canonical split (`input`
/// without cached prompt tokens); nil where it says nothing.
package struct UsageReading: Equatable {
    var input: Int64?
    var output: Int64?
    var cached: Int64?

    /// A provider's count; a negative one is no count (the figure is
    /// estimated instead).
    static func count(_ value: JSONValue?) -> Int64? {
        value?.int64Value.flatMap { $0 >= 0 ? $0 : nil }
    }
}
