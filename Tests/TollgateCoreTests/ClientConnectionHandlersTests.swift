import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

/// A client connection's pipeline as the gateway builds it, on an embedded
/// channel with virtual time: malformed requests get a JSON 400, idle and
/// half-sent connections are closed, a response in progress never is.
final class ClientConnectionHandlersTests: XCTestCase {
    /// Stands in for HTTPServerHandler: answers each request at its end,
    /// or starts a response and leaves it open when `holdResponses`.
    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        var holdResponses = false
        var context: ChannelHandlerContext?

        func handlerAdded(context: ChannelHandlerContext) { self.context = context }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok,
                                                                 headers: ["transfer-encoding": "chunked"]))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "data: 1\n\n")))), promise: nil)
            if !holdResponses { finish() }
        }

        func finish() { context?.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
    }

    private var channel: EmbeddedChannel!
    private var responder: Responder!
    private var expiries: [ClientConnectionClock.Expiry] = []

    override func setUpWithError() throws {
        channel = EmbeddedChannel()
        responder = Responder()
        let timeouts = ClientTimeoutHandler(eventLoop: channel.eventLoop, headerTimeout: .milliseconds(100),
                                            idleTimeout: .seconds(1)) { [unowned self] in expiries.append($0) }
        let handlers = channel.pipeline.syncOperations
        try handlers.addHandler(timeouts.byteWatcher)
        try handlers.configureHTTPServerPipeline(withErrorHandling: false, withOutboundHeaderValidation: false,
                                                 withEncoderConfiguration: .init())
        try handlers.addHandler(ProtocolErrorResponder())
        try handlers.addHandler(timeouts)
        try handlers.addHandler(responder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4000)).wait()
    }

    override func tearDown() {
        _ = try? channel.finish()
    }

    private func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    private func wire() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    /// Status, lower-cased headers and body of the one response on the wire.
    private func answer() throws -> (status: Int, headers: [String: String], body: [String: Any]) {
        let text = try wire()
        let parts = text.components(separatedBy: "\r\n\r\n")
        XCTAssertEqual(parts.count, 2, text)
        let lines = parts[0].components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1)
            headers[pair[0].lowercased()] = pair[1].trimmingCharacters(in: .whitespaces)
        }
        let body = try JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any] ?? [:]
        return (status, headers, body)
    }

    // MARK: malformed HTTP

    func testEachMalformedHeadGetsA400WithOpenAIsErrorBodyAndTheConnectionCloses() throws {
        let cases: [(String, String)] = [
            ("bare CR", "GET /healthz HTTP/1.1\r\nhost: x\rx-a: b\r\n\r\n"),
            ("NUL", "GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: b\u{0}c\r\n\r\n"),
            ("space before colon", "GET /healthz HTTP/1.1\r\nhost : x\r\n\r\n"),
            ("100 KB header", "GET /healthz HTTP/1.1\r\nx-big: \(String(repeating: "a", count: 100_000))\r\n\r\n"),
            ("CL and TE", "POST /v1/messages HTTP/1.1\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"),
            ("two CLs", "POST /v1/messages HTTP/1.1\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!"),
        ]
        for (name, request) in cases {
            try setUpWithError()
            try send(request)
            let (status, headers, body) = try answer()
            XCTAssertEqual(status, 400, name)
            XCTAssertEqual(headers["content-type"], "application/json", name)
            XCTAssertEqual(headers["connection"], "close", name)
            XCTAssertEqual(headers["x-tollgate-error-code"], "malformed_http", name)
            let error = body["error"] as? [String: Any]
            XCTAssertEqual(error?["type"] as? String, "invalid_request_error", name)
            XCTAssertEqual(error?["code"] as? String, "malformed_http", name)
            XCTAssertNotNil(error?["message"] as? String, name)
            print("\(name): \(error?["message"] ?? "")")
            // The rest of what the client sends is drained, then the
            // connection goes (here: when the linger time is up).
            try send("more bytes\r\n")
            XCTAssertEqual(try wire(), "", name)
            channel.embeddedEventLoop.advanceTime(by: ProtocolErrorResponder.lingerLimit)
            XCTAssertFalse(channel.isActive, name)
        }
    }

    func testABadBodyOnTheAnthropicRouteGetsAnthropicsShape() throws {
        try send("POST /v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n")
        let (status, _, body) = try answer()
        XCTAssertEqual(status, 400)
        XCTAssertEqual(body["type"] as? String, "error")
        XCTAssertEqual((body["error"] as? [String: Any])?["type"] as? String, "invalid_request_error")
    }

    func testAMalformedPipelinedRequestIsAnsweredAfterTheResponseInProgress() throws {
        responder.holdResponses = true
        try send("GET /one HTTP/1.1\r\nhost: x\r\n\r\nGET /two HTTP/1.1\r\nhost : x\r\n\r\n")
        XCTAssertFalse(try wire().contains("400"), "the first response is still streaming")
        responder.finish()
        let text = try wire()
        XCTAssertTrue(text.contains("0\r\n\r\nHTTP/1.1 400 Bad Request\r\n"), text)
    }

    // MARK: timeouts

    func testAHalfSentHeadIsClosedAtTheHeaderTimeout() throws {
        try send("GET /healthz HTTP/1.1\r\nhost:")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(99))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(expiries, [.header])
        XCTAssertEqual(try wire(), "", "closed without an answer")
    }

    func testAKeptAliveConnectionIsClosedAfterTheIdleTimeoutAndANewHeadGetsTheHeaderTime() throws {
        try send("GET /a HTTP/1.1\r\nhost: x\r\n\r\n")
        XCTAssertTrue(try wire().hasPrefix("HTTP/1.1 200 OK"))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(900))
        try send("GET /b HTTP/1.1\r\n")  // the next request starts: its head has 100 ms
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(99))
        XCTAssertTrue(channel.isActive)
        try send("host: x\r\n\r\n")
        XCTAssertTrue(try wire().hasPrefix("HTTP/1.1 200 OK"))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(expiries, [.idle])
    }

    func testAResponseInProgressIsNeverCutThenTheIdleTimeStarts() throws {
        responder.holdResponses = true
        try send("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}")
        channel.embeddedEventLoop.advanceTime(by: .seconds(3600))
        XCTAssertTrue(channel.isActive, "a stream may run for as long as it runs")
        responder.finish()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertFalse(channel.isActive)
    }

    func testABodyThatStopsArrivingIsClosedAfterTheIdleTime() throws {
        try send("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n{\"a\"")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(900))
        try send(":1")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(900))
        XCTAssertTrue(channel.isActive, "each byte restarts the body's idle time")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(expiries, [.body])
    }
}
