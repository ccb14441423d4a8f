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
        case tooLarge(HTTPRequestHead)
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
