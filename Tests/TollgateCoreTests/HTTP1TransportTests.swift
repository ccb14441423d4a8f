import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TollgateJSON
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

/// Both upstream transports, made the same way for the suites that run
/// against each (a subclass per transport overrides `transportKind`).
enum TestTransports {
    static func make(_ kind: UpstreamTransportKind, group: EventLoopGroup, trustRootsFile: String? = nil,
                     idleSeconds: Int = 60) -> (UpstreamTransport, shutdown: () -> Void) {
        switch kind {
        case .nio:
            let transport = HTTP1Transport(group: group, trustRootsFile: trustRootsFile, idleTimeout: .seconds(Int64(idleSeconds)))
            return (transport, transport.shutdown)
        case .curl:
            let transport = CurlTransport(group: group, maxIdleSeconds: idleSeconds)
            return (transport, transport.shutdown)
        }
    }
}

/// A mock provider on its own thread and an upstream transport on another
/// event loop, new for every test. Suites set the mock's defaults and the
/// transport.
class MockUpstreamTestCase: XCTestCase {
    var server: MockProviderServer!
    var port = 0
    var transport: UpstreamTransport!
    private var shutdownTransport: () -> Void = {}
    var group: MultiThreadedEventLoopGroup!
    var eventLoop: EventLoop { group.next() }

    var mockDefaults: MockDirectives { MockDirectives() }
    var transportKind: UpstreamTransportKind { .nio }

    override func setUpWithError() throws {
        server = MockProviderServer(host: "127.0.0.1", port: 0, defaults: mockDefaults, threads: 1)
        port = try server.start()
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        (transport, shutdownTransport) = TestTransports.make(transportKind, group: group)
    }

    override func tearDownWithError() throws {
        shutdownTransport()
        server.shutdown()
        try group.syncShutdownGracefully()
    }
}

/// The same suite on libcurl's transport.
final class CurlTransportTests: HTTP1TransportTests {
    override var transportKind: UpstreamTransportKind { .curl }
    // Linux's XCTest runs only the test methods a class declares itself.
    override func testNonStreamResponse() throws { try super.testNonStreamResponse() }
    override func testStreamArrivesInSeveralBodyCalls() throws { try super.testStreamArrivesInSeveralBodyCalls() }
    override func testErrorStatusesPassThroughFaithfully() throws { try super.testErrorStatusesPassThroughFaithfully() }
    override func testConnectRefused() throws { try super.testConnectRefused() }
    override func testStallHitsTheFirstByteTimeout() { super.testStallHitsTheFirstByteTimeout() }
    override func testStallMidStreamHitsTheIdleTimeout() { super.testStallMidStreamHitsTheIdleTimeout() }
    override func testCutMidStreamIsATransportFailure() { super.testCutMidStreamIsATransportFailure() }
    override func testCancelMidStreamStopsCallbacksAndClosesTheConnection() throws { try super.testCancelMidStreamStopsCallbacksAndClosesTheConnection() }
    override func testConnectionsAreReused() throws { try super.testConnectionsAreReused() }
    override func testConcurrentTransfersKeepTheirConnectionsPooled() throws { try super.testConcurrentTransfersKeepTheirConnectionsPooled() }
    override func testFiftyConcurrentTransfersAllComplete() throws { try super.testFiftyConcurrentTransfersAllComplete() }
    override func testPauseAndResumeDeliverEverything() throws { try super.testPauseAndResumeDeliverEverything() }
    override func testBadURLFailsCleanly() { super.testBadURLFailsCleanly() }
}

/// The upstream transport's contract against the mock provider, on the
/// NIO transport (and, through `CurlTransportTests`, on libcurl's).
class HTTP1TransportTests: MockUpstreamTestCase {
    override var mockDefaults: MockDirectives { MockDirectives(stallLimitMs: 30_000) }

    private func chat(_ model: String = "mock-small", stream: Bool = false, extra: String = "",
                      headers: [(String, String)] = [], path: String = "/v1/chat/completions",
                      firstByteTimeoutMs: Int64 = 10_000, idleTimeoutMs: Int64 = 10_000) -> UpstreamRequest {
        let body = #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"hello"}]\#(extra)}"#
        return UpstreamRequest(url: "http://127.0.0.1:\(port)\(path)", method: "POST",
                               headers: [("content-type", "application/json")] + headers, body: body.bytes,
                               connectTimeoutMs: 5_000, firstByteTimeoutMs: firstByteTimeoutMs, idleTimeoutMs: idleTimeoutMs)
    }

    private func run(_ request: UpstreamRequest) -> RecordingUpstreamDelegate {
        transport.runToFinish(request, on: eventLoop)
    }

    private func stats() throws -> JSONValue {
        let delegate = run(UpstreamRequest(url: "http://127.0.0.1:\(port)/_mock/stats", method: "GET"))
        return try JSONValue.parse(delegate.body)
    }

    func testNonStreamResponse() throws {
        let delegate = run(chat())
        XCTAssertEqual(delegate.finishes.count, 1)
        XCTAssertEqual(delegate.finishes.first ?? .transport("missing"), nil)
        XCTAssertEqual(delegate.status, 200)
        XCTAssertEqual(delegate.header("content-type"), "application/json")
        let answer = try JSONValue.parse(delegate.body)
        XCTAssertEqual(answer["object"]?.stringValue, "chat.completion")
        XCTAssertEqual(answer["usage"]?["completion_tokens"]?.int64Value, 16)
        XCTAssertEqual(delegate.violations, [])
    }

    func testStreamArrivesInSeveralBodyCalls() throws {
        let delegate = run(chat("mock-small+chunks=4+delay_ms=20", stream: true))
        XCTAssertEqual(delegate.finishes.first ?? .transport("missing"), nil)
        XCTAssertEqual(delegate.header("content-type"), "text/event-stream")
        XCTAssertGreaterThan(delegate.bodyCalls, 1, "chunks sent 20 ms apart must not be buffered into one call")
        var splitter = SSESplitter()
        let events = try splitter.feed(delegate.body)
        XCTAssertEqual(events.count, 7)
        XCTAssertEqual(events.last?.dataString, "[DONE]")
        XCTAssertEqual(delegate.violations, [])
    }

    func testErrorStatusesPassThroughFaithfully() throws {
        let limited = run(chat("mock-small+fail=429"))
        XCTAssertEqual(limited.finishes.first ?? .transport("missing"), nil, "an HTTP error is a complete response")
        XCTAssertEqual(limited.status, 429)
        XCTAssertEqual(limited.header("retry-after"), "1")
        XCTAssertEqual(try JSONValue.parse(limited.body)["error"]?["code"]?.stringValue, "rate_limit_exceeded")

        let broken = run(chat("claude+fail=500", path: "/v1/messages"))
        XCTAssertEqual(broken.status, 500)
        XCTAssertEqual(try JSONValue.parse(broken.body)["error"]?["type"]?.stringValue, "api_error")
    }

    func testConnectRefused() throws {
        // Bind a port, then close it: nothing listens there.
        let probe = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let closedPort = probe.localAddress!.port!
        try probe.close().wait()
        let delegate = run(UpstreamRequest(url: "http://127.0.0.1:\(closedPort)/v1/chat/completions", body: "{}".bytes))
        guard case .connectFailed(let why)?? = Optional(delegate.finishes.first) else {
            return XCTFail("expected connectFailed, got \(delegate.finishes)")
        }
        XCTAssertTrue(why.contains("\(closedPort)"), "the message names where: \(why)")
        XCTAssertNil(delegate.status)
    }

    func testStallHitsTheFirstByteTimeout() {
        let delegate = run(chat("mock-small+fail=stall", firstByteTimeoutMs: 200))
        XCTAssertEqual(delegate.finishes, [.firstByteTimeout])
        XCTAssertNil(delegate.status)
    }

    func testStallMidStreamHitsTheIdleTimeout() {
        let delegate = run(chat("mock-small+fail=stall-after-first", stream: true, idleTimeoutMs: 200))
        XCTAssertEqual(delegate.finishes, [.idleTimeout])
        XCTAssertEqual(delegate.status, 200)
        XCTAssertTrue(delegate.bodyText.hasPrefix("data: {"), "the first chunk arrived before the stall")
    }

    func testCutMidStreamIsATransportFailure() {
        let delegate = run(chat("mock-small+fail=cut+chunks=6", stream: true))
        XCTAssertNotNil(delegate.transportFailure, "expected a transport failure, got \(delegate.finishes)")
        XCTAssertFalse(delegate.bodyText.contains("[DONE]"))
    }

    func testCancelMidStreamStopsCallbacksAndClosesTheConnection() throws {
        _ = try stats()  // opens the connection the next transfer would reuse
        let delegate = RecordingUpstreamDelegate(eventLoop: eventLoop)
        let cancelled = DispatchSemaphore(value: 0)
        var transfer: UpstreamTransfer?
        delegate.onBody = { calls in
            if calls == 1 {
                transfer?.cancel()
                cancelled.signal()
            }
        }
        try delegate.eventLoop.submit {
            transfer = self.transport.start(self.chat("mock-small+chunks=200+delay_ms=10", stream: true),
                                            on: delegate.eventLoop, delegate: delegate)
        }.wait()
        XCTAssertEqual(cancelled.wait(timeout: .now() + 10), .success)
        let callsAtCancel = delegate.callCount
        XCTAssertTrue(try waitUntil { try self.stats()["connections_open"]?.int64Value == 1 },
                      "the mock saw the cancelled transfer's connection close (only the stats one is left)")
        try delegate.eventLoop.submit {}.wait()  // let any hop already queued run
        XCTAssertEqual(delegate.callCount, callsAtCancel, "no delegate call after cancel()")
        XCTAssertEqual(delegate.finishes.count, 0)
        transfer?.cancel()  // idempotent
        XCTAssertEqual(delegate.violations, [])
    }

    func testConnectionsAreReused() throws {
        for _ in 0..<10 { _ = run(chat()) }
        // The pool may open a second connection when the next call starts
        // before the last one's connection is back in the pool; never more.
        XCTAssertLessThanOrEqual(try stats()["connections_opened"]?.int64Value ?? 99, 2)
    }

    func testConcurrentTransfersKeepTheirConnectionsPooled() throws {
        // Five rounds of four calls at once on one loop: the pool keeps the
        // four connections for the next round instead of opening new ones.
        for round in 0..<5 {
            let delegates = (0..<4).map { _ in RecordingUpstreamDelegate(eventLoop: eventLoop) }
            for delegate in delegates { _ = transport.start(chat(), on: delegate.eventLoop, delegate: delegate) }
            for delegate in delegates {
                _ = delegate.waitForFinish()
                XCTAssertEqual(delegate.status, 200, "round \(round)")
            }
        }
        let opened = try stats()["connections_opened"]?.int64Value ?? 99
        XCTAssertLessThanOrEqual(opened, 8, "20 calls, at most 4 at once, must not open a connection each")
    }

    func testFiftyConcurrentTransfersAllComplete() throws {
        let delegates = (0..<50).map { i -> RecordingUpstreamDelegate in
            let delegate = RecordingUpstreamDelegate(eventLoop: group.next())
            let request = chat("mock-small+chunks=5+delay_ms=2", stream: i % 2 == 0, headers: [("x-n", "\(i)")])
            _ = transport.start(request, on: delegate.eventLoop, delegate: delegate)
            return delegate
        }
        for (i, delegate) in delegates.enumerated() {
            _ = delegate.waitForFinish()
            XCTAssertEqual(delegate.finishes.count, 1)
            XCTAssertEqual(delegate.finishes.first ?? .transport("missing"), nil, "transfer \(i)")
            XCTAssertEqual(delegate.status, 200)
            if i % 2 == 0 {
                XCTAssertTrue(delegate.bodyText.hasSuffix("data: [DONE]\n\n"), "transfer \(i)")
            } else {
                XCTAssertNoThrow(try JSONValue.parse(delegate.body))
            }
            XCTAssertEqual(delegate.violations, [])
        }
        XCTAssertEqual(try stats()["requests"]?.int64Value, 50)
    }

    func testPauseAndResumeDeliverEverything() throws {
        let delegate = RecordingUpstreamDelegate(eventLoop: eventLoop)
        var transfer: UpstreamTransfer?
        var pauses = 0
        delegate.onBody = { _ in
            // Pause after each of the first few reads; resume shortly after.
            guard pauses < 3, let transfer else { return }
            pauses += 1
            transfer.pause()
            delegate.eventLoop.scheduleTask(in: .milliseconds(50)) { transfer.resume() }
        }
        try delegate.eventLoop.submit {
            transfer = self.transport.start(self.chat("mock-small+chunks=10+delay_ms=5+tokens=40", stream: true,
                                                      idleTimeoutMs: 1_000),
                                            on: delegate.eventLoop, delegate: delegate)
        }.wait()
        _ = delegate.waitForFinish()
        XCTAssertEqual(delegate.finishes.first ?? .transport("missing"), nil)
        XCTAssertEqual(pauses, 3)
        var splitter = SSESplitter()
        let events = try splitter.feed(delegate.body)
        let text = try events.dropLast().compactMap {
            try JSONValue.parse($0.data)["choices"]?[0]?["delta"]?["content"]?.stringValue
        }.joined()
        XCTAssertEqual(text, (0..<40).map { "tok\($0)" }.joined(separator: " "))
        XCTAssertEqual(events.last?.dataString, "[DONE]")
        XCTAssertEqual(delegate.violations, [])
    }

    func testBadURLFailsCleanly() {
        let delegate = run(UpstreamRequest(url: "notascheme://x", body: []))
        guard case .connectFailed?? = Optional(delegate.finishes.first) else {
            return XCTFail("expected connectFailed, got \(delegate.finishes)")
        }
    }
}

// MARK: - Shared with the MockProvider*Tests


extension UpstreamTransport {
    /// Starts `request` on `eventLoop` and waits (bounded) for its finish.
    func runToFinish(_ request: UpstreamRequest, on eventLoop: EventLoop,
                     file: StaticString = #filePath, line: UInt = #line) -> RecordingUpstreamDelegate {
        let delegate = RecordingUpstreamDelegate(eventLoop: eventLoop)
        _ = start(request, on: eventLoop, delegate: delegate)
        _ = delegate.waitForFinish(file: file, line: line)
        return delegate
    }
}

/// Records everything a transfer delivers, and checks the delegate contract
/// (event loop, head before body, finish exactly once and last).
final class RecordingUpstreamDelegate: UpstreamDelegate, @unchecked Sendable {
    let eventLoop: EventLoop
    private let lock = NIOLock()
    private let finished = DispatchSemaphore(value: 0)
    private var _status: Int?
    private var _headers: [(String, String)] = []
    private var _body: [UInt8] = []
    private var _bodyCalls = 0
    private var _finishes: [UpstreamFailure?] = []
    private var _violations: [String] = []
    var onHead: (() -> Void)?
    var onBody: ((Int) -> Void)?

    init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

    var status: Int? { lock.withLock { _status } }
    var headers: [(String, String)] { lock.withLock { _headers } }
    var body: [UInt8] { lock.withLock { _body } }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
    var bodyCalls: Int { lock.withLock { _bodyCalls } }
    var finishes: [UpstreamFailure?] { lock.withLock { _finishes } }
    var violations: [String] { lock.withLock { _violations } }
    /// Why the transfer failed, when it finished with a transport failure.
    var transportFailure: String? {
        guard case .transport(let why)?? = Optional(finishes.first) else { return nil }
        return why
    }
    /// Every delegate call so far (head + body + finish).
    var callCount: Int { lock.withLock { (_status == nil ? 0 : 1) + _bodyCalls + _finishes.count } }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }

    private func check(_ what: String) {
        if !eventLoop.inEventLoop { _violations.append("\(what) off the event loop") }
        if !_finishes.isEmpty { _violations.append("\(what) after finish") }
    }

    func upstreamDidReceiveHead(status: Int, headers: [(String, String)]) {
        lock.withLock {
            check("head")
            if _status != nil { _violations.append("second head") }
            _status = status
            _headers = headers
        }
        onHead?()
    }

    func upstreamDidReceiveBody(_ bytes: ByteBuffer) {
        let calls: Int = lock.withLock {
            check("body")
            if _status == nil { _violations.append("body before head") }
            _body.append(contentsOf: bytes.readableBytesView)
            _bodyCalls += 1
            return _bodyCalls
        }
        onBody?(calls)
    }

    func upstreamDidFinish(_ failure: UpstreamFailure?) {
        lock.withLock {
            check("finish")
            _finishes.append(failure)
        }
        finished.signal()
    }

    /// Waits (bounded) for the finish call; returns its failure.
    func waitForFinish(file: StaticString = #filePath, line: UInt = #line) -> UpstreamFailure?? {
        guard finished.wait(timeout: .now() + 20) == .success else {
            XCTFail("the transfer did not finish within 20 s", file: file, line: line)
            return nil
        }
        return .some(finishes.first ?? nil)
    }
}

/// Polls `condition` until true or `seconds` pass. For conditions only
/// observable from outside (e.g. the mock's connection count).
func waitUntil(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(2_000)
    }
    return try condition()
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
