import NIOCore
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

/// The deadlines of a client connection's life, with no channel.
final class ClientConnectionClockTests: XCTestCase {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    func at(_ ms: Int64) -> NIODeadline { start + .milliseconds(ms) }

    func makeClock() -> ClientConnectionClock {
        ClientConnectionClock(now: start, headerTimeout: .milliseconds(100), idleTimeout: .milliseconds(1000))
    }

    func testANewConnectionHasTheHeaderTimeForItsFirstHeadHoweverItTrickles() {
        var clock = makeClock()
        clock.bytesReceived(now: at(50))
        clock.bytesReceived(now: at(99))
        XCTAssertNil(clock.expiry(now: at(99)))
        XCTAssertEqual(clock.expiry(now: at(100)), .header, "bytes of the head do not buy more time")
    }

    func testARequestInFlightHasNoDeadlineHoweverLongItsResponseTakes() {
        var clock = makeClock()
        clock.headReceived(now: at(10))
        clock.requestEnded(now: at(20))
        XCTAssertEqual(clock.phase, .responding)
        XCTAssertNil(clock.deadline)
        XCTAssertNil(clock.expiry(now: at(10_000_000)))
    }

    func testAKeptAliveConnectionGetsTheIdleTimeThenTheHeaderTimeFromTheNextFirstByte() {
        var clock = makeClock()
        clock.headReceived(now: at(10))
        clock.requestEnded(now: at(10))
        clock.responseEnded(now: at(500))
        XCTAssertEqual(clock.phase, .waitingForRequest)
        XCTAssertNil(clock.expiry(now: at(1499)))
        XCTAssertEqual(clock.expiry(now: at(1500)), .idle)

        clock.bytesReceived(now: at(1400))
        XCTAssertEqual(clock.phase, .readingHead)
        XCTAssertNil(clock.expiry(now: at(1499)))
        XCTAssertEqual(clock.expiry(now: at(1500)), .header)
        clock.headReceived(now: at(1450))
        XCTAssertNil(clock.expiry(now: at(1500)))
    }

    func testABodyMayTakeAnyTimeButNotFallSilentForTheIdleTime() {
        var clock = makeClock()
        clock.headReceived(now: at(10))
        for ms in stride(from: Int64(500), through: 5000, by: 500) {
            clock.bytesReceived(now: at(ms))
            XCTAssertNil(clock.expiry(now: at(ms + 999)))
        }
        XCTAssertEqual(clock.expiry(now: at(6000)), .body)
    }

    func testAResponseThatEndsBeforeItsRequestWaitsForTheRequestThenIdles() {
        var clock = makeClock()
        clock.headReceived(now: at(10))
        clock.responseEnded(now: at(20))
        XCTAssertEqual(clock.phase, .readingBody, "the rest of the body still has to come in")
        clock.requestEnded(now: at(30))
        XCTAssertEqual(clock.phase, .waitingForRequest)
        XCTAssertEqual(clock.expiry(now: at(1030)), .idle)
    }
}
