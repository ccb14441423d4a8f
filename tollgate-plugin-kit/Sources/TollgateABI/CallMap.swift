import CTollgatePlugin

/// A string map of a call (TOLLGATE_MAP_*): who may read and write it,
/// where. map_count / map_get / map_entry ask `readRefusal`, map_set asks
/// `writeRefusal`, after HostFunction's own rule (the call is in one of its
/// hooks).
public struct CallMap: Equatable, Sendable {
    public var id: Int32
    /// The constant's name without its prefix, in lower case.
    public var name: String
    /// Header maps match keys case-insensitively (and keep them lower-case).
    public var caseInsensitiveKeys: Bool
    public var readPhases: ABIPhases
    /// Empty: read-only (map_set answers READ_ONLY in every hook).
    public var writePhases: ABIPhases
    /// In on_chunk the map is writable only until the response headers were
    /// sent (the first event); later writes answer WRONG_PHASE.
    public var chunkWritesEndWithHeaders: Bool

    public static let requestHeaders = CallMap(id: TOLLGATE_MAP_REQUEST_HEADERS, name: "request_headers",
                                               caseInsensitiveKeys: true, readPhases: .callHooks, writePhases: [],
                                               chunkWritesEndWithHeaders: false)
    public static let attributes = CallMap(id: TOLLGATE_MAP_ATTRIBUTES, name: "attributes", caseInsensitiveKeys: false,
                                           readPhases: .callHooks, writePhases: .preCall, chunkWritesEndWithHeaders: false)
    public static let metadata = CallMap(id: TOLLGATE_MAP_METADATA, name: "metadata", caseInsensitiveKeys: false,
                                         readPhases: .callHooks, writePhases: [], chunkWritesEndWithHeaders: false)
    public static let responseHeaders = CallMap(id: TOLLGATE_MAP_RESPONSE_HEADERS, name: "response_headers",
                                                caseInsensitiveKeys: true, readPhases: .callHooks,
                                                writePhases: [.preCall, .chunk], chunkWritesEndWithHeaders: true)
    /// No upstream answer exists before on_chunk: reading it in on_pre_call
    /// is WRONG_PHASE, not NOT_FOUND.
    public static let upstreamHeaders = CallMap(id: TOLLGATE_MAP_UPSTREAM_HEADERS, name: "upstream_headers",
                                                caseInsensitiveKeys: true, readPhases: .chunkAndPost, writePhases: [],
                                                chunkWritesEndWithHeaders: false)

    public static let all: [CallMap] = [requestHeaders, attributes, metadata, responseHeaders, upstreamHeaders]

    /// The map for `id`; nil for an id the header does not define.
    public static func map(_ id: Int32) -> CallMap? {
        switch id {
        case TOLLGATE_MAP_REQUEST_HEADERS: return requestHeaders
        case TOLLGATE_MAP_ATTRIBUTES: return attributes
        case TOLLGATE_MAP_METADATA: return metadata
        case TOLLGATE_MAP_RESPONSE_HEADERS: return responseHeaders
        case TOLLGATE_MAP_UPSTREAM_HEADERS: return upstreamHeaders
        default: return nil
        }
    }

    /// nil when map `id` may be read in `phase`; else INVALID_ARGUMENT (no
    /// such map) or WRONG_PHASE.
    public static func readRefusal(_ id: Int32, in phase: ABIPhase) -> tollgate_type_status? {
        guard let map = map(id) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        return map.readPhases.contains(phase) ? nil : TOLLGATE_STATUS_WRONG_PHASE
    }

    /// nil when map `id` may be written in `phase`; else INVALID_ARGUMENT
    /// (no such map), READ_ONLY or WRONG_PHASE. `headersSent`: the response
    /// head already went to the client.
    public static func writeRefusal(_ id: Int32, in phase: ABIPhase, headersSent: Bool) -> tollgate_type_status? {
        guard let map = map(id) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        guard !map.writePhases.isEmpty else { return TOLLGATE_STATUS_READ_ONLY }
        guard map.writePhases.contains(phase), !(phase == .chunk && map.chunkWritesEndWithHeaders && headersSent) else {
            return TOLLGATE_STATUS_WRONG_PHASE
        }
        return nil
    }
}
