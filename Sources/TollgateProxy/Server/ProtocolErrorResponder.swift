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

/// Answers a request NIO's HTTP parser refused — bad bytes in the head, a
/// head over 80 KB, conflicting Content-Length / Transfer-Encoding, a bad
/// chunk — with a 400 carrying the JSON error body, then closes. It takes
/// the place of NIO's HTTPServerProtocolErrorHandler, whose 400 has an
/// empty body. It sits right after the pipelining handler, which holds a
/// parser error back until the response in progress has ended.
///
/// The dialect is the route's when the failing request's head was read (an
/// error in its body); a head that did not parse has no route to trust,
/// and gets the unrouted shape (OpenAI's).
package final class ProtocolErrorResponder: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    /// How long a client may go on sending after the answer. Closing a
    /// socket with unread input makes the kernel send a reset, which can
    /// destroy the answer before the client reads it; so the gateway stops
    /// writing, reads and drops what still comes, and closes when the
    /// client does or this time is up.
    static let lingerLimit = TimeAmount.seconds(2)

    private var requestDialect: APIDialect?
    private var responseInProgress = false
    private var failed = false

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        switch unwrapInboundIn(data) {
        case .head(let head): requestDialect = APIDialect(errorsOn: head.uri)
        case .body: break
        case .end: requestDialect = nil
        }
        context.fireChannelRead(data)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: responseInProgress = true
        case .end: responseInProgress = false
        case .head, .body: break
        }
        context.write(data, promise: promise)
    }

    package func errorCaught(context: ChannelHandlerContext, error: Error) {
        // After the answer, the decoder reports every further read as an
        // error: those bytes are being drained.
        guard !failed else { return }
        guard let parserError = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        // A connection closed mid-request (by the client, or a timeout)
        // makes the decoder report the cut-off request: nobody to answer.
        guard context.channel.isActive else { return }
        failed = true
        guard !responseInProgress else {
            // Cannot happen behind the pipelining handler; a half-written
            // response cannot get a second status line anyway.
            return context.close(promise: nil)
        }
        let answer = Self.gatewayError(for: parserError)
        let body = answer.body(for: requestDialect ?? .unrouted)
        var headers = HTTPHeaders(answer.responseHeaders)
        headers.add(name: "content-length", value: String(body.count))
        headers.add(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
        }
        channel.eventLoop.scheduleTask(in: Self.lingerLimit) { channel.close(promise: nil) }
    }

    /// What the parser's complaint means for the person who sent it.
    static func gatewayError(for error: HTTPParserError) -> GatewayError {
        let message: String
        switch error {
        case .headerOverflow:
            message = "The request head is too large: the gateway accepts at most 80 KB of header lines."
        case .invalidHeaderToken, .invalidCharactersUsed:
            message = "A header holds a character HTTP does not allow (a control character such as NUL or a bare CR, or a space before the colon)."
        case .lfExpected:
            message = "A line of the request head does not end in CRLF (a bare CR)."
        case .unexpectedContentLength:
            message = "The request has two different Content-Length headers, or both Content-Length and Transfer-Encoding: send exactly one."
        case .invalidContentLength:
            message = "Content-Length is not a valid length."
        case .invalidChunkSize:
            message = "The chunked request body has an invalid chunk size."
        case .unknown:
            // llhttp's codes NIO has no case for; in practice a
            // Transfer-Encoding beside Content-Length (or not ending in
            // chunked), or a missing LF.
            message = "The request is not valid HTTP/1.1: Transfer-Encoding may not come with Content-Length and must end in 'chunked', and every line must end in CRLF."
        case .invalidMethod, .invalidURL, .invalidVersion:
            message = "The request line is not valid HTTP/1.1 (method, target or version)."
        default:
            message = "The request is not valid HTTP/1.1 (\(error))."
        }
        return GatewayError(status: 400, type: "invalid_request_error", code: "malformed_http", message: message)
    }
}
