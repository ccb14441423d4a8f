import NIOCore
import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateUpstream

/// One connection of the mock server: routes requests and plays plans.
package final class MockProviderHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundOut = HTTPServerResponsePart

    static let maxBodyBytes = 32 << 20

    private let responder: MockResponder
    private let recorder: MockProviderRecorder
    private let reports: MockUsageReports
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// A plan is playing: NIO's pipelining helper holds the next request
    /// until the response ends.
    private var scheduled: Scheduled<Void>?
    private var closed = false

    init(responder: MockResponder, recorder: MockProviderRecorder, invoice: MockInvoice) {
        self.responder = responder
        self.recorder = recorder
        reports = MockUsageReports(invoice: invoice, recorder: recorder, now: responder.now)
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = context.channel.allocator.buffer(capacity: 0)
        case .body(var chunk):
            if (body?.readableBytes ?? 0) + chunk.readableBytes > Self.maxBodyBytes {
                context.close(promise: nil)
                return
            }
            body?.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            self.head = nil
            body = nil
            route(context: context, head: head, body: bytes)
        }
    }

    package func channelActive(context: ChannelHandlerContext) {
        recorder.connectionOpened()
        context.fireChannelActive()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        recorder.connectionClosed()
        closed = true
        scheduled?.cancel()
        scheduled = nil
        context.fireChannelInactive()
    }

    private func route(context: ChannelHandlerContext, head: HTTPRequestHead, body: [UInt8]) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let json = [("content-type", "application/json")]
        switch (head.method, path) {
        case (.POST, "/v1/chat/completions"), (.POST, "/v1/messages"):
            let api: MockAPI = path == "/v1/messages" ? .anthropic : .openai
            let headers = head.headers.map { ($0.name, $0.value) }
            let plan = responder.plan(api: api, body: body, headers: headers)
            recorder.record(plan, body: body, atSecond: responder.now())
            play(context: context, head: head, plan: plan)
        case (.GET, _) where path.hasPrefix("/v1/organization"):
            let headers = head.headers.map { ($0.name, $0.value) }
            if let (status, body) = reports.answer(path: path, uri: head.uri, headers: headers) {
                simple(context, head, status, json, body)
            } else {
                notFound(context, head, path)
            }
        case (.GET, "/v1/models"):
            simple(context, head, 200, json, Self.modelsBody)
        case (.GET, "/healthz"):
            simple(context, head, 200, json, Array("{\"status\":\"ok\"}".utf8))
        case (.GET, "/_mock/stats"):
            simple(context, head, 200, json, recorder.statsJSON())
        case (.GET, "/_mock/requests"):
            simple(context, head, 200, json, recorder.requestsJSON())
        case (.POST, "/_mock/reset"):
            recorder.reset()
            simple(context, head, 200, json, Array("{\"reset\":true}".utf8))
        default:
            notFound(context, head, path)
        }
    }

    private func notFound(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ path: String) {
        let api: MockAPI = path.hasPrefix("/v1/messages") || path.hasPrefix("/v1/organizations") ? .anthropic : .openai
        let message = "The mock provider has no route \(head.method.rawValue) \(path)."
        simple(context, head, 404, [("content-type", "application/json")],
               Array(MockErrors.body(api: api, status: 404, message: message).utf8))
    }

    static let modelsBody: [UInt8] = Array(("{\"object\":\"list\",\"data\":["
        + "{\"id\":\"mock-small\",\"object\":\"model\",\"created\":0,\"owned_by\":\"tollgate-mock\"},"
        + "{\"id\":\"mock-large\",\"object\":\"model\",\"created\":0,\"owned_by\":\"tollgate-mock\"}]}").utf8)

    private func simple(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: Int,
                        _ headers: [(String, String)], _ body: [UInt8]) {
        play(context: context, head: head,
             plan: MockPlan(status: status, headers: headers + [("content-length", String(body.count))],
                            parts: [.bytes(body, delayMsBefore: 0)]))
    }

    // MARK: Playing a plan

    private func play(context: ChannelHandlerContext, head: HTTPRequestHead, plan: MockPlan) {
        var headers = HTTPHeaders(plan.headers)
        if !head.isKeepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: plan.status),
                                            headers: headers)
        step(context: context, responseHead: responseHead, keepAlive: head.isKeepAlive, parts: plan.parts[...],
             headSent: false, stallLimitMs: responder.defaults.stallLimitMs)
    }

    /// Sends parts until one needs a delay, then schedules the rest. Writes
    /// without delays between them are flushed together.
    private func step(context: ChannelHandlerContext, responseHead: HTTPResponseHead, keepAlive: Bool,
                      parts: ArraySlice<MockPart>, headSent: Bool, stallLimitMs: Int) {
        var parts = parts
        var headSent = headSent
        func sendHead() {
            if !headSent {
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                headSent = true
            }
        }
        while !closed, let part = parts.first {
            switch part {
            case .bytes(let bytes, let delay) where delay > 0:
                context.flush()
                parts[parts.startIndex] = .bytes(bytes, delayMsBefore: 0)
                let rest = parts
                let sent = headSent
                scheduled = context.eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) {
                    self.scheduled = nil
                    self.step(context: context, responseHead: responseHead, keepAlive: keepAlive, parts: rest,
                              headSent: sent, stallLimitMs: stallLimitMs)
                }
                return
            case .bytes(let bytes, _):
                sendHead()
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
                parts = parts.dropFirst()
            case .stall:
                // `stall` first sends nothing at all; after parts, the head is out already.
                context.flush()
                // Give up eventually so nothing hangs forever.
                scheduled = context.eventLoop.scheduleTask(in: .milliseconds(Int64(stallLimitMs))) {
                    self.scheduled = nil
                    context.close(promise: nil)
                }
                return
            case .cut:
                sendHead()
                context.flush()
                context.close(promise: nil)
                return
            }
        }
        guard !closed else { return }
        sendHead()
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
    }
}
