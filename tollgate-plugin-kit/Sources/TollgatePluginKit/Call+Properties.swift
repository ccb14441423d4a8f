// Typed accessors for every TOLLGATE_PROP_*. The comment on each says in
// which hooks the host answers (pre / chunk / post); elsewhere it is nil.

extension Call {
    // MARK: Strings

    /// all: the request id (also sent as x-request-id).
    public var requestID: String? { string(TOLLGATE_PROP_REQUEST_ID) }
    /// all: "openai" or "anthropic".
    public var api: String? { string(TOLLGATE_PROP_API) }
    /// all: the model the client asked for, before any plugin.
    public var modelRequested: String? { string(TOLLGATE_PROP_MODEL_REQUESTED) }
    /// all: the current public model name (routing may change it).
    public var model: String? { string(TOLLGATE_PROP_MODEL) }
    /// all: identity of the virtual key.
    public var keyID: String? { string(TOLLGATE_PROP_KEY_ID) }
    public var org: String? { string(TOLLGATE_PROP_ORG) }
    public var team: String? { string(TOLLGATE_PROP_TEAM) }
    public var owner: String? { string(TOLLGATE_PROP_OWNER) }
    /// all: "production" or "experimentation".
    public var keyClass: String? { string(TOLLGATE_PROP_KEY_CLASS) }
    /// all: the end-user id from the body; nil when absent.
    public var endUser: String? { string(TOLLGATE_PROP_END_USER) }
    /// all: provider kind of the current model; nil if not in the catalog.
    public var provider: String? { string(TOLLGATE_PROP_PROVIDER) }
    /// chunk+post: the model that actually served (after fallbacks).
    public var modelServed: String? { string(TOLLGATE_PROP_MODEL_SERVED) }
    /// chunk+post: the deployment (catalog entry) that served.
    public var deployment: String? { string(TOLLGATE_PROP_DEPLOYMENT) }
    /// post: "success", "upstream_error", "upstream_failure", "rejected",
    /// "responded", "client_disconnect" or "aborted" (`outcomeKind` is the
    /// same as an enum; this string also carries outcomes a newer host adds).
    public var outcome: String? { string(TOLLGATE_PROP_OUTCOME) }
    /// post: the outcome as `CallOutcome`; nil outside post_call, or for an
    /// outcome this kit does not know.
    public var outcomeKind: CallOutcome? { outcome.flatMap(CallOutcome.init(rawValue:)) }
    /// post: the plugin (or "core") that rejected / responded / aborted.
    public var decidedBy: String? { string(TOLLGATE_PROP_DECIDED_BY) }
    /// post: a short reason for a non-success outcome.
    public var outcomeDetail: String? { string(TOLLGATE_PROP_OUTCOME_DETAIL) }
    /// all: the route path, e.g. "/v1/messages".
    public var route: String? { string(TOLLGATE_PROP_ROUTE) }

    // MARK: Integers

    /// all: max output tokens the request asks for; nil if unset.
    public var maxOutputTokens: Int64? { int(TOLLGATE_PROP_MAX_OUTPUT_TOKENS) }
    /// all: the client asked for a stream.
    public var isStream: Bool { int(TOLLGATE_PROP_STREAM) == 1 }
    /// all: total UTF-8 bytes of all prompt text segments.
    public var promptBytes: Int64? { int(TOLLGATE_PROP_PROMPT_BYTES) }
    /// all: size of the request body as received.
    public var bodyBytes: Int64? { int(TOLLGATE_PROP_BODY_BYTES) }
    /// all: the model's max output tokens from the catalog.
    public var catalogMaxOutput: Int64? { int(TOLLGATE_PROP_CATALOG_MAX_OUTPUT) }
    /// all: the model's context window from the catalog.
    public var contextWindow: Int64? { int(TOLLGATE_PROP_CATALOG_CONTEXT_WINDOW) }
    /// all: key expiry, Unix seconds; nil when it never expires.
    public var keyExpiresAt: Int64? { int(TOLLGATE_PROP_KEY_EXPIRES_AT) }
    /// post: HTTP status sent to the client (0 if none).
    public var status: Int64? { int(TOLLGATE_PROP_STATUS) }
    /// post: input tokens not served from cache.
    public var tokensIn: Int64? { int(TOLLGATE_PROP_TOKENS_IN) }
    /// chunk+post: output tokens (in a chunk, the running count so far).
    public var tokensOut: Int64? { int(TOLLGATE_PROP_TOKENS_OUT) }
    /// post: input tokens served from the provider's prompt cache.
    public var tokensCached: Int64? { int(TOLLGATE_PROP_TOKENS_CACHED) }
    /// post: the token counts are the host's estimate, not the provider's.
    public var usageEstimated: Bool { int(TOLLGATE_PROP_USAGE_ESTIMATED) == 1 }
    /// post: cost of the call in nano-dollars (0 if nothing was served).
    public var costNanos: Int64? { int(TOLLGATE_PROP_COST_NANOS) }
    /// post: microseconds from request received to last byte sent.
    public var latencyMicros: Int64? { int(TOLLGATE_PROP_LATENCY_US) }
    /// post: microseconds spent waiting on the upstream.
    public var upstreamMicros: Int64? { int(TOLLGATE_PROP_UPSTREAM_US) }
    /// chunk+post: the first response byte reached the client.
    public var firstByteSent: Bool { int(TOLLGATE_PROP_FIRST_BYTE_SENT) == 1 }
    /// chunk: 0-based index of the current response event.
    public var chunkIndex: Int64? { int(TOLLGATE_PROP_CHUNK_INDEX) }
    /// chunk: what the current response event is.
    public var chunkKind: ChunkKind? { int(TOLLGATE_PROP_CHUNK_KIND).map(ChunkKind.init(rawValue:)) }
    /// post: number of upstream attempts made (0 if none).
    public var upstreamAttempts: Int64? { int(TOLLGATE_PROP_UPSTREAM_ATTEMPTS) }
    /// all: when the request was received, Unix microseconds.
    public var receivedAtMicros: Int64? { int(TOLLGATE_PROP_RECEIVED_AT_US) }
}
