// The current response event. onChunk only.

extension Call {
    /// The generated text of the event ("" for events with none), after
    /// edits by earlier plugins.
    public var chunkText: String? {
        var out = tollgate_type_str()
        guard let get = hostAPI.pointee.get_chunk_text, get(handle, &out) == TOLLGATE_STATUS_OK else { return nil }
        return String(tollgate: out)
    }

    /// Replaces the event's text; on an event with no text the host emits a
    /// text event just before it. Return `.replace`.
    @discardableResult
    public func setChunkText(_ text: String) -> HostStatus {
        guard let set = hostAPI.pointee.set_chunk_text else { return .internalError }
        return withTollgateStr(text) { HostStatus(rawValue: set(handle, $0)) }
    }

    /// The raw bytes of the event: the JSON after "data: " for a stream
    /// event, or the whole body of a non-stream response.
    public var chunkRaw: String? {
        var out = tollgate_type_str()
        guard let get = hostAPI.pointee.get_chunk_raw, get(handle, &out) == TOLLGATE_STATUS_OK else { return nil }
        return String(tollgate: out)
    }

    /// Replaces the raw bytes of the event. Return `.replace`.
    @discardableResult
    public func setChunkRaw(_ raw: String) -> HostStatus {
        guard let set = hostAPI.pointee.set_chunk_raw else { return .internalError }
        return withTollgateStr(raw) { HostStatus(rawValue: set(handle, $0)) }
    }

    /// Replaces the event's text and returns `.replace` (`.error` if the
    /// host refused).
    public func replaceChunkText(_ text: String) -> ChunkVerdict {
        setChunkText(text).isOK ? .replace : .error
    }
}
