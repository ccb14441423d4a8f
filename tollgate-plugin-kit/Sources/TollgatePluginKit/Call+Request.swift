/// One prompt text segment: a text part of a message, system included.
public struct PromptSegment: Equatable, Sendable {
    public var index: Int
    public var text: String
    /// "system", "user", "assistant" or "tool".
    public var role: String

    public init(index: Int, text: String, role: String) {
        self.index = index
        self.text = text
        self.role = role
    }
}

// The canonical request view. Edits are allowed in preCall only (the host
// answers WRONG_PHASE elsewhere).
extension Call {
    /// Routes the call to another public model name. The core checks after
    /// the pre-call chain that it is in the catalog and the key's scope.
    @discardableResult
    public func setModel(_ model: String) -> HostStatus {
        guard let set = hostAPI.pointee.set_model else { return .internalError }
        return withTollgateStr(model) { HostStatus(rawValue: set(handle, $0)) }
    }

    /// Sets the request's max output tokens (must be > 0).
    @discardableResult
    public func setMaxOutputTokens(_ tokens: Int64) -> HostStatus {
        guard let set = hostAPI.pointee.set_max_output_tokens else { return .internalError }
        return HostStatus(rawValue: set(handle, tokens))
    }

    /// Number of prompt text segments; 0 if the host does not answer.
    public var promptSegmentCount: Int {
        var count = 0
        guard let get = hostAPI.pointee.prompt_segment_count, get(handle, &count) == TOLLGATE_STATUS_OK else { return 0 }
        return count
    }

    /// Segment `index` as it reads now (after edits by earlier plugins).
    public func promptSegment(at index: Int) -> (text: String, role: String)? {
        guard index >= 0, let get = hostAPI.pointee.get_prompt_segment else { return nil }
        var text = tollgate_type_str()
        var role = tollgate_type_str()
        guard get(handle, index, &text, &role) == TOLLGATE_STATUS_OK else { return nil }
        return (String(tollgate: text), String(tollgate: role))
    }

    /// Replaces the text of segment `index`.
    @discardableResult
    public func setPromptSegment(at index: Int, text: String) -> HostStatus {
        guard index >= 0 else { return .invalidArgument }
        guard let set = hostAPI.pointee.set_prompt_segment else { return .internalError }
        return withTollgateStr(text) { HostStatus(rawValue: set(handle, index, $0)) }
    }

    /// Every prompt segment, in document order.
    public var promptSegments: [PromptSegment] {
        let count = promptSegmentCount
        var segments: [PromptSegment] = []
        segments.reserveCapacity(count)
        for index in 0..<count {
            guard let segment = promptSegment(at: index) else { break }
            segments.append(PromptSegment(index: index, text: segment.text, role: segment.role))
        }
        return segments
    }

    /// The request body as it will be sent upstream (with the public model
    /// name). Copies the body: prefer the view's accessors on hot paths.
    public var body: String? {
        var out = tollgate_type_str()
        guard let get = hostAPI.pointee.get_body, get(handle, &out) == TOLLGATE_STATUS_OK else { return nil }
        return String(tollgate: out)
    }

    /// The body parsed as JSON.
    public var bodyJSON: JSONValue? {
        var out = tollgate_type_str()
        guard let get = hostAPI.pointee.get_body, get(handle, &out) == TOLLGATE_STATUS_OK else { return nil }
        guard let ptr = out.ptr else { return nil }
        return try? JSONValue.parse(UnsafeRawBufferPointer(start: ptr, count: out.len))
    }

    /// Replaces the whole body; the host re-reads model, max tokens, stream
    /// flag and prompt segments from it. INVALID_ARGUMENT if it does not
    /// parse as a JSON object for the call's API.
    @discardableResult
    public func setBody(_ body: String) -> HostStatus {
        guard let set = hostAPI.pointee.set_body else { return .internalError }
        return withTollgateStr(body) { HostStatus(rawValue: set(handle, $0)) }
    }

    @discardableResult
    public func setBody(_ body: JSONValue) -> HostStatus {
        setBody(body.jsonString)
    }
}
