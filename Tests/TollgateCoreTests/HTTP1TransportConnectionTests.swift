import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
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

/// The same connection handling on libcurl's transport.
final class CurlTransportConnectionTests: HTTP1TransportConnectionTests {
    override var transportKind: UpstreamTransportKind { .curl }
    // Linux's XCTest runs only the test methods a class declares itself.
    override func testAKeptAliveConnectionClosedByTheServerIsRetriedOnce() throws { try super.testAKeptAliveConnectionClosedByTheServerIsRetriedOnce() }
    override func testAKeptAliveConnectionLostLongAfterTheSendIsNotRetried() throws { try super.testAKeptAliveConnectionLostLongAfterTheSendIsNotRetried() }
    override func testANewConnectionClosedWithoutAnswerFailsWithoutRetry() throws { try super.testANewConnectionClosedWithoutAnswerFailsWithoutRetry() }
    override func testIdleConnectionsAreClosedAfterTheIdleTimeout() throws { try super.testIdleConnectionsAreClosedAfterTheIdleTimeout() }
    override func testConnectionCloseFromTheServerIsNotReused() throws { try super.testConnectionCloseFromTheServerIsNotReused() }
    override func testHTTPSWithATrustedCertificate() throws { try super.testHTTPSWithATrustedCertificate() }
    override func testHTTPSWithAnUntrustedCertificateFailsToConnect() throws { try super.testHTTPSWithAnUntrustedCertificateFailsToConnect() }
    override func testURLsThatCannotBeUsedFailWithTheReason() { super.testURLsThatCannotBeUsedFailWithTheReason() }
    override func testEndpointParsing() throws { try super.testEndpointParsing() }
}

/// The transport's connection handling against scripted servers: stale
/// keep-alive connections, the idle timeout, TLS. On the NIO transport
/// (and, through `CurlTransportConnectionTests`, on libcurl's).
class HTTP1TransportConnectionTests: XCTestCase {
    var group: MultiThreadedEventLoopGroup!
    var transportKind: UpstreamTransportKind { .nio }
    /// The CA bundle the next calls trust (libcurl takes it per request).
    private var trustRootsFile: String?

    /// A transport of the suite's kind; its shutdown runs at the end of the test.
    func makeTransport(trustRootsFile: String? = nil, idleSeconds: Int = 60) -> UpstreamTransport {
        self.trustRootsFile = trustRootsFile
        let (transport, shutdown) = TestTransports.make(transportKind, group: group, trustRootsFile: trustRootsFile,
                                                        idleSeconds: idleSeconds)
        addTeardownBlock(shutdown)
        return transport
    }

    override func setUpWithError() throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDownWithError() throws {
        try group.syncShutdownGracefully()
    }

    private func call(_ transport: UpstreamTransport, _ url: String) -> RecordingUpstreamDelegate {
        transport.runToFinish(UpstreamRequest(url: url, body: Array("{}".utf8), connectTimeoutMs: 5_000,
                                              firstByteTimeoutMs: 5_000, idleTimeoutMs: 5_000,
                                              connection: UpstreamOptions(caBundle: trustRootsFile)),
                              on: group.next())
    }

    func testAKeptAliveConnectionClosedByTheServerIsRetriedOnce() throws {
        // Every connection answers its first request and closes on its
        // second without a word: what a server's idle close looks like
        // when it crosses the gateway's next request on the wire.
        let server = try ScriptedHTTPServer(group: group) { requestOnConnection in
            requestOnConnection == 1 ? .answer : .closeWithoutAnswer
        }
        defer { server.stop() }
        let transport = makeTransport()

        XCTAssertEqual(call(transport, server.url).status, 200)
        let second = call(transport, server.url)
        XCTAssertEqual(second.finishes.first ?? .transport("missing"), nil)
        XCTAssertEqual(second.status, 200)
        XCTAssertEqual(second.bodyText, "ok")
        XCTAssertEqual(server.connectionsOpened, 2, "the retry went out on a new connection")
        XCTAssertEqual(server.requestsSeen, 3)
    }

    func testAKeptAliveConnectionLostLongAfterTheSendIsNotRetried() throws {
        // The provider took the request, worked on it past the stale-close
        // window, then dropped the connection: it may have done the work,
        // so the request is not sent again.
        let server = try ScriptedHTTPServer(group: group) { requestOnConnection in
            requestOnConnection == 1 ? .answer : .closeWithoutAnswerAfter(.milliseconds(700))
        }
        defer { server.stop() }
        let transport = makeTransport()

        XCTAssertEqual(call(transport, server.url).status, 200)
        let second = call(transport, server.url)
        let why = try XCTUnwrap(second.transportFailure, "expected a transport failure, got \(second.finishes)")
        XCTAssertTrue(why.contains("before it answered"), why)
        XCTAssertEqual(server.requestsSeen, 2, "not retried")
    }

    func testANewConnectionClosedWithoutAnswerFailsWithoutRetry() throws {
        let server = try ScriptedHTTPServer(group: group) { _ in .closeWithoutAnswer }
        defer { server.stop() }
        let transport = makeTransport()

        let delegate = call(transport, server.url)
        let why = try XCTUnwrap(delegate.transportFailure, "expected a transport failure, got \(delegate.finishes)")
        XCTAssertTrue(why.contains("before it answered"), why)
        XCTAssertEqual(server.requestsSeen, 1, "a request that may have reached the provider is not sent twice")
    }

    func testIdleConnectionsAreClosedAfterTheIdleTimeout() throws {
        let server = try ScriptedHTTPServer(group: group) { _ in .answer }
        defer { server.stop() }
        // libcurl counts a connection's idle age in whole seconds and closes
        // an aged one when it next looks at its cache (the next call); the
        // NIO pool closes it on its own.
        let idle: UpstreamTransport
        if transportKind == .nio {
            let nio = HTTP1Transport(group: group, idleTimeout: .milliseconds(200))
            addTeardownBlock { nio.shutdown() }
            idle = nio
        } else {
            idle = makeTransport(idleSeconds: 1)
        }

        XCTAssertEqual(call(idle, server.url).status, 200)
        XCTAssertEqual(call(idle, server.url).status, 200)
        XCTAssertEqual(server.connectionsOpened, 1, "kept alive between the two calls")
        if transportKind == .nio {
            XCTAssertTrue(waitUntil(5) { server.connectionsClosed == 1 }, "closed once idle past the timeout")
        } else {
            usleep(2_100_000)
        }
        XCTAssertEqual(call(idle, server.url).status, 200)
        XCTAssertEqual(server.connectionsOpened, 2)
        XCTAssertTrue(waitUntil(5) { server.connectionsClosed == 1 }, "the idle one was closed")
    }

    func testConnectionCloseFromTheServerIsNotReused() throws {
        let server = try ScriptedHTTPServer(group: group) { _ in .answerAndClose }
        defer { server.stop() }
        let transport = makeTransport()

        for _ in 0..<3 { XCTAssertEqual(call(transport, server.url).status, 200) }
        XCTAssertEqual(server.connectionsOpened, 3)
        XCTAssertEqual(server.requestsSeen, 3, "no request went to a connection the server said it would close")
    }

    func testHTTPSWithATrustedCertificate() throws {
        let certificate = try SelfSignedCertificate.make()
        let server = try ScriptedHTTPServer(group: group, tls: certificate) { _ in .answer }
        defer { server.stop() }
        let transport = makeTransport(trustRootsFile: certificate.certificatePath)

        let url = "https://localhost:\(server.port)/v1/chat/completions"
        let first = call(transport, url)
        XCTAssertEqual(first.finishes.first ?? .transport("missing"), nil)
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.bodyText, "ok")
        XCTAssertEqual(call(transport, url).status, 200)
        XCTAssertEqual(server.connectionsOpened, 1, "TLS connections are kept alive too")
    }

    func testHTTPSWithAnUntrustedCertificateFailsToConnect() throws {
        let certificate = try SelfSignedCertificate.make()
        let server = try ScriptedHTTPServer(group: group, tls: certificate) { _ in .answer }
        defer { server.stop() }
        let transport = makeTransport()  // the system's roots: the test certificate is not among them

        let delegate = call(transport, "https://localhost:\(server.port)/v1/chat/completions")
        guard case .connectFailed(let why)?? = Optional(delegate.finishes.first) else {
            return XCTFail("expected connectFailed, got \(delegate.finishes)")
        }
        XCTAssertTrue(why.contains("localhost:\(server.port)"), why)
        XCTAssertNil(delegate.status)
        XCTAssertEqual(server.requestsSeen, 0, "nothing was sent over an unverified connection")
    }

    func testURLsThatCannotBeUsedFailWithTheReason() {
        let transport = makeTransport()
        for (url, reason) in [("ftp://host/x", "scheme 'ftp'"), ("http://user:pw@host/x", "credentials"),
                              ("http://host:99999/x", "port '99999'"), ("http:///x", "no host"),
                              ("host/x", "absolute")] {
            let delegate = call(transport, url)
            guard case .connectFailed(let why)?? = Optional(delegate.finishes.first) else {
                XCTFail("\(url): expected connectFailed, got \(delegate.finishes)")
                continue
            }
            XCTAssertTrue(why.contains(reason), "\(url): \(why)")
        }
    }

    func testEndpointParsing() throws {
        guard transportKind == .nio else { return }  // a pure function: once is enough
        func parse(_ url: String) throws -> (UpstreamEndpoint, String) { try UpstreamEndpoint.parse(url).get() }
        var (endpoint, target) = try parse("https://api.openai.com/v1/chat/completions")
        XCTAssertEqual(endpoint, UpstreamEndpoint(tls: true, host: "api.openai.com", port: 443, authority: "api.openai.com"))
        XCTAssertEqual(target, "/v1/chat/completions")
        XCTAssertEqual(endpoint.serverName, "api.openai.com")
        (endpoint, target) = try parse("HTTP://[::1]:8080?x=1#frag")
        XCTAssertEqual(endpoint, UpstreamEndpoint(tls: false, host: "::1", port: 8080, authority: "[::1]:8080"))
        XCTAssertEqual(target, "/?x=1")
        XCTAssertNil(endpoint.serverName)
        (endpoint, _) = try parse("https://10.0.0.7:8443/v1")
        XCTAssertEqual(endpoint.port, 8443)
        XCTAssertNil(endpoint.serverName, "no SNI for an IP address")
    }
}

/// The webhook alert sink's real poster (the sink's tests use a scripted one).
final class HTTPWebhookPosterTests: XCTestCase {
    func testPostsAndReportsTheStatus() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try ScriptedHTTPServer(group: group) { _ in .answer }
        defer { server.stop() }
        let poster = HTTPWebhookPoster()
        defer { poster.close() }
        XCTAssertEqual(poster.post(url: server.url, body: Array("{}".utf8), headers: [("x-token", "t")], timeoutMs: 5_000),
                       .status(200))
        XCTAssertEqual(poster.post(url: server.url, body: Array("{}".utf8), headers: [], timeoutMs: 5_000), .status(200))
        XCTAssertEqual(server.connectionsOpened, 1, "the receiver's connection is kept alive")
    }

    func testAReceiverThatNeverAnswersIsBoundedByTheTimeout() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try ScriptedHTTPServer(group: group) { _ in .hang }
        defer { server.stop() }
        let poster = HTTPWebhookPoster()
        defer { poster.close() }
        guard case .transportError(let why) = poster.post(url: server.url, body: [], headers: [], timeoutMs: 200) else {
            return XCTFail("expected a transport error")
        }
        XCTAssertTrue(why.contains("no answer"), why)
    }

    func testAnUnusableURLIsATransportError() {
        let poster = HTTPWebhookPoster()
        defer { poster.close() }
        guard case .transportError(let why) = poster.post(url: "hooks.example.com/x", body: [], headers: [], timeoutMs: 1_000) else {
            return XCTFail("expected a transport error")
        }
        XCTAssertTrue(why.contains("not usable"), why)
    }
}

/// A self-signed certificate for `localhost` and 127.0.0.1, made with the
/// openssl command (skips the test where there is none).
struct SelfSignedCertificate {
    let certificatePath: String
    let keyPath: String

    static func make() throws -> SelfSignedCertificate {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = SelfSignedCertificate(certificatePath: directory.appendingPathComponent("cert.pem").path,
                                                keyPath: directory.appendingPathComponent("key.pem").path)
        guard let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("no openssl command to make a test certificate")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", certificate.keyPath, "-out", certificate.certificatePath, "-days", "2",
                             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "openssl req failed")
        return certificate
    }
}

/// An HTTP/1.1 server that answers each request as a script says, and
/// counts connections and requests.
final class ScriptedHTTPServer: @unchecked Sendable {
    enum Action: Equatable { case answer, answerAndClose, closeWithoutAnswer, closeWithoutAnswerAfter(TimeAmount), hang }

    private let channel: Channel
    private let counts = NIOLockedValueBox((opened: 0, closed: 0, requests: 0))
    let port: Int
    var url: String { "http://127.0.0.1:\(port)/v1/chat/completions" }
    var connectionsOpened: Int { counts.withLockedValue { $0.opened } }
    var connectionsClosed: Int { counts.withLockedValue { $0.closed } }
    var requestsSeen: Int { counts.withLockedValue { $0.requests } }

    /// `script` gets the request's number on its connection (from 1).
    /// `requireClientCertificateFrom`: with TLS, a client must present that
    /// certificate (mTLS).
    init(group: EventLoopGroup, tls: SelfSignedCertificate? = nil, requireClientCertificateFrom client: SelfSignedCertificate? = nil,
         script: @escaping @Sendable (Int) -> Action) throws {
        let sslContext = try tls.map {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile($0.certificatePath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: $0.keyPath, format: .pem)))
            if let client {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .file(client.certificatePath)
            }
            return try NIOSSLContext(configuration: configuration)
        }
        let counts = self.counts
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counts.withLockedValue { $0.opened += 1 }
                channel.closeFuture.whenComplete { _ in counts.withLockedValue { $0.closed += 1 } }
                do {
                    if let sslContext { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(counts: counts, script: script))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress!.port!
    }

    func stop() { try? channel.close().wait() }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let counts: NIOLockedValueBox<(opened: Int, closed: Int, requests: Int)>
        let script: (Int) -> Action
        var requests = 0

        init(counts: NIOLockedValueBox<(opened: Int, closed: Int, requests: Int)>, script: @escaping (Int) -> Action) {
            self.counts = counts
            self.script = script
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            requests += 1
            counts.withLockedValue { $0.requests += 1 }
            let action = script(requests)
            if action == .closeWithoutAnswer { return context.close(promise: nil) }
            if action == .hang { return }
            if case .closeWithoutAnswerAfter(let delay) = action {
                context.eventLoop.scheduleTask(in: delay) { context.close(promise: nil) }
                return
            }
            var headers = HTTPHeaders([("content-length", "2"), ("content-type", "text/plain")])
            if action == .answerAndClose { headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if action == .answerAndClose { context.close(promise: nil) }
            }
        }
    }
}
