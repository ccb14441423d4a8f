import NIOCore
import NIOEmbedded
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

/// What shutdown waits on: told the moment the last call leaves, or at the
/// deadline, whichever comes first. Time is the embedded loop's, moved by
/// hand.
final class InFlightCallsTests: XCTestCase {
    let loop = EmbeddedEventLoop()

    func outcome(_ future: EventLoopFuture<Bool>) -> Bool? {
        var result: Bool?
        future.whenSuccess { result = $0 }
        loop.run()
        return result
    }

    func testNoCallInFlightIsDrainedAtOnce() {
        let calls = InFlightCalls()
        calls.enter()
        calls.leave()
        XCTAssertEqual(outcome(calls.drained(by: .uptimeNanoseconds(1_000), on: loop)), true)
    }

    func testTheWaiterIsToldWhenTheLastCallLeaves() {
        let calls = InFlightCalls()
        calls.enter()
        calls.enter()
        let drained = calls.drained(by: .uptimeNanoseconds(1_000_000), on: loop)
        calls.leave()
        XCTAssertNil(outcome(drained), "one call is still in flight")
        calls.enter()
        calls.leave()
        XCTAssertNil(outcome(drained), "a call that came and went meanwhile changes nothing")
        calls.leave()
        XCTAssertEqual(outcome(drained), true)
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(outcome(drained), true, "the deadline passing later changes nothing")
    }

    func testTheDeadlineEndsTheWait() {
        let calls = InFlightCalls()
        calls.enter()
        let drained = calls.drained(by: .uptimeNanoseconds(1_000), on: loop)
        loop.advanceTime(to: .uptimeNanoseconds(999))
        XCTAssertNil(outcome(drained))
        loop.advanceTime(to: .uptimeNanoseconds(1_000))
        XCTAssertEqual(outcome(drained), false)
        calls.leave()  // nobody left to tell
        XCTAssertEqual(calls.value, 0)
    }

    func testEveryWaiterIsTold() {
        let calls = InFlightCalls()
        calls.enter()
        let first = calls.drained(by: .uptimeNanoseconds(1_000), on: loop)
        let second = calls.drained(by: .uptimeNanoseconds(5_000), on: loop)
        loop.advanceTime(to: .uptimeNanoseconds(1_000))
        XCTAssertEqual(outcome(first), false)
        XCTAssertNil(outcome(second))
        calls.leave()
        XCTAssertEqual(outcome(second), true)
    }

    func testCutting() {
        let calls = InFlightCalls()
        XCTAssertFalse(calls.isCut)
        calls.cut()
        XCTAssertTrue(calls.isCut)
    }
}
