import NIOCore
import NIOHTTP1

/// One per connection: collects a request (bounded), routes it, and hands
/// API calls to a ProxyCall. NIO's pipeline handler in front of it keeps
/// pipelined requests in order, one at a time.
final class HTTPServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer?)
        case tooLarge(HTTPRequestHead)
        case responding
    }

    private let gateway: Gateway
    private var state = State.idle
    private var activeCall: ProxyCall?

    init(gateway: Gateway) {
        self.gateway = gateway
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            state = .receiving(head, nil)
        case .body(var chunk):
            switch state {
            case .receiving(let head, var body):
                let size = (body?.readableBytes ?? 0) + chunk.readableBytes
                if size > gateway.maxBodyBytes {
                    state = .tooLarge(head)
                    return
                }
                if body == nil {
                    body = chunk
                } else {
                    body!.writeBuffer(&chunk)
                }
                state = .receiving(head, body)
            default:
                return
            }
        case .end:
            switch state {
            case .receiving(let head, let body):
                state = .responding
                dispatch(context: context, head: head, body: body)
            case .tooLarge(let head):
                state = .responding
                let writer = makeWriter(context: context, head: head, forceClose: true)
                writer.sendError(GatewayError(status: 413, type: "invalid_request_error", code: "request_too_large",
                                              message: "The request body is larger than the gateway's limit of \(gateway.maxBodyBytes) bytes."),
                                 dialect: APIDialect(errorsOn: head.uri))
            default:
                return
            }
        }
    }

    private func makeWriter(context: ChannelHandlerContext, head: HTTPRequestHead, forceClose: Bool = false) -> ResponseWriter {
        let writer = ResponseWriter(context: context, keepAlive: head.isKeepAlive && !forceClose, version: head.version)
        writer.onEnd = { [weak self] in
            self?.state = .idle
            self?.activeCall = nil
        }
        return writer
    }

    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer?) {
        let writer = makeWriter(context: context, head: head)
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        if head.method == .POST, let dialect = APIDialect(route: path) {
            return startCall(dialect: dialect, context: context, head: head, body: body, writer: writer)
        }
        switch (head.method, path) {
        case (.GET, "/v1/models"):
            gateway.serveModels(head: head, writer: writer)
        case (.GET, "/healthz"):
            writer.send(status: 200, headers: [("content-type", "text/plain")], body: Array("ok\n".utf8))
        case (.GET, "/readyz"):
            let ready = gateway.isReady
            writer.send(status: ready ? 200 : 503, headers: [("content-type", "text/plain")],
                        body: Array((ready ? "ready\n" : "not ready\n").utf8))
        case (.GET, "/metrics"):
            writer.send(status: 200, headers: [("content-type", "text/plain; version=0.0.4")], body: gateway.metricsExposition())
        case (_, _) where path.hasPrefix("/admin/"):
            gateway.serveAdmin(method: head.method, path: path, head: head, body: body, writer: writer)
        case (_, _) where path == "/v1/models" || APIDialect(route: path) != nil:
            writer.sendError(GatewayError(status: 405, type: "invalid_request_error", code: "method_not_allowed",
                                          message: "\(head.method) is not allowed on \(path)."),
                             dialect: APIDialect(errorsOn: path))
        default:
            writer.sendError(.notFound("No route for \(head.method) \(path)."), dialect: .unrouted)
        }
    }

    private func startCall(dialect: APIDialect, context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer?,
                           writer: ResponseWriter) {
        let bytes = body.map { Array($0.readableBytesView) } ?? []
        let call = ProxyCall(gateway: gateway, dialect: dialect, head: head, body: bytes, writer: writer,
                             eventLoop: context.eventLoop)
        activeCall = call
        call.start()
        if !context.channel.isWritable { call.writabilityChanged(isWritable: false) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let call = activeCall {
            activeCall = nil
            call.clientDisconnected()
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        activeCall?.writabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Malformed HTTP is answered by ProtocolErrorResponder; anything
        // else closes the connection (inactive then cleans up a running call).
        context.close(promise: nil)
    }
}
