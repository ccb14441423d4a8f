import NIOCore
import TollgateJSON

/// The upstream half: head, body and end of the provider's response, each
/// event through the chunk hooks, then settlement.
extension ProxyCall: UpstreamDelegate {
    /// Non-stream bodies are buffered to read usage; this bounds them.
    static let maxBufferedBody = 64 << 20

    func upstreamDidReceiveHead(status: Int, headers: [(String, String)]) {
        guard !finished, let call else { return }
        if status == 429 || status >= 500, retryAfterFailure(reason: "upstream answered \(status)") { return }
        upstreamStatus = status
        var list = HeaderList(caseInsensitive: true)
        for (name, value) in headers { list.set(name, value) }
        call.upstreamHeaders = list
        upstreamContentType = list["content-type"] ?? "application/json"
        if !(200..<300).contains(status) {
            mode = .passthrough
        } else if call.request.stream && upstreamContentType.lowercased().hasPrefix("text/event-stream") {
            mode = .stream
            recordAttemptSucceeded()
        } else {
            // Counted when the whole body is in: a cut body is a failure,
            // and is retried (it never reached the client).
            mode = .buffered
        }
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

    func recordAttemptSucceeded() {
        let (entry, deployment) = attempts[attemptIndex]
        gateway.recordAttempt(model: entry.name, deployment: deployment.name, failed: false)
    }

    func upstreamDidReceiveBody(_ bytes: ByteBuffer) {
        guard !finished else { return }
        switch mode {
        case .stream:
            let events: [SSEEvent]
            do {
                events = try splitter.feed(bytes)
            } catch {
                return abortStream(GatewayError(status: 502, type: "api_error", code: "upstream_protocol_error",
                                                message: "\(error)"), outcome: "upstream_failure", decidedBy: nil)
            }
            for event in events {
                process(event)
                if finished { return }
            }
            scheduleFlush()
        case .buffered, .passthrough, .none:
            if buffered.count + bytes.readableBytes > Self.maxBufferedBody {
                transfer?.cancel()
                transfer = nil
                return finishWithError(GatewayError(status: 502, type: "api_error", code: "upstream_response_too_large",
                                                    message: "The upstream response is larger than \(Self.maxBufferedBody) bytes."),
                                       outcome: "upstream_failure", decidedBy: nil)
            }
            buffered.append(contentsOf: bytes.readableBytesView)
        }
    }

    func upstreamDidFinish(_ failure: UpstreamFailure?) {
        transfer = nil
        guard !finished, let call else { return }
        // Retry while nothing reached the client: no head yet, or a
        // non-stream body cut short (it is buffered, never forwarded).
        if let failure, mode == .none || (mode == .buffered && !writer.headSent),
           retryAfterFailure(reason: failure.description) { return }
        markUpstreamDone()
        if let failure {
            if mode == .stream && writer.headSent {
                // After the first byte: a terminal error event, no retry.
                settleUsage(partial: true)
                return abortStream(Self.gatewayError(for: failure), outcome: "upstream_failure", decidedBy: nil)
            }
            if mode == .stream {
                settleUsage(partial: true)
            }
            return finishWithError(Self.gatewayError(for: failure), outcome: "upstream_failure", decidedBy: nil)
        }
        switch mode {
        case .stream:
            do {
                if let trailing = try splitter.finish() { process(trailing) }
            } catch {}
            if finished { return }
            settleUsage(partial: false)
            call.outcome = "success"
            call.status = upstreamStatus
            if !writer.headSent { startStreamResponse() }
            runPostCall()
            afterDurable { [self] in
                writer.end()
                complete()
            }
        case .buffered:
            recordAttemptSucceeded()
            finishBuffered(call: call)
        case .passthrough, .none:
            // Upstream errors go back as they came: status, type and body.
            call.outcome = "upstream_error"
            call.outcomeDetail = "upstream answered \(upstreamStatus)"
            call.status = upstreamStatus
            call.usage = .zero
            call.firstByteSent = true
            runPostCall()
            var headers = responseHeaders(contentType: upstreamContentType)
            if let retryAfter = call.upstreamHeaders["retry-after"] { headers.append(("retry-after", retryAfter)) }
            afterDurable { [self] in
                writer.send(status: upstreamStatus, headers: headers, body: buffered)
                complete()
            }
        }
    }

    private func finishBuffered(call: CallContext) {
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
            settleUsage(partial: false)
            return finishWithError(error, outcome: "aborted", decidedBy: decidedBy)
        }
        settleUsage(partial: false)
        call.outcome = "success"
        call.status = upstreamStatus
        call.firstByteSent = true
        runPostCall()
        let body = event.changed ? event.data : buffered
        afterDurable { [self] in
            writer.send(status: upstreamStatus, headers: responseHeaders(contentType: upstreamContentType), body: body)
            complete()
        }
    }

    /// One stream event: usage, chunk hooks, then out to the client.
    func process(_ sse: SSEEvent) {
        guard let call, let chain else { return }
        guard sse.hasData else {
            // Comments and keep-alives pass through untouched.
            if writer.headSent || !generation!.hasChunkHooks {
                if !writer.headSent { startStreamResponse() }
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
            settleUsage(partial: true)
            return abortStream(error, outcome: "aborted", decidedBy: decidedBy)
        }
        call.chunkIndex += 1
        guard forward, !hideFromClient || event.insertedTextBefore != nil else { return }
        if !writer.headSent { startStreamResponse() }
        if let inserted = event.insertedTextBefore {
            writer.write(template.syntheticTextEvent(inserted, dialect: dialect))
        }
        if hideFromClient { return }
        writer.write(event.changed ? SSEFraming.frame(event) : event.raw)
    }

    func startStreamResponse() {
        guard let call else { return }
        var headers = responseHeaders(contentType: upstreamContentType)
        headers.append(("cache-control", "no-cache"))
        call.headersSent = true
        call.firstByteSent = true
        writer.startStream(status: upstreamStatus == 0 ? 200 : upstreamStatus, headers: headers)
    }

    /// Ends a stream early: an error response if nothing was sent yet,
    /// else a terminal SSE error event.
    func abortStream(_ error: GatewayError, outcome: String, decidedBy: String?) {
        transfer?.cancel()
        transfer = nil
        guard let call else { return }
        if !writer.headSent {
            return finishWithError(error, outcome: outcome, decidedBy: decidedBy)
        }
        call.outcome = outcome
        call.decidedBy = decidedBy
        call.outcomeDetail = error.message
        call.status = upstreamStatus
        if call.usage == nil { settleUsage(partial: true) }
        runPostCall()
        afterDurable { [self] in
            writer.write(error.sseEvent(for: dialect))
            writer.end()
            complete()
        }
    }

    /// Fills usage and cost: the provider's figures where it gave them,
    /// estimates for the rest (marked estimated).
    func settleUsage(partial: Bool) {
        guard let call, let entry else { return }
        if !partial || tracker.sawUsage || tracker.outputTextBytes > 0 || mode == .stream {
            call.usage = tracker.final(promptBytes: call.request.promptBytes)
        } else {
            call.usage = .zero
        }
        let usage = call.usage!
        // Beyond Int64 nano-dollars (only a provider's absurd usage gets
        // there): saturate. A cost that cannot be computed is never free.
        call.costNanos = Cost.nanos(price: entry.price, tokensIn: usage.input, tokensOut: usage.output,
                                    tokensCached: usage.cached) ?? Int64.max
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
