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

/// Writes one HTTP response on a channel: either whole (with
/// content-length) or as a chunked stream. Event loop only.
package final class ResponseWriter {
    let context: ChannelHandlerContext
    let keepAlive: Bool
    let version: HTTPVersion
    /// The status line sent to the client; 0 until a head was sent.
    private(set) var sentStatus = 0
    var headSent: Bool { sentStatus != 0 }
    private(set) var ended = false
    /// Called once the response's end was written (the handler reads the
    /// next pipelined request then).
    var onEnd: (() -> Void)?

    init(context: ChannelHandlerContext, keepAlive: Bool, version: HTTPVersion) {
        self.context = context
        self.keepAlive = keepAlive
        self.version = version
    }

    private func makeHead(status: Int, headers: [(String, String)], contentLength: Int?) -> HTTPResponseHead {
        // Handed over whole: HTTPHeaders.add re-checks each name byte by
        // byte, and every header here was checked where it entered.
        var h = HTTPHeaders(headers)
        if let contentLength { h.replaceOrAdd(name: "content-length", value: String(contentLength)) }
        if !keepAlive { h.replaceOrAdd(name: "connection", value: "close") }
        return HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: h)
    }

    /// A complete response.
    func send(status: Int, headers: [(String, String)], body: [UInt8]) {
        guard !headSent, !ended else { return }
        sentStatus = status
        context.write(NIOAny(HTTPServerResponsePart.head(makeHead(status: status, headers: headers, contentLength: body.count))),
                      promise: nil)
        if !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        }
        end()
    }

    /// Starts a streamed (chunked) response.
    func startStream(status: Int, headers: [(String, String)]) {
        guard !headSent, !ended else { return }
        sentStatus = status
        context.write(NIOAny(HTTPServerResponsePart.head(makeHead(status: status, headers: headers, contentLength: nil))),
                      promise: nil)
    }

    /// Stream bytes are gathered until the next flush (or the end) and go
    /// down the pipeline as one body part: a stream's events arrive
    /// several to a read, and each body part costs the HTTP encoder a
    /// chunk header, the part and a CRLF.
    func write(_ bytes: [UInt8]) {
        guard headSent, !ended, !bytes.isEmpty else { return }
        if pending == nil { pending = context.channel.allocator.buffer(capacity: max(bytes.count, 256)) }
        pending!.writeBytes(bytes)
    }

    private var pending: ByteBuffer?

    private func writePending() {
        guard let buffer = pending else { return }
        pending = nil
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
    }

    func flush() {
        guard headSent && !ended else { return }
        writePending()
        context.flush()
    }

    func end() {
        guard headSent, !ended else { return }
        writePending()
        ended = true
        let keepAlive = self.keepAlive
        let context = self.context
        // Before the end goes down the pipeline: writing it hands the next
        // pipelined request to the handler at once, and this response's
        // callback must not then reset the handler under that request.
        onEnd?()
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}

extension ResponseWriter {
    func sendError(_ error: GatewayError, dialect: APIDialect, extraHeaders: [(String, String)] = []) {
        var headers = error.responseHeaders
        headers.append(contentsOf: extraHeaders)
        headers.append(contentsOf: error.headers)
        send(status: error.status, headers: headers, body: error.body(for: dialect))
    }

    func sendJSON(status: Int, _ bytes: [UInt8], extraHeaders: [(String, String)] = []) {
        send(status: status, headers: [("content-type", "application/json")] + extraHeaders, body: bytes)
    }
}
