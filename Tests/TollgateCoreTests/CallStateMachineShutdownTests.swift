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

/// A call the gateway cuts at shutdown, past the grace period, ends as what
/// happened: "aborted" by "core", never retried, never blamed on the
/// upstream or the client.
final class CallStateMachineShutdownTests: XCTestCase {
    typealias Machine = CallStateMachine

    func upstream(attempts: Int = 1) -> Machine {
        var machine = Machine()
        XCTAssertEqual(machine.admitted(attempts: attempts), .startAttempt(0))
        return machine
    }

    let shutdown = GatewayError(status: 503, type: "api_error", code: "gateway_shutting_down",
                                message: "The gateway shut down before the response ended.")

    func testAStartedStreamGetsATerminalErrorEventAndKeepsItsStatus() {
        var machine = upstream(attempts: 3)
        _ = machine.upstreamHead(status: 200, isEventStream: true, clientWantsStream: true)
        XCTAssertTrue(machine.streamWillWrite())
        XCTAssertEqual(machine.cutByShutdown(connectionOpen: true), .end(Machine.Ending(
            outcome: .aborted, decidedBy: "core", detail: shutdown.message, status: 200, usage: .streamCut,
            response: .streamError(shutdown), entered: true)))
        XCTAssertEqual(machine.upstreamEnd(failure: .transport("closed")), .action(.none), "ended once, no retry")
    }

    func testACallWaitingForItsHeadGetsA503WithoutARetry() {
        var machine = upstream(attempts: 3)
        XCTAssertEqual(machine.cutByShutdown(connectionOpen: true), .end(Machine.Ending(
            outcome: .aborted, decidedBy: "core", detail: shutdown.message, status: 503, usage: .partial,
            response: .error(shutdown), entered: true)))
    }

    func testAClosedConnectionIsSentNothingAndRecordsWhatItHadBeenSent() {
        var waiting = upstream()
        XCTAssertEqual(waiting.cutByShutdown(connectionOpen: false), .end(Machine.Ending(
            outcome: .aborted, decidedBy: "core", detail: shutdown.message, status: 0, usage: .partial,
            response: .nothing, entered: true)))

        var streaming = upstream()
        _ = streaming.upstreamHead(status: 200, isEventStream: true, clientWantsStream: true)
        _ = streaming.streamWillWrite()
        guard case .end(let ending) = streaming.cutByShutdown(connectionOpen: false) else { return XCTFail() }
        XCTAssertEqual(ending.status, 200)
        XCTAssertEqual(ending.response, .nothing)
        XCTAssertEqual(ending.usage, .streamCut)
    }

    func testAnEndedCallIsNotCutAgain() {
        var machine = upstream()
        _ = machine.clientGone()
        XCTAssertEqual(machine.cutByShutdown(connectionOpen: true), .none)
    }
}
