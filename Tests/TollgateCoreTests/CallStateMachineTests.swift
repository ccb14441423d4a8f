import TollgateABI
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

/// The proxied call's state machine, driven through every ending, retry and
/// disconnect without a socket.
final class CallStateMachineTests: XCTestCase {
    typealias Machine = CallStateMachine

    func ending(_ action: Machine.Action, file: StaticString = #filePath, line: UInt = #line) throws -> Machine.Ending {
        guard case .end(let ending) = action else {
            XCTFail("expected an ending, got \(action)", file: file, line: line)
            throw TestError()
        }
        return ending
    }

    struct TestError: Error {}

    let badKey = GatewayError(status: 401, type: "authentication_error", code: "invalid_api_key", message: "Invalid API key.")

    /// A machine with `attempts` planned upstream calls, the first started.
    func upstream(attempts: Int = 1) -> Machine {
        var machine = Machine()
        XCTAssertEqual(machine.admitted(attempts: attempts), .startAttempt(0))
        return machine
    }

    // MARK: endings before the upstream

    func testRefusedBeforeTheCallOwesNoPostCall() throws {
        var machine = Machine()
        let end = try ending(machine.refusedBeforeCall(badKey))
        XCTAssertFalse(end.entered)
        XCTAssertEqual(end.outcome, .rejected)
        XCTAssertEqual(end.status, 401)
        XCTAssertEqual(end.response, .error(badKey))
        XCTAssertTrue(machine.isEnded)
        XCTAssertEqual(machine.sentStatus, 401)
        XCTAssertEqual(machine.admitted(attempts: 1), .none, "nothing follows an ending")
    }

    func testAPluginRejectAndAPluginResponse() throws {
        var rejected = Machine()
        let error = GatewayError(status: 429, type: "budget_exceeded", message: "over")
        let end = try ending(rejected.rejected(error, decidedBy: "budget"))
        XCTAssertEqual(end, Machine.Ending(outcome: .rejected, decidedBy: "budget", detail: "over", status: 429, usage: .none,
                                           response: .error(error), entered: true))
        XCTAssertTrue(rejected.headCommitted)

        var responded = Machine()
        let answer = try ending(responded.responded(status: 200, contentType: "application/json", body: [1], decidedBy: "cache"))
        XCTAssertEqual(answer.outcome, .responded)
        XCTAssertEqual(answer.decidedBy, "cache")
        XCTAssertEqual(answer.response, .respond(status: 200, contentType: "application/json", body: [1]))
        XCTAssertEqual(answer.usage, .none)
    }

    func testAnAttemptThatCannotBeBuiltFailsTheCall() throws {
        var machine = upstream(attempts: 2)
        let error = GatewayError(status: 500, type: "api_error", code: "upstream_credentials_missing", message: "no key")
        let end = try ending(machine.attemptCouldNotStart(error))
        XCTAssertEqual(end.outcome, .upstreamFailure)
        XCTAssertEqual(end.status, 500)
        XCTAssertEqual(end.response, .error(error))
    }

    // MARK: successes

    func testABufferedSuccess() throws {
        var machine = upstream()
        XCTAssertEqual(machine.upstreamHead(status: 200, isEventStream: false, clientWantsStream: false), .buffer)
        XCTAssertEqual(machine.bufferedBody(bytes: 100, limit: 1000), .none)
        XCTAssertEqual(machine.upstreamEnd(failure: nil), .processBufferedBody(attempt: 0))
        let end = try ending(machine.bufferedBodyProcessed())
        XCTAssertEqual(end, Machine.Ending(outcome: .success, decidedBy: nil, detail: nil, status: 200, usage: .final,
                                           response: .upstreamBody(status: 200), entered: true))
        XCTAssertEqual(machine.sentStatus, 200)
    }

    func testAStreamedSuccess() throws {
        var machine = upstream()
        XCTAssertEqual(machine.upstreamHead(status: 200, isEventStream: true, clientWantsStream: true), .stream(attempt: 0))
        XCTAssertFalse(machine.responseStarted)
        XCTAssertTrue(machine.streamWillWrite(), "the head goes out before the first bytes")
        XCTAssertFalse(machine.streamWillWrite(), "once")
        XCTAssertEqual(machine.sentStatus, 200)
        XCTAssertTrue(machine.headCommitted)
        XCTAssertEqual(machine.upstreamEnd(failure: nil), .drainStream)
        let end = try ending(machine.streamCompleted())
        XCTAssertEqual(end.outcome, .success)
        XCTAssertEqual(end.usage, .final)
        XCTAssertEqual(end.response, .endStream(status: 200))
    }

    func testAnEventStreamTheClientDidNotAskForIsBuffered() {
        var machine = upstream()
        XCTAssertEqual(machine.upstreamHead(status: 200, isEventStream: true, clientWantsStream: false), .buffer)
        var plain = upstream()
        XCTAssertEqual(plain.upstreamHead(status: 200, isEventStream: false, clientWantsStream: true), .buffer)
    }

    func testAStreamThatEndsWithoutAnyEventStillSendsItsHead() throws {
        var machine = upstream()
        _ = machine.upstreamHead(status: 200, isEventStream: true, clientWantsStream: true)
        XCTAssertEqual(machine.upstreamEnd(failure: nil), .drainStream)
        XCTAssertEqual(try ending(machine.streamCompleted()).response, .endStream(status: 200))
    }

    // MARK: retries

    func testRetryableHeadsMoveToTheNextAttemptUntilTheLastIsPassedThrough() throws {
        var machine = upstream(attempts: 3)
        XCTAssertEqual(machine.upstreamHead(status: 503, isEventStream: false, clientWantsStream: false), .retry(failed: 0, next: 1))
        XCTAssertEqual(machine.upstreamHead(status: 429, isEventStream: false, clientWantsStream: false), .retry(failed: 1, next: 2))
        XCTAssertEqual(machine.upstreamHead(status: 500, isEventStream: false, clientWantsStream: false),
                       .passThrough(attempt: 2, attemptFailed: true))
        guard case .action(let action) = machine.upstreamEnd(failure: nil) else { return XCTFail("expected an ending") }
        let end = try ending(action)
        XCTAssertEqual(end.outcome, .upstreamError)
        XCTAssertEqual(end.status, 500)
        XCTAssertEqual(end.detail, "upstream answered 500")
        XCTAssertEqual(end.response, .upstreamBody(status: 500))
        XCTAssertEqual(end.usage, .none)
    }

    func testAClientErrorIsPassedThroughWithoutRetryOrHealthPenalty() {
        var machine = upstream(attempts: 3)
        XCTAssertEqual(machine.upstreamHead(status: 404, isEventStream: false, clientWantsStream: false),
                       .passThrough(attempt: 0, attemptFailed: false))
    }

    func testFailuresBeforeTheHeadAreRetriedThenReported() throws {
        var machine = upstream(attempts: 2)
        XCTAssertEqual(machine.upstreamEnd(failure: .connectFailed("refused")), .action(.retry(failed: 0, next: 1)))
        guard case .action(let action) = machine.upstreamEnd(failure: .firstByteTimeout) else { return XCTFail() }
        let end = try ending(action)
        XCTAssertEqual(end.outcome, .upstreamFailure)
        XCTAssertEqual(end.status, 504)
        XCTAssertEqual(end.usage, .none)
        XCTAssertEqual(end.failedAttempt, 1, "the last attempt's failure counts against its deployment")
        guard case .error(let error) = end.response else { return XCTFail("\(end.response)") }
        XCTAssertEqual(error.code, "upstream_timeout")
    }

    func testACutBufferedBodyIsRetriedItNeverReachedTheClient() {
        var machine = upstream(attempts: 2)
        _ = machine.upstreamHead(status: 200, isEventStream: false, clientWantsStream: false)
        XCTAssertEqual(machine.upstreamEnd(failure: .transport("connection reset")), .action(.retry(failed: 0, next: 1)))
        XCTAssertEqual(machine.state, .upstream(attempt: 1, mode: .awaitingHead))
    }

    func testAStreamIsNeverRetriedOnceItsHeadWasSent() throws {
        var machine = upstream(attempts: 3)
        _ = machine.upstreamHead(status: 200, isEventStream: true, clientWantsStream: true)
        XCTAssertTrue(machine.streamWillWrite())
        guard case .action(let action) = machine.upstreamEnd(failure: .idleTimeout) else { return XCTFail() }
        let end = try ending(action)
        XCTAssertEqual(end.outcome, .upstreamFailure)
        XCTAssertEqual(end.status, 200, "the client was sent 200")
        XCTAssertEqual(end.usage, .streamCut)
        XCTAssertNil(end.failedAttempt, "the attempt succeeded: its stream started")
        guard case .streamError(let error) = end.response else { return XCTFail("\(end.response)") }
        XCTAssertEqual(error.status, 504)
    }

    func testAStreamCutBeforeItsFirstForwardedBytesIsAnErrorResponse() throws {
        var machine = upstream(attempts: 1)
        _ = machine.upstreamHead(status: 200, isEventStream: true, clientWantsStream: true)
        guard case .action(let action) = machine.upstreamEnd(failure: .transport("reset")) else { return XCTFail() }
        let end = try ending(action)
        XCTAssertEqual(end.status, 502)
        XCTAssertEqual(end.usage, .streamCut)
        guard case .error = end.response else { return XCTFail("\(end.response)") }
    }

    // MARK: aborts and broken streams

    func testChunkAborts() throws {
        var stream = upstream()
        _ = stream.upstreamHead(status: 200, isEventStream: true, clientWantsStream: true)
        _ = stream.streamWillWrite()
        let error = GatewayError(status: 400, type: "invalid_request_error", message: "blocked")
        let streamEnd = try ending(stream.chunkAborted(error, decidedBy: "pii-guard"))
        XCTAssertEqual(streamEnd, Machine.Ending(outcome: .aborted, decidedBy: "pii-guard", detail: "blocked", status: 200,
                                                 usage: .streamCut, response: .streamError(error), entered: true))

        var buffered = upstream()
        _ = buffered.upstreamHead(status: 200, isEventStream: false, clientWantsStream: false)
        XCTAssertEqual(buffered.upstreamEnd(failure: nil), .processBufferedBody(attempt: 0))
        let bufferedEnd = try ending(buffered.chunkAborted(error, decidedBy: "pii-guard"))
        XCTAssertEqual(bufferedEnd.status, 400)
        XCTAssertEqual(bufferedEnd.usage, .final, "the whole answer was produced")
        XCTAssertEqual(bufferedEnd.response, .error(error))
    }

    func testABrokenStreamAndAnOversizedBody() throws {
        var stream = upstream()
        _ = stream.upstreamHead(status: 200, isEventStream: true, clientWantsStream: true)
        let broken = try ending(stream.streamBroken("bad framing"))
        XCTAssertEqual(broken.outcome, .upstreamFailure)
        XCTAssertEqual(broken.usage, .streamCut)

        var big = upstream()
        _ = big.upstreamHead(status: 200, isEventStream: false, clientWantsStream: false)
        let tooLarge = try ending(big.bufferedBody(bytes: 1001, limit: 1000))
        guard case .error(let error) = tooLarge.response else { return XCTFail() }
        XCTAssertEqual(error.code, "upstream_response_too_large")
        XCTAssertEqual(tooLarge.status, 502)
    }

    // MARK: the client

    func testTheClientGoingAwayEndsTheCallWithWhatItWasSent() throws {
        var streaming = upstream()
        _ = streaming.upstreamHead(status: 200, isEventStream: true, clientWantsStream: true)
        _ = streaming.streamWillWrite()
        let gone = try ending(streaming.clientGone())
        XCTAssertEqual(gone, Machine.Ending(outcome: .clientDisconnect, decidedBy: nil,
                                            detail: "the client closed the connection before the response ended",
                                            status: 200, usage: .streamCut, response: .nothing, entered: true))
        XCTAssertEqual(streaming.clientGone(), .none, "once")
        XCTAssertEqual(streaming.upstreamHead(status: 200, isEventStream: true, clientWantsStream: true), .ignore)
        XCTAssertEqual(streaming.upstreamEnd(failure: nil), .action(.none))

        var waiting = upstream()
        let early = try ending(waiting.clientGone())
        XCTAssertEqual(early.status, 0, "nothing was sent")
        XCTAssertEqual(early.usage, .partial, "no stream began: only what the provider reported counts")
        XCTAssertFalse(waiting.headCommitted)
    }

    func testAClientGoneAfterTheEndingChangesNothing() throws {
        var machine = upstream()
        _ = machine.upstreamHead(status: 200, isEventStream: false, clientWantsStream: false)
        _ = machine.upstreamEnd(failure: nil)
        _ = try ending(machine.bufferedBodyProcessed())
        XCTAssertEqual(machine.clientGone(), .none)
    }

    func testWritabilityTogglesThePauseOnlyOnChange() {
        var machine = upstream()
        XCTAssertFalse(machine.writabilityChanged(isWritable: true))
        XCTAssertTrue(machine.writabilityChanged(isWritable: false))
        XCTAssertTrue(machine.paused)
        XCTAssertFalse(machine.writabilityChanged(isWritable: false))
        XCTAssertTrue(machine.writabilityChanged(isWritable: true))
        XCTAssertFalse(machine.paused)
    }

    func testOutcomesAreTheABIStrings() {
        XCTAssertEqual(CallOutcome.allCases.map(\.rawValue),
                       ["success", "upstream_error", "upstream_failure", "rejected", "responded", "client_disconnect", "aborted"])
    }
}
