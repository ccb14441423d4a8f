import TollgatePluginKit

/// One request as the fake host presents it to a plugin under test. Build
/// it with what the request looks like, run it through `PluginUnderTest`,
/// then read what the plugin did (model, segments, attributes, response
/// headers, error, response, chunk edits).
///
/// This is a FAKE host for testing plugins: it follows the ABI's phase and
/// memory rules, but it is not the gateway (no upstream, no real parsing of
/// provider bodies beyond the common shapes, one message per prompt
/// segment).
public final class FakeCall {
    public enum API: String, Sendable {
        case openai, anthropic
    }

    /// The virtual key's identity.
    public struct Identity: Equatable, Sendable {
        public var keyID: String
        public var org: String
        public var team: String
        public var owner: String
        /// "production" or "experimentation".
        public var keyClass: String

        public init(keyID: String = "test-key", org: String = "acme", team: String = "payments",
                    owner: String = "lead@example.com", keyClass: String = "production") {
            self.keyID = keyID
            self.org = org
            self.team = team
            self.owner = owner
            self.keyClass = keyClass
        }
    }

    /// The error a plugin set with set_error.
    public struct ErrorDetails: Equatable, Sendable {
        public var status: UInt16
        public var type: String
        public var code: String
        public var message: String

        public init(status: UInt16, type: String, code: String, message: String) {
            self.status = status
            self.type = type
            self.code = code
            self.message = message
        }
    }

    /// The synthetic response a plugin set with set_response.
    public struct Response: Equatable, Sendable {
        public var status: UInt16
        public var contentType: String
        public var body: String

        public init(status: UInt16, contentType: String, body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    /// Where the call is (TollgateABI's phases): between hooks every
    /// callback answers WRONG_PHASE, as the handle is then invalid.
    typealias Phase = ABIPhase

    // MARK: The request (plugins may edit in preCall)

    public var api: API
    public var requestID: String
    public var route: String
    public let modelRequested: String
    public var model: String
    public var maxOutputTokens: Int64?
    public var stream: Bool
    /// The prompt text segments as (role, text), in document order.
    public var prompt: [(role: String, text: String)]
    public var requestHeaders: [(key: String, value: String)]
    public var metadata: [(key: String, value: String)]
    public var identity: Identity
    public var endUser: String?
    /// Provider kind of the model; nil means "mock" for a catalog model and
    /// NOT_FOUND otherwise.
    public var provider: String?
    public var catalogMaxOutput: Int64?
    public var contextWindow: Int64?
    public var keyExpiresAt: Int64?
    /// Which grants of the fake host's table (indices, root first) the
    /// call is on: what call_grants answers (ABI 1.5).
    public var grantPath: [Int] = []
    public var receivedAtMicros: Int64
    /// Size of the body as received (defaults to the rendered body's size).
    public var bodyBytes: Int64

    // MARK: What plugins wrote

    public internal(set) var attributes: [(key: String, value: String)] = []
    public internal(set) var responseHeaders: [(key: String, value: String)] = []
    public internal(set) var error: ErrorDetails?
    public internal(set) var response: Response?
    /// Every body a plugin set with set_body, in order.
    public internal(set) var bodiesSet: [String] = []

    // MARK: The response side (set by the test or by PluginUnderTest)

    public var upstreamHeaders: [(key: String, value: String)] = []
    public var modelServed: String?
    public var deployment: String?
    public var outcome: String?
    public var decidedBy: String?
    public var outcomeDetail: String?
    public var status: Int64?
    public var tokensIn: Int64?
    public var tokensOut: Int64?
    public var tokensCached: Int64?
    public var usageEstimated = false
    /// nil: computed from the catalog price of the served model.
    public var costNanos: Int64?
    public var latencyMicros: Int64?
    public var upstreamMicros: Int64?
    public var firstByteSent = false
    public var upstreamAttempts: Int64?

    // MARK: Routing (ABI 1.2; FakeHostTable+Routing.swift)

    /// The list the plugin set with set_fallback_models (empty if none).
    public internal(set) var fallbackModels: [String] = []
    /// The deployment the plugin pinned with set_deployment; a set_model
    /// to another model clears it, as in the gateway.
    public internal(set) var pinnedDeployment: String?
    /// Deployment names per public model, for set_deployment. A catalog
    /// model not listed has one deployment named after it.
    public var catalogDeployments: [String: [String]] = [:]

    // MARK: The current chunk

    public internal(set) var chunkIndex: Int64 = -1
    public internal(set) var chunkKind: ChunkKind = .text
    public internal(set) var chunkText = ""
    public internal(set) var chunkRaw = ""
    public internal(set) var chunkTextReplaced = false
    public internal(set) var chunkRawReplaced = false

    // MARK: Bookkeeping of the hooks this call went through

    /// The plugin entered the request (its pre_call ran, or the chain
    /// reached it): it is owed exactly one post_call.
    public internal(set) var entered = false
    public internal(set) var preCallCount = 0
    public internal(set) var chunkCount = 0
    public internal(set) var postCallCount = 0
    /// The call_state the plugin stored in pre_call (nil after post_call).
    public internal(set) var callState: UnsafeMutableRawPointer?

    var phase: Phase = .idle
    weak var host: FakeHost?
    /// Copies lent to the plugin during the current hook.
    private var borrowed = BorrowedCopies()

    public init(
        api: API = .openai,
        model: String = "small",
        maxOutputTokens: Int64? = nil,
        stream: Bool = false,
        prompt: [(String, String)] = [("user", "Hello")],
        headers: [(String, String)] = [],
        identity: Identity = Identity(),
        metadata: [(String, String)] = [],
        endUser: String? = nil,
        requestID: String = "req-1",
        receivedAtMicros: Int64 = 1_767_225_600_000_000
    ) {
        self.api = api
        self.model = model
        modelRequested = model
        self.maxOutputTokens = maxOutputTokens
        self.stream = stream
        self.prompt = prompt.map { (role: $0.0, text: $0.1) }
        requestHeaders = headers.map { (key: $0.0.lowercased(), value: $0.1) }
        self.identity = identity
        self.metadata = metadata.map { (key: $0.0, value: $0.1) }
        self.endUser = endUser
        self.requestID = requestID
        route = api == .openai ? "/v1/chat/completions" : "/v1/messages"
        self.receivedAtMicros = receivedAtMicros
        bodyBytes = 0
        bodyBytes = Int64(renderBody().utf8.count)
    }

    /// Total UTF-8 bytes of the prompt segments.
    public var promptBytes: Int64 { prompt.reduce(0) { $0 + Int64($1.text.utf8.count) } }

    public func attribute(_ key: String) -> String? { attributes.first { $0.key == key }?.value }
    public func responseHeader(_ name: String) -> String? {
        let name = name.lowercased()
        return responseHeaders.first { $0.key == name }?.value
    }

    // MARK: Borrowing

    /// A host-owned copy of `s`, valid until the current hook returns.
    func borrow(_ s: String) -> tollgate_type_str {
        borrowed.lend(s.utf8)
    }

    func endHook() {
        borrowed.returnAll()
        phase = .idle
    }

    deinit { endHook() }
}
