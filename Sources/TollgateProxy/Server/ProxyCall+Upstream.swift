import NIOCore
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// The upstream half: head, body and end of the provider's response, each
/// event through the chunk hooks, then settlement.
extension ProxyCall: UpstreamDelegate {
    /// Non-stream bodies are buffered to read usage; this bounds them.
    static let maxBufferedBody = 64 << 20

    package func upstreamDidReceiveHead(status: Int, headers: [(String, String)]) {
        guard let call, !machine.isEnded else { return }
        var list = HeaderList(caseInsensitive: true)
        for (name, value) in headers { list.set(name, value) }
        let contentType = list["content-type"] ?? "application/json"
        switch machine.upstreamHead(status: status, isEventStream: contentType.lowercased().hasPrefix("text/event-stream"),
                                    clientWantsStream: call.request.stream) {
        case .ignore:
            return
        case .retry(let failed, let next):
            return carryOut(.retry(failed: failed, next: next))
        case .stream(let attempt):
            recordAttempt(attempt, failed: false)
        case .buffer:
            // Counted when the whole body is in: a cut body is a failure,
            // and is retried (it never reached the client).
            break
        case .passThrough(let attempt, let attemptFailed):
            if attemptFailed { recordAttempt(attempt, failed: true) }
        }
        call.upstreamHeaders = list
        upstreamContentType = contentType
    }

    /// One flush per event-loop turn, not one per body part: the client
    /// library hands over each HTTP chunk of a read separately, and a
    /// flush is a system call.
    func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute { [self] in
            flushScheduled = false
            writer.flush()
        }
    }

    package func upstreamDidReceiveBody(_ bytes: ByteBuffer) {
        guard !machine.isEnded else { return }
        guard machine.isStreaming else {
            let action = machine.bufferedBody(bytes: buffered.count + bytes.readableBytes, limit: Self.maxBufferedBody)
            guard action == .none else { return carryOut(action) }
            buffered.append(contentsOf: bytes.readableBytesView)
            return
        }
        let events: [SSEEvent]
        do {
            events = try splitter.feed(bytes)
        } catch {
            return carryOut(machine.streamBroken("\(error)"))
        }
        for event in events {
            process(event)
            if machine.isEnded { return }
        }
        scheduleFlush()
    }

    package func upstreamDidFinish(_ failure: UpstreamFailure?) {
        transfer = nil
        guard let call else { return }
        // Shutting down past the grace period: the upstream was closed
        // under the call, which is neither its failure nor a reason to retry.
        if gateway.isCuttingInFlightCalls { return carryOut(machine.cutByShutdown(connectionOpen: true)) }
        switch machine.upstreamEnd(failure: failure) {
        case .action(let action):
            carryOut(action)
        case .drainStream:
            markUpstreamDone()
            if let trailing = try? splitter.finish() { process(trailing) }
            if machine.isEnded { return }
            if machine.streamWillWrite() { startStreamResponse() }
            carryOut(machine.streamCompleted())
        case .processBufferedBody(let attempt):
            markUpstreamDone()
            recordAttempt(attempt, failed: false)
            processBufferedBody(call: call)
        }
    }

    /// A whole non-stream answer through the chunk hooks, once.
    private func processBufferedBody(call: CallContext) {
        var event = ResponseEvent(dialect: dialect, isStreamEvent: false, eventName: nil, data: buffered, raw: buffered)
        if let usage = event.usage() { tracker.observe(usage: usage) }
        // The text is read (the whole answer parsed) only to estimate an
        // output count the provider left out.
        if !tracker.hasOutputCount { tracker.addOutputText(bytes: event.text().utf8.count) }
        call.runningOutputTokens = tracker.runningOutputTokens
        call.runningInputTokens = tracker.runningInputTokens(promptBytes: call.request.promptBytes)
        switch chain!.runChunk(call, event: &event) {
        case .forward, .drop:
            break
        case .abort(let error, let decidedBy):
            return carryOut(machine.chunkAborted(error, decidedBy: decidedBy))
        }
        if event.changed { buffered = event.data }
        carryOut(machine.bufferedBodyProcessed())
    }

    /// One stream event: usage, chunk hooks, then out to the client.
    func process(_ sse: SSEEvent) {
        guard let call, let chain else { return }
        guard sse.hasData else {
            // Comments and keep-alives pass through untouched.
            if machine.responseStarted || !generation!.hasChunkHooks {
                if machine.streamWillWrite() { startStreamResponse() }
                writer.write(sse.raw)
            }
            return
        }
        var event = ResponseEvent(dialect: dialect, isStreamEvent: true, eventName: sse.event, data: sse.data, raw: sse.raw)
        if let usage = event.usage() { tracker.observe(usage: usage, finalOutput: event.usageHasFinalOutput()) }
        let kind = event.kind()
        if kind == .text { tracker.addOutputText(bytes: event.text().utf8.count) }
        if generation!.hasChunkHooks { template.observe(&event) }
        call.runningOutputTokens = tracker.runningOutputTokens
        call.runningInputTokens = tracker.runningInputTokens(promptBytes: call.request.promptBytes)
        // The usage chunk the gateway asked for on the client's behalf.
        let hideFromClient = event.isUsageOnlyChunk() && !call.request.clientWantsStreamUsage

        var forward = true
        switch chain.runChunk(call, event: &event) {
        case .forward: break
        case .drop: forward = false
        case .abort(let error, let decidedBy):
            return carryOut(machine.chunkAborted(error, decidedBy: decidedBy))
        }
        call.chunkIndex += 1
        guard forward, !hideFromClient || event.insertedTextBefore != nil else { return }
        if machine.streamWillWrite() { startStreamResponse() }
        if let inserted = event.insertedTextBefore {
            writer.write(template.syntheticTextEvent(inserted, dialect: dialect))
        }
        if hideFromClient { return }
        writer.write(event.changed ? SSEFraming.frame(event) : event.raw)
    }

    /// The stream's head, with the status the machine committed.
    func startStreamResponse() {
        guard let call, let status = machine.sentStatus else { return }
        var headers = responseHeaders(contentType: upstreamContentType)
        headers.append(("cache-control", "no-cache"))
        call.headersSent = true
        call.firstByteSent = true
        writer.startStream(status: status, headers: headers)
    }

    /// Fills usage and cost before post_call, as the ending says: the
    /// provider's figures where it gave them, estimates for the rest
    /// (marked estimated).
    func settleUsage(_ settlement: CallStateMachine.UsageSettlement) {
        guard let call else { return }
        switch settlement {
        case .none:
            call.usage = .zero
            return
        case .partial where !tracker.sawUsage && tracker.outputTextBytes == 0:
            call.usage = .zero
            return
        case .partial, .final, .streamCut:
            guard let entry else {
                call.usage = .zero
                return
            }
            let usage = tracker.final(promptBytes: call.request.promptBytes)
            call.usage = usage
            // Beyond Int64 nano-dollars (only a provider's absurd usage gets
            // there): saturate. A cost that cannot be computed is never free.
            call.costNanos = Cost.nanos(price: entry.price, tokensIn: usage.input, tokensOut: usage.output,
                                        tokensCached: usage.cached) ?? Int64.max
        }
    }
}
