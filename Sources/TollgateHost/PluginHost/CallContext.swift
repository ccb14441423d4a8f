import CTollgatePlugin
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgateABI
import TollgateSQLite
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// Everything the host knows about one request, as plugins see it through
/// the host table: what `tollgate_type_call_ptr` points to. Only touched
/// from the request's event loop.
package final class CallContext {
    /// Which hook runs on this call (`idle` between hooks): the phase
    /// TollgateABI's rules are stated over.
    package typealias Phase = ABIPhase

    package let requestID: String
    package let route: String
    package let identity: Identity
    package let request: CanonicalRequest
    package let modelRequested: String
    package let catalog: ModelCatalog
    package let receivedAtMicros: Int64

    package internal(set) var phase: Phase = .idle
    package let requestHeaders: HeaderList
    package var attributes = HeaderList(caseInsensitive: false)
    /// Where call_grants finds the grants (nil: the call is on none).
    package var governance: GovernanceRegistry?
    /// The path call_grants computed after the pre-call chain (attributes
    /// no longer change then), for the version it was computed in.
    var grantPathAfterPreCall: (published: PublishedGrants, path: [Int])?
    package var responseHeaders = HeaderList(caseInsensitive: true)
    package var upstreamHeaders = HeaderList(caseInsensitive: true)
    package var headersSent = false

    /// Set by set_fallback_models: tried in order after a failure before
    /// the first byte.
    package var fallbackModels: [String] = []
    /// Set by set_deployment; cleared when the model changes.
    package var pinnedDeployment: String?

    /// Set by set_error (reject / abort / error reason).
    package var pluginError: GatewayError?
    /// Set by set_response (respond).
    package var pluginResponse: (status: Int, contentType: String, body: [UInt8])?

    /// The event under the chunk hooks, while they run.
    var currentEvent: ResponseEvent?
    var currentEventKind: ResponseEventKind = .other
    package var chunkIndex: Int64 = 0
    package var runningOutputTokens: Int64 = 0
    package var runningInputTokens: Int64 = 0

    // Outcome, filled before post_call.
    package var outcome: String?
    package var decidedBy: String?
    package var outcomeDetail: String?
    package var status = 0
    package var usage: TokenUsage?
    package var costNanos: Int64 = 0
    package var modelServed: String?
    package var deployment: String?
    package var latencyMicros: Int64 = 0
    package var upstreamMicros: Int64 = 0
    package var firstByteSent = false
    package var upstreamAttempts = 0

    /// Writes the response must wait for before it completes (a settled
    /// reservation, a ledger row): the client never sees a finished
    /// response whose accounting a crash could lose.
    package private(set) var durabilityWaits: [(writer: GroupCommitWriter, ticket: UInt64)] = []

    package func requireDurable(writer: GroupCommitWriter, ticket: UInt64) {
        if let i = durabilityWaits.firstIndex(where: { $0.writer === writer }) {
            durabilityWaits[i].ticket = max(durabilityWaits[i].ticket, ticket)
        } else {
            durabilityWaits.append((writer, ticket))
        }
    }

    /// The call whose hook is running on this thread, for host functions
    /// that take only the host handle: counter_settle and counter_add bind
    /// to it (the header says so where they are declared).
    package static var current: CallContext? { RunningCall.current }

    /// The plugin whose hook is running, set by HookChain for the length
    /// of the hook: host calls that take only the call handle are
    /// attributed to it (refused-call counts).
    var runningPlugin: PluginInstance?

    /// Plugin state slots (call_state), by chain position.
    var callStates: [UnsafeMutableRawPointer?]
    /// Plugins 0..<enteredCount entered the call and are owed post_call.
    var enteredCount = 0
    var postCallDone = false
    let arena = BorrowArena()

    package init(requestID: String, route: String, identity: Identity, request: CanonicalRequest,
                catalog: ModelCatalog, requestHeaders: HeaderList, receivedAtMicros: Int64, pluginCount: Int) {
        self.requestID = requestID
        self.route = route
        self.identity = identity
        self.request = request
        self.modelRequested = request.model
        self.catalog = catalog
        self.requestHeaders = requestHeaders
        self.receivedAtMicros = receivedAtMicros
        self.callStates = Array(repeating: nil, count: pluginCount)
    }

    var pointer: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ pointer: OpaquePointer?) -> CallContext? {
        guard let pointer else { return nil }
        return Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    var dialect: APIDialect { request.dialect }
}

/// The call whose hooks run on this thread: a bare pthread slot holding an
/// unretained pointer, set by HookChain for the length of a chain (NIO's
/// ThreadSpecificVariable boxes every value it is given: an allocation and
/// a release per chain). Part of the ABI's contract: counter_settle and
/// counter_add, which take no call handle, make the call in this slot wait
/// for their commit; outside a chain the slot is empty and nothing waits
/// (tollgate_plugin.h, at counter_settle).
enum RunningCall {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    static func set(_ call: CallContext?) {
        pthread_setspecific(key, call.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) })
    }

    static var current: CallContext? {
        pthread_getspecific(key).map { Unmanaged<CallContext>.fromOpaque($0).takeUnretainedValue() }
    }
}
