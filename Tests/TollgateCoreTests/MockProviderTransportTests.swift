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

/// The in-process MockTransport honours the UpstreamTransport contract.
final class MockProviderTransportTests: XCTestCase {
    var group: MultiThreadedEventLoopGroup!
    let transport = MockTransport(defaults: MockDirectives())

    override func setUp() { group = MultiThreadedEventLoopGroup(numberOfThreads: 1) }
    override func tearDownWithError() throws { try group.syncShutdownGracefully() }

    private func request(_ model: String, stream: Bool = true, path: String = "/v1/chat/completions",
                         firstByteTimeoutMs: Int64 = 0, idleTimeoutMs: Int64 = 0) -> UpstreamRequest {
        UpstreamRequest(url: "mock://upstream\(path)",
                        body: #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"hey"}]}"#.bytes,
                        firstByteTimeoutMs: firstByteTimeoutMs, idleTimeoutMs: idleTimeoutMs)
    }

    private func run(_ request: UpstreamRequest) -> RecordingUpstreamDelegate {
        transport.runToFinish(request, on: group.next())
    }

    func testDeliversThePlannedBytesInSeveralCalls() {
        let request = request("m+chunks=3+delay_ms=1", path: "/v1/messages")
        let delegate = run(request)
        XCTAssertEqual(delegate.finishes.first ?? .transport("missing"), nil)
        XCTAssertEqual(delegate.status, 200)
        XCTAssertEqual(delegate.header("content-type"), "text/event-stream")
        let plan = transport.responder.plan(api: .anthropic, body: request.body, headers: [])
        XCTAssertEqual(delegate.body, plan.bodyBytes)
        XCTAssertEqual(delegate.bodyCalls, plan.parts.count)
        XCTAssertEqual(delegate.violations, [])
    }

    func testCutEndsWithATransportFailure() {
        let delegate = run(request("m+fail=cut"))
        XCTAssertEqual(delegate.finishes, [.transport("connection closed by upstream")])
        XCTAssertEqual(delegate.status, 200)
    }

    func testStallsEndInTheRequestsTimeouts() {
        XCTAssertEqual(run(request("m+fail=stall", firstByteTimeoutMs: 50)).finishes, [.firstByteTimeout])
        let idle = run(request("m+fail=stall-after-first", idleTimeoutMs: 50))
        XCTAssertEqual(idle.finishes, [.idleTimeout])
        XCTAssertEqual(idle.bodyCalls, 1)
    }

    func testErrorStatusIsACompleteResponse() throws {
        let delegate = run(request("m+fail=429", stream: false))
        XCTAssertEqual(delegate.finishes.first ?? .transport("missing"), nil)
        XCTAssertEqual(delegate.status, 429)
        XCTAssertEqual(delegate.header("retry-after"), "1")
    }

    func testCancelStopsEverythingIncludingAStall() throws {
        let eventLoop = group.next()
        let delegate = RecordingUpstreamDelegate(eventLoop: eventLoop)
        var transfer: UpstreamTransfer?
        delegate.onBody = { calls in if calls == 2 { transfer?.cancel() } }
        try eventLoop.submit {
            transfer = self.transport.start(self.request("m+chunks=20+delay_ms=1"), on: eventLoop, delegate: delegate)
        }.wait()
        XCTAssertTrue(waitUntil { delegate.bodyCalls >= 2 })
        // Every delay the transfer could have scheduled is long past after this.
        try eventLoop.scheduleTask(in: .milliseconds(100)) {}.futureResult.wait()
        XCTAssertEqual(delegate.bodyCalls, 2)
        XCTAssertEqual(delegate.finishes.count, 0)

        let stalled = RecordingUpstreamDelegate(eventLoop: eventLoop)
        let stall = transport.start(request("m+fail=stall", firstByteTimeoutMs: 50), on: eventLoop, delegate: stalled)
        try eventLoop.submit { stall.cancel() }.wait()
        try eventLoop.scheduleTask(in: .milliseconds(100)) {}.futureResult.wait()
        XCTAssertEqual(stalled.callCount, 0, "a cancelled stall never reports its timeout")
    }

    func testPauseHoldsDeliveryUntilResume() throws {
        let eventLoop = group.next()
        let delegate = RecordingUpstreamDelegate(eventLoop: eventLoop)
        var transfer: UpstreamTransfer?
        delegate.onHead = { transfer?.pause() }
        try eventLoop.submit {
            transfer = self.transport.start(self.request("m+chunks=4"), on: eventLoop, delegate: delegate)
        }.wait()
        XCTAssertTrue(waitUntil { delegate.status != nil })
        try eventLoop.submit {}.wait()
        XCTAssertEqual(delegate.bodyCalls, 1, "the chunk in flight with the head, then nothing while paused")
        transfer?.resume()
        _ = delegate.waitForFinish()
        XCTAssertEqual(delegate.finishes.first ?? .transport("missing"), nil)
        XCTAssertTrue(delegate.bodyText.hasSuffix("data: [DONE]\n\n"))
    }
}
