import NIOCore
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateUpstream

/// The mock provider in-process: plays the same plans as the HTTP server,
/// on the caller's event loop, without sockets. The URL's path picks the
/// dialect (`/v1/messages` is Anthropic, anything else OpenAI).
///
/// Timeouts behave as with `HTTP1Transport`: a `stall` before the head ends in
/// `.firstByteTimeout` after the request's first-byte timeout, a stall after
/// it in `.idleTimeout` (a timeout of 0 waits until cancelled).
package final class MockTransport: UpstreamTransport {
    package let responder: MockResponder

    package init(defaults: MockDirectives = MockDirectives()) {
        responder = MockResponder(defaults: defaults)
    }

    package func start(_ request: UpstreamRequest, on eventLoop: EventLoop, delegate: UpstreamDelegate) -> UpstreamTransfer {
        let api: MockAPI = request.url.contains("/v1/messages") ? .anthropic : .openai
        let plan = responder.plan(api: api, body: request.body, headers: request.headers)
        let transfer = MockTransfer(plan: plan, request: request,
                                    gate: UpstreamDelegateGate(eventLoop: eventLoop, delegate: delegate))
        eventLoop.execute { transfer.advance() }
        return transfer
    }
}

/// One in-process exchange. State lives on the event loop.
package final class MockTransfer: UpstreamTransfer, @unchecked Sendable {
    private let plan: MockPlan
    private let request: UpstreamRequest
    private let gate: UpstreamDelegateGate
    private var next = 0
    private var headSent = false
    private var paused = false
    /// The pending delay before the part at `next` has already been waited.
    private var waited = false
    private var scheduled: Scheduled<Void>?

    init(plan: MockPlan, request: UpstreamRequest, gate: UpstreamDelegateGate) {
        self.plan = plan
        self.request = request
        self.gate = gate
    }

    private var eventLoop: EventLoop { gate.eventLoop }

    package func cancel() {
        guard gate.cancel() else { return }
        onLoop { self.scheduled?.cancel(); self.scheduled = nil }
    }

    package func pause() {
        onLoop { self.paused = true }
    }

    package func resume() {
        onLoop {
            guard self.paused else { return }
            self.paused = false
            if self.scheduled == nil { self.advance() }
        }
    }

    private func onLoop(_ body: @escaping () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    /// Delivers parts until a delay, a pause, a stall or the end.
    func advance() {
        while !gate.isClosed, !paused, next < plan.parts.count {
            switch plan.parts[next] {
            case .bytes(let bytes, let delay):
                if delay > 0 && !waited {
                    waited = true
                    scheduled = eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) {
                        self.scheduled = nil
                        self.advance()
                    }
                    return
                }
                waited = false
                sendHeadIfNeeded()
                var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                next += 1
                gate.body(buffer)
            case .stall:
                next = plan.parts.count + 1  // nothing more, ever
                let timeout = headSent ? request.idleTimeoutMs : request.firstByteTimeoutMs
                guard timeout > 0 else { return }
                let failure: UpstreamFailure = headSent ? .idleTimeout : .firstByteTimeout
                scheduled = eventLoop.scheduleTask(in: .milliseconds(timeout)) {
                    self.scheduled = nil
                    self.gate.finish(failure)
                }
                return
            case .cut:
                next = plan.parts.count + 1
                gate.finish(.transport("connection closed by upstream"))
                return
            }
        }
        if next == plan.parts.count, !gate.isClosed, !paused {
            next += 1
            sendHeadIfNeeded()
            gate.finish(nil)
        }
    }

    private func sendHeadIfNeeded() {
        guard !headSent else { return }
        headSent = true
        gate.head(status: plan.status, headers: plan.headers)
    }
}
