import TollgateJSON
import TollgateSupport
import TollgateUnits

/// The provider-neutral view of a chat request, parsed once from the body.
/// Plugins read and edit the request through it; the body is re-serialised
/// only when something changed.
package final class CanonicalRequest {
    package let dialect: APIDialect
    package private(set) var root: JSONObject
    package private(set) var model: String
    package private(set) var maxOutputTokens: Int64?
    package private(set) var stream: Bool
    /// The client asked for the stream's usage chunk itself (OpenAI's
    /// `stream_options.include_usage`), so the gateway must not hide it.
    package private(set) var clientWantsStreamUsage: Bool
    package private(set) var segments: [PromptSegment]
    package private(set) var metadata: [(String, String)]
    package private(set) var endUser: String?
    package private(set) var promptBytes: Int
    package let receivedBodyBytes: Int
    /// True once anything was edited; the original bytes are stale then.
    package private(set) var edited = false
    private var originalBody: [UInt8]?
    private var cachedBody: [UInt8]?

    package init(dialect: APIDialect, body: [UInt8]) throws {
        self.dialect = dialect
        self.receivedBodyBytes = body.count
        let value: JSONValue
        do {
            value = try JSONValue.parse(body)
        } catch let error as JSONParseError {
            throw GatewayError.invalidRequest("The request body is not valid JSON (\(error.message) at byte \(error.offset)).")
        }
        guard case .object(let object) = value else {
            throw GatewayError.invalidRequest("The request body must be a JSON object.")
        }
        self.root = object
        self.model = ""
        self.stream = false
        self.clientWantsStreamUsage = false
        self.segments = []
        self.metadata = []
        self.promptBytes = 0
        self.originalBody = body
        try readFields()
    }

    /// (Re)reads every derived field from `root`.
    private func readFields() throws {
        guard let model = root["model"]?.stringValue, !model.isEmpty else {
            throw GatewayError.invalidRequest("'model' is required and must be a non-empty string.")
        }
        self.model = model
        guard case .array = root["messages"] ?? .null else {
            throw GatewayError.invalidRequest("'messages' is required and must be an array.")
        }
        switch root["stream"] {
        case nil, .null?: stream = false
        case .bool(let b)?: stream = b
        default: throw GatewayError.invalidRequest("'stream' must be a boolean.")
        }
        maxOutputTokens = try readMaxTokens()
        let wire = dialect.wire
        clientWantsStreamUsage = wire.clientAskedForStreamUsage(root)
        segments = wire.promptSegments(in: root)
        promptBytes = segments.reduce(0) { $0 + $1.text.utf8.count }
        metadata = []
        if case .object(let meta)? = root["metadata"] {
            for entry in meta.entries {
                if let s = entry.value.stringValue { metadata.append((entry.key, s)) }
            }
        }
        endUser = wire.endUser(in: root)
    }

    private func readMaxTokens() throws -> Int64? {
        for name in dialect.wire.maxOutputTokensFields {
            guard let value = root[name], !value.isNull else { continue }
            guard let n = value.int64Value, n > 0 else {
                throw GatewayError.invalidRequest("'\(name)' must be a positive integer.")
            }
            return n
        }
        return nil
    }

    // MARK: edits

    package func setModel(_ model: String) {
        guard model != self.model else { return }
        self.model = model
        root["model"] = .string(model)
        markEdited()
    }

    /// Writes the dialect's field the request already has, else its last
    /// one (OpenAI: `max_completion_tokens` if sent, else `max_tokens`).
    package func setMaxOutputTokens(_ tokens: Int64) {
        let fields = dialect.wire.maxOutputTokensFields
        let name = fields.first { root[$0]?.isNull == false } ?? fields[fields.count - 1]
        root[name] = .int(tokens)
        maxOutputTokens = tokens
        markEdited()
    }

    /// Returns false when the index is out of range.
    @discardableResult
    package func setSegment(_ index: Int, text: String) -> Bool {
        guard segments.indices.contains(index) else { return false }
        let old = segments[index]
        var rootValue = JSONValue.object(root)
        rootValue.replace(at: old.path[...], with: .string(text))
        if case .object(let object) = rootValue { root = object }
        promptBytes += text.utf8.count - old.text.utf8.count
        segments[index].text = text
        markEdited()
        return true
    }

    /// Replaces the whole body. Throws a GatewayError when it is not a
    /// valid request; the view is unchanged then.
    package func setBody(_ body: [UInt8]) throws {
        let replacement = try CanonicalRequest(dialect: dialect, body: body)
        root = replacement.root
        try readFields()
        markEdited()
    }

    private func markEdited() {
        edited = true
        originalBody = nil
        cachedBody = nil
    }

    /// The body as plugins see it: the original bytes until an edit.
    package var body: [UInt8] {
        if let originalBody { return originalBody }
        if let cachedBody { return cachedBody }
        let bytes = JSONValue.object(root).serialized()
        cachedBody = bytes
        return bytes
    }

    /// The body to send upstream: the upstream model id in place of the
    /// public name, and what the dialect needs to account for the call
    /// (for OpenAI streams, a request for the usage chunk).
    package func upstreamBody(upstreamModel: String) -> [UInt8] {
        var object = root
        let added = dialect.wire.addAccountingFields(to: &object, for: self)
        if upstreamModel == model && !added { return body }
        object["model"] = .string(upstreamModel)
        return JSONValue.object(object).serialized()
    }
}

extension JSONValue {
    /// Replaces the value at `path`; a path that does not exist is ignored.
    mutating func replace(at path: ArraySlice<PromptSegment.PathComponent>, with newValue: JSONValue) {
        guard let first = path.first else {
            self = newValue
            return
        }
        switch (first, self) {
        case (.key(let key), .object(var object)):
            guard var child = object[key] else { return }
            self = .null  // drop our reference so `object` is uniquely owned
            child.replace(at: path.dropFirst(), with: newValue)
            object[key] = child
            self = .object(object)
        case (.index(let i), .array(var array)):
            guard array.indices.contains(i) else { return }
            self = .null
            array[i].replace(at: path.dropFirst(), with: newValue)
            self = .array(array)
        default:
            return
        }
    }
}
