import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateABI  // CallOutcome: the ABI's outcome strings

/// One proxied call's life as a value: it takes events (the pre-call
/// verdict, the upstream's head, body size and end, chunk-hook aborts, the
/// client going away, writability) and answers with what to do. It does no
/// I/O; `ProxyCall` carries the actions out. Every way a call can end goes
/// through one `Ending`, so outcome, status, usage settlement and the final
/// bytes are decided in one place.
///
/// Event-loop confined, like its owner.
package struct CallStateMachine {
    /// How the upstream's response is being handled.
    enum ResponseMode: Equatable {
        /// No head yet.
        case awaitingHead
        /// 2xx, not a stream: buffered whole (usage is read, hooks see it once).
        case buffering
        /// Non-2xx: buffered and passed through as it came.
        case passingThrough
        /// 2xx event stream: forwarded event by event.
        case streaming
    }

    enum State: Equatable {
        /// Authenticating and running the pre-call chain.
        case admitting
        /// Attempt `attempt` (0-based) of the planned upstream calls.
        case upstream(attempt: Int, mode: ResponseMode)
        /// The ending was decided and carried out up to its final bytes.
        case ended
    }

    /// How the usage of an ending is settled before post_call.
    enum UsageSettlement: Equatable {
        /// Nothing was produced: zero usage.
        case none
        /// The response is complete: the provider's figures, estimates for
        /// what it left out.
        case final
        /// The response was cut before a stream began: what the provider
        /// reported or produced so far, else nothing.
        case partial
        /// A stream was cut: the provider took the prompt, so its input
        /// counts (estimated if unreported), plus what it produced.
        case streamCut
    }

    /// The last bytes a call sends, after post_call and the durability wait.
    enum FinalResponse: Equatable {
        /// An error response in the route's dialect.
        case error(GatewayError)
        /// A complete response a plugin made (respond verdict).
        case respond(status: Int, contentType: String, body: [UInt8])
        /// The upstream's buffered answer, as it came (success or error),
        /// or as the chunk hooks changed it.
        case upstreamBody(status: Int)
        /// The end of a stream (its head first, if none was sent yet).
        case endStream(status: Int)
        /// A terminal SSE error event, then the end of the stream.
        case streamError(GatewayError)
        /// Nothing: the client is gone.
        case nothing
    }

    /// Everything about how a call ends.
    struct Ending: Equatable {
        var outcome: CallOutcome
        var decidedBy: String?
        var detail: String?
        /// The status recorded for the call (ledger, metrics): what the
        /// client was sent, or 0 when it was sent nothing.
        var status: Int
        var usage: UsageSettlement
        var response: FinalResponse
        /// Whether the plugins entered the call (and are owed post_call).
        var entered: Bool
        /// An attempt that failed before anything reached the client and
        /// was not retried (none was left): it counts against its
        /// deployment's health.
        var failedAttempt: Int? = nil
    }

    enum Action: Equatable {
        case none
        /// Start the first attempt.
        case startAttempt(Int)
        /// Record attempt `failed` as failed in deployment health, cancel its
        /// transfer, then start attempt `next`.
        case retry(failed: Int, next: Int)
        /// Cancel the transfer (if any), then carry the ending out.
        case end(Ending)
    }

    /// What to do with the upstream's head.
    enum HeadAction: Equatable {
        case retry(failed: Int, next: Int)
        /// Forward the body event by event (attempt `attempt` succeeded).
        case stream(attempt: Int)
        /// Buffer the 2xx body whole.
        case buffer
        /// Buffer the error body and pass it through; `attemptFailed` when
        /// it counts against the deployment's health (429 and 5xx).
        case passThrough(attempt: Int, attemptFailed: Bool)
        /// The call already ended: ignore.
        case ignore
    }

    private(set) var state = State.admitting
    /// The planned upstream attempts (deployments, then fallbacks).
    private(set) var attemptCount = 0
    private(set) var upstreamStatus = 0
    /// The status line sent to the client; nil until one was. The one
    /// place that knows whether the response head went out.
    private(set) var sentStatus: Int?
    /// The response's head is decided: sent, or about to be sent by the
    /// ending (what plugins read as FIRST_BYTE_SENT).
    private(set) var headCommitted = false
    private(set) var paused = false

    var responseStarted: Bool { sentStatus != nil }
    var isEnded: Bool { state == .ended }
    var isStreaming: Bool {
        if case .upstream(_, .streaming) = state { return true }
        return false
    }

    /// Upstream statuses retried on the next attempt while nothing reached
    /// the client.
    static func isRetryable(status: Int) -> Bool { status == 429 || status >= 500 }

    // MARK: admission

    /// Refused before a call context existed (bad key, unreadable body): no
    /// plugin entered, no post_call.
    mutating func refusedBeforeCall(_ error: GatewayError) -> Action {
        guard state == .admitting else { return .none }
        return end(Ending(outcome: .rejected, decidedBy: "core", detail: error.message, status: error.status,
                          usage: .none, response: .error(error), entered: false))
    }

    /// A plugin or the core refused the entered call.
    mutating func rejected(_ error: GatewayError, decidedBy: String?) -> Action {
        guard state == .admitting else { return .none }
        return end(Ending(outcome: .rejected, decidedBy: decidedBy, detail: error.message, status: error.status,
                          usage: .none, response: .error(error), entered: true))
    }

    /// A plugin answered the call itself.
    mutating func responded(status: Int, contentType: String, body: [UInt8], decidedBy: String?) -> Action {
        guard state == .admitting else { return .none }
        return end(Ending(outcome: .responded, decidedBy: decidedBy, detail: nil, status: status, usage: .none,
                          response: .respond(status: status, contentType: contentType, body: body), entered: true))
    }

    /// The call may go upstream: `attempts` planned calls (at least one).
    mutating func admitted(attempts: Int) -> Action {
        guard state == .admitting else { return .none }
        precondition(attempts > 0, "a call goes upstream with at least one planned attempt")
        attemptCount = attempts
        begin(attempt: 0)
        return .startAttempt(0)
    }

    /// An attempt's request could not even be built (no credentials).
    mutating func attemptCouldNotStart(_ error: GatewayError) -> Action {
        guard case .upstream = state else { return .none }
        return end(upstreamFailure(error, usage: .none))
    }

    // MARK: the upstream

    mutating func upstreamHead(status: Int, isEventStream: Bool, clientWantsStream: Bool) -> HeadAction {
        guard case .upstream(let attempt, .awaitingHead) = state else { return .ignore }
        if Self.isRetryable(status: status), let next = nextAttempt(after: attempt) {
            begin(attempt: next)
            return .retry(failed: attempt, next: next)
        }
        upstreamStatus = status
        if !(200..<300).contains(status) {
            state = .upstream(attempt: attempt, mode: .passingThrough)
            return .passThrough(attempt: attempt, attemptFailed: Self.isRetryable(status: status))
        }
        if clientWantsStream && isEventStream {
            state = .upstream(attempt: attempt, mode: .streaming)
            return .stream(attempt: attempt)
        }
        state = .upstream(attempt: attempt, mode: .buffering)
        return .buffer
    }

    /// A buffered body grew to `bytes`; past `limit` the call fails.
    mutating func bufferedBody(bytes: Int, limit: Int) -> Action {
        guard case .upstream(_, let mode) = state, mode == .buffering || mode == .passingThrough, bytes > limit else {
            return .none
        }
        return end(upstreamFailure(GatewayError(status: 502, type: "api_error", code: "upstream_response_too_large",
                                                message: "The upstream response is larger than \(limit) bytes."), usage: .none))
    }

    /// The stream's head goes out before its first forwarded bytes. True
    /// when the caller must send it now.
    mutating func streamWillWrite() -> Bool {
        guard case .upstream(_, .streaming) = state, sentStatus == nil else { return false }
        sentStatus = upstreamStatus == 0 ? 200 : upstreamStatus
        headCommitted = true
        return true
    }

    /// The provider's stream could not be parsed.
    mutating func streamBroken(_ message: String) -> Action {
        guard case .upstream(_, .streaming) = state else { return .none }
        return end(upstreamFailure(GatewayError(status: 502, type: "api_error", code: "upstream_protocol_error", message: message),
                                   usage: .streamCut))
    }

    /// A chunk hook aborted the response.
    mutating func chunkAborted(_ error: GatewayError, decidedBy: String?) -> Action {
        guard case .upstream(_, let mode) = state else { return .none }
        let usage: UsageSettlement = mode == .streaming ? .streamCut : .final
        return end(Ending(outcome: .aborted, decidedBy: decidedBy, detail: error.message,
                          status: responseStarted ? upstreamStatus : error.status, usage: usage,
                          response: responseStarted ? .streamError(error) : .error(error), entered: true))
    }

    /// What `upstreamEnd` asks of the caller when the upstream completed.
    enum EndAction: Equatable {
        /// Run the buffered body through the chunk hooks, then call
        /// `bufferedBodyProcessed()` (or `chunkAborted`); the attempt
        /// succeeded.
        case processBufferedBody(attempt: Int)
        /// Flush the stream splitter's last event, then call
        /// `streamCompleted()` (unless that event ended the call).
        case drainStream
        case action(Action)
    }

    mutating func upstreamEnd(failure: UpstreamFailure?) -> EndAction {
        guard case .upstream(let attempt, let mode) = state else { return .action(.none) }
        if let failure {
            // Retried while nothing reached the client: no head yet, or a
            // non-stream body cut short (buffered, never forwarded).
            if mode == .awaitingHead || (mode == .buffering && !responseStarted), let next = nextAttempt(after: attempt) {
                begin(attempt: next)
                return .action(.retry(failed: attempt, next: next))
            }
            let error = Self.gatewayError(for: failure)
            if mode == .streaming && responseStarted {
                // After the first byte: a terminal error event, no retry.
                return .action(end(Ending(outcome: .upstreamFailure, decidedBy: nil, detail: error.message, status: upstreamStatus,
                                          usage: .streamCut, response: .streamError(error), entered: true)))
            }
            var ending = upstreamFailure(error, usage: mode == .streaming ? .streamCut : .none)
            if mode == .awaitingHead || mode == .buffering { ending.failedAttempt = attempt }
            return .action(end(ending))
        }
        switch mode {
        case .streaming: return .drainStream
        case .buffering: return .processBufferedBody(attempt: attempt)
        case .passingThrough, .awaitingHead:
            // Upstream errors go back as they came: status, type and body.
            headCommitted = true
            return .action(end(Ending(outcome: .upstreamError, decidedBy: nil, detail: "upstream answered \(upstreamStatus)",
                                      status: upstreamStatus, usage: .none, response: .upstreamBody(status: upstreamStatus),
                                      entered: true)))
        }
    }

    /// The buffered 2xx body went through the chunk hooks.
    mutating func bufferedBodyProcessed() -> Action {
        guard case .upstream(_, .buffering) = state else { return .none }
        return end(Ending(outcome: .success, decidedBy: nil, detail: nil, status: upstreamStatus, usage: .final,
                          response: .upstreamBody(status: upstreamStatus), entered: true))
    }

    /// The stream's last event was forwarded.
    mutating func streamCompleted() -> Action {
        guard case .upstream(_, .streaming) = state else { return .none }
        let status = sentStatus ?? (upstreamStatus == 0 ? 200 : upstreamStatus)
        return end(Ending(outcome: .success, decidedBy: nil, detail: nil, status: upstreamStatus, usage: .final,
                          response: .endStream(status: status), entered: true))
    }

    // MARK: the client

    /// The client closed the connection. Once the ending was decided there
    /// is nothing left to do: its final bytes just go nowhere.
    mutating func clientGone() -> Action {
        guard case .upstream(_, let mode) = state else { return .none }
        return end(Ending(outcome: .clientDisconnect, decidedBy: nil,
                          detail: "the client closed the connection before the response ended",
                          status: sentStatus ?? 0, usage: mode == .streaming ? .streamCut : .partial, response: .nothing,
                          entered: true))
    }

    // MARK: shutdown

    /// The gateway shut down past its grace period and cut the call under
    /// its upstream or its connection. It ends as what happened —
    /// "aborted", decided by "core" — never retried, with usage estimated
    /// from what was produced. A client still connected gets a 503, or a
    /// terminal SSE error event once its stream began; `connectionOpen`
    /// false: nothing more reaches it.
    mutating func cutByShutdown(connectionOpen: Bool) -> Action {
        guard case .upstream(_, let mode) = state else { return .none }
        let error = GatewayError(status: 503, type: "api_error", code: "gateway_shutting_down",
                                 message: "The gateway shut down before the response ended.")
        let response: FinalResponse = !connectionOpen ? .nothing : responseStarted ? .streamError(error) : .error(error)
        let status = connectionOpen && !responseStarted ? error.status : sentStatus ?? 0
        return end(Ending(outcome: .aborted, decidedBy: "core", detail: error.message, status: status,
                          usage: mode == .streaming ? .streamCut : .partial, response: response, entered: true))
    }

    /// Backpressure: true when the transfer must be paused or resumed.
    package mutating func writabilityChanged(isWritable: Bool) -> Bool {
        guard paused == isWritable else { return false }
        paused = !isWritable
        return true
    }

    // MARK: helpers

    private func nextAttempt(after attempt: Int) -> Int? {
        attempt + 1 < attemptCount && !responseStarted ? attempt + 1 : nil
    }

    private mutating func begin(attempt: Int) {
        state = .upstream(attempt: attempt, mode: .awaitingHead)
        upstreamStatus = 0
    }

    private func upstreamFailure(_ error: GatewayError, usage: UsageSettlement) -> Ending {
        Ending(outcome: .upstreamFailure, decidedBy: nil, detail: error.message, status: error.status, usage: usage,
               response: .error(error), entered: true)
    }

    private mutating func end(_ ending: Ending) -> Action {
        state = .ended
        if ending.response != .nothing { headCommitted = true }
        if sentStatus == nil {
            switch ending.response {
            case .error(let error): sentStatus = error.status
            case .respond(let status, _, _), .upstreamBody(let status), .endStream(let status): sentStatus = status
            case .streamError, .nothing: break
            }
        }
        return .end(ending)
    }

    static func gatewayError(for failure: UpstreamFailure) -> GatewayError {
        switch failure {
        case .connectTimeout, .firstByteTimeout, .idleTimeout:
            return GatewayError(status: 504, type: "api_error", code: "upstream_timeout", message: "Gateway timeout: \(failure.description).")
        case .connectFailed, .transport:
            return GatewayError(status: 502, type: "api_error", code: "upstream_unavailable", message: "Bad gateway: \(failure.description).")
        }
    }
}
