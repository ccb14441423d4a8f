import NIOCore
import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// One per connection: collects a request (bounded) and hands it to the
/// gateway's Router; a call the route returns (a ProxyCall) is started and
/// told about the client. NIO's pipeline handler in front of it keeps
/// pipelined requests in order, one at a time.
package final class HTTPServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer?)
        /// Answered 413; the rest of the connection's input is ignored
        /// until it closes.
        case tooLarge
        case responding
    }

    private let gateway: Gateway
    private var state = State.idle
    private var activeCall: ClientCall?

    init(gateway: Gateway) {
        self.gateway = gateway
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // A declared length over the limit is answered from the head:
            // the client need not send (nor the gateway read) the body.
            if let declared = head.headers.first(name: "content-length").flatMap({ Int($0) }), declared > gateway.maxBodyBytes {
                return refuseTooLarge(context: context, head: head)
            }
            state = .receiving(head, nil)
        case .body(var chunk):
            switch state {
            case .receiving(let head, var body):
                let size = (body?.readableBytes ?? 0) + chunk.readableBytes
                if size > gateway.maxBodyBytes {
                    // A chunked body passing the limit: answered now, the
                    // rest never read (the connection closes after).
                    return refuseTooLarge(context: context, head: head)
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
            default:
                return
            }
        }
    }

    /// 413 at once, then the connection closes: whatever of the body is
    /// still coming is never buffered.
    private func refuseTooLarge(context: ChannelHandlerContext, head: HTTPRequestHead) {
        state = .tooLarge
        let writer = makeWriter(context: context, head: head, forceClose: true)
        writer.onEnd = nil  // stays refusing until the connection closes
        writer.sendError(GatewayError(status: 413, type: "invalid_request_error", code: "request_too_large",
                                      message: "The request body is larger than the gateway's limit of \(gateway.maxBodyBytes) bytes."),
                         dialect: APIDialect(errorsOn: head.uri))
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
        let request = RoutedRequest(gateway: gateway, head: head, path: Router.path(of: head.uri), body: body, writer: writer)
        guard let call = gateway.router.respond(to: request) else { return }
        // Tracked before it starts: a call refused at once ends (and
        // clears activeCall through the writer's onEnd) inside start().
        activeCall = call
        call.start()
        if !context.channel.isWritable { call.writabilityChanged(isWritable: false) }
    }

    package func channelInactive(context: ChannelHandlerContext) {
        if let call = activeCall {
            activeCall = nil
            call.clientDisconnected()
        }
        context.fireChannelInactive()
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        activeCall?.writabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    package func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Malformed HTTP is answered by ProtocolErrorResponder; anything
        // else closes the connection (inactive then cleans up a running call).
        context.close(promise: nil)
    }
}
