import TollgateABI
import TollgatePluginKit

// Running the hooks, with the host's bookkeeping: a call is entered by
// pre_call (or by the chain reaching a plugin without one) and owes exactly
// one post_call; chunk and post_call of a call never entered are misuse.

extension PluginUnderTest {
    /// Runs on_pre_call (or enters the call if the plugin has none).
    @discardableResult
    public func preCall(_ call: FakeCall) throws -> PreCallResult {
        let instance = try liveInstance()
        guard !call.entered else {
            throw HarnessMisuse(message: "preCall twice for request \(call.requestID): the host runs it once per request")
        }
        call.host = host
        call.entered = true
        call.preCallCount += 1
        host.recordings.withLock { $0.openCalls += 1 }
        guard let hook = descriptorHooks.preCall else {
            return PreCallResult(verdict: .continue, rawVerdict: PreCallVerdict.continue.rawValue,
                                 error: call.error, response: call.response)
        }
        var state: UnsafeMutableRawPointer? = nil
        call.phase = .preCall
        let raw = hook(instance, callPointer(call), &state)
        call.endHook()
        call.callState = state
        return PreCallResult(verdict: PreCallVerdict(rawValue: raw), rawVerdict: raw, error: call.error,
                             response: call.response)
    }

    /// Runs on_chunk for one response event. `index` defaults to the next
    /// event of the call.
    @discardableResult
    public func onChunk(_ call: FakeCall, text: String = "", raw: String? = nil, kind: ChunkKind = .text,
                        index: Int64? = nil) throws -> ChunkResult {
        let instance = try liveInstance()
        guard call.entered, call.postCallCount == 0 else {
            throw HarnessMisuse(message: "onChunk for request \(call.requestID) outside preCall..postCall: "
                + "the host only sends chunks to plugins that entered the request")
        }
        call.chunkIndex = index ?? call.chunkIndex + 1
        call.chunkKind = kind
        call.chunkText = text
        call.chunkRaw = raw ?? text
        call.chunkTextReplaced = false
        call.chunkRawReplaced = false
        call.chunkCount += 1
        if call.modelServed == nil { call.modelServed = call.model }
        if call.deployment == nil { call.deployment = call.model }
        var verdict = ChunkVerdict.continue.rawValue
        if let hook = descriptorHooks.chunk {
            call.phase = .chunk
            verdict = hook(instance, callPointer(call), call.callState)
            call.endHook()
        }
        if verdict == ChunkVerdict.continue.rawValue || verdict == ChunkVerdict.replace.rawValue {
            call.firstByteSent = true
        }
        return ChunkResult(verdict: ChunkVerdict(rawValue: verdict), rawVerdict: verdict, text: call.chunkText,
                           raw: call.chunkRaw, textReplaced: call.chunkTextReplaced, rawReplaced: call.chunkRawReplaced,
                           error: call.error)
    }

    /// Runs on_post_call with the outcome set: the one post_call the host
    /// guarantees to every plugin that entered the call.
    @discardableResult
    public func postCall(_ call: FakeCall, usage: (in: Int64, out: Int64, cached: Int64) = (0, 0, 0),
                         outcome: String = "success", status: Int64 = 200) throws -> PostCallResult {
        let instance = try liveInstance()
        guard call.entered else {
            throw HarnessMisuse(message: "postCall for request \(call.requestID) that the plugin never entered: "
                + "the host gives post_call only to plugins whose pre_call ran")
        }
        guard call.postCallCount == 0 else {
            throw HarnessMisuse(message: "postCall twice for request \(call.requestID): the host guarantees exactly one")
        }
        call.postCallCount += 1
        call.tokensIn = usage.in
        call.tokensOut = usage.out
        call.tokensCached = usage.cached
        call.outcome = outcome
        call.status = status
        if call.modelServed == nil, outcome == CallOutcome.success.rawValue || outcome == CallOutcome.upstreamError.rawValue {
            call.modelServed = call.model
            call.deployment = call.deployment ?? call.model
        }
        if call.upstreamAttempts == nil { call.upstreamAttempts = call.modelServed == nil ? 0 : 1 }
        host.recordings.withLock { $0.openCalls -= 1 }
        var result = HostStatus.ok
        if let hook = descriptorHooks.postCall {
            call.phase = .postCall
            result = HostStatus(rawValue: hook(instance, callPointer(call), call.callState))
            call.endHook()
        }
        call.callState = nil  // the plugin owned and freed it
        return PostCallResult(status: result)
    }

    /// `postCall` with the outcome as `CallOutcome`.
    @discardableResult
    public func postCall(_ call: FakeCall, usage: (in: Int64, out: Int64, cached: Int64) = (0, 0, 0),
                         outcome: CallOutcome, status: Int64 = 200) throws -> PostCallResult {
        try postCall(call, usage: usage, outcome: outcome.rawValue, status: status)
    }

    private func liveInstance() throws -> UnsafeMutableRawPointer {
        guard let instance = instanceForHooks else {
            throw HarnessMisuse(message: "plugin \(name) was destroyed: no hook may run after on_destroy")
        }
        return instance
    }

    private func callPointer(_ call: FakeCall) -> OpaquePointer {
        OpaquePointer(Unmanaged.passUnretained(call).toOpaque())
    }
}
