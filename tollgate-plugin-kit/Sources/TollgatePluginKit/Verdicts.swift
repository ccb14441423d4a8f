/// What `preCall` decides (TOLLGATE_PRE_CALL_*). `Call.reject(...)` and
/// `Call.respond(...)` set the details and return the verdict in one step.
public enum PreCallVerdict: Int32, Sendable {
    /// Go on with the next plugin, then forward the request.
    case `continue` = 0
    /// Refuse the call with the error set by `setError` (500 if none).
    case reject = 1
    /// Answer the call with the response set by `setResponse`.
    case respond = 2
    /// The plugin failed; the host applies its fail policy.
    case error = 3
}

/// What `onChunk` decides (TOLLGATE_CHUNK_*).
public enum ChunkVerdict: Int32, Sendable {
    /// Pass the event on unchanged.
    case `continue` = 0
    /// The event was changed with `setChunkText` / `setChunkRaw`.
    case replace = 1
    /// Swallow the event (usage in it is still counted).
    case drop = 2
    /// End the response now with the error set by `setError`.
    case abort = 3
    /// The plugin failed; fail-closed aborts, fail-open continues.
    case error = 4
}

/// Values of `Call.chunkKind` (TOLLGATE_CHUNK_*).
public enum ChunkKind: Equatable, Sendable {
    /// An event carrying generated text (may be "").
    case text
    /// A stream event with no text (role, tool call, ping, usage).
    case other
    /// The last event of a stream ([DONE] / message_stop).
    case end
    /// The whole body of a non-stream response.
    case body
    /// A kind added to the ABI after this kit was built.
    case unknown(Int64)

    public init(rawValue: Int64) {
        switch rawValue {
        case Int64(TOLLGATE_CHUNK_TEXT): self = .text
        case Int64(TOLLGATE_CHUNK_OTHER): self = .other
        case Int64(TOLLGATE_CHUNK_END): self = .end
        case Int64(TOLLGATE_CHUNK_BODY): self = .body
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: Int64 {
        switch self {
        case .text: return Int64(TOLLGATE_CHUNK_TEXT)
        case .other: return Int64(TOLLGATE_CHUNK_OTHER)
        case .end: return Int64(TOLLGATE_CHUNK_END)
        case .body: return Int64(TOLLGATE_CHUNK_BODY)
        case .unknown(let raw): return raw
        }
    }
}

/// Log levels for `PluginHost.log` (TOLLGATE_LOG_*).
public enum LogLevel: Int32, Sendable {
    case trace = 0, debug, info, warning, error
}
