import TollgateJSON
import TollgateSupport
import TollgateUnits

/// What a synthetic text event needs from the stream so far (the chunk id,
/// created time and model for OpenAI; the open content block for
/// Anthropic), kept by the dialect under its own field names.
package struct StreamTemplate {
    package init() {}

    /// Fields copied from the stream's events.
    var fields = JSONObject()
    /// The dialect has what it needs and looks at no further event.
    var complete = false

    /// Called on every event of a stream with chunk hooks: the dialect
    /// must not parse each one.
    package mutating func observe(_ event: inout ResponseEvent) {
        guard !complete else { return }
        event.dialect.wire.observe(&event, into: &self)
    }

    package func syntheticTextEvent(_ text: String, dialect: APIDialect) -> [UInt8] {
        let event = dialect.wire.syntheticTextEvent(text, template: self)
        return SSEFraming.frame(name: event.name, data: event.data.serialized())
    }
}
