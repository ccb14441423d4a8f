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

final class ReportTimeTests: XCTestCase {
    func testDatesAreUTCMidnight() throws {
        XCTAssertEqual(try ReportTime.parseMicros("1970-01-01"), 0)
        XCTAssertEqual(try ReportTime.parseMicros("2026-11-01"), 1_793_491_200 * 1_000_000)
        XCTAssertEqual(try ReportTime.parseMicros("2024-02-29"), 1_709_164_800 * 1_000_000)
    }

    func testRFC3339WithZonesAndFractions() throws {
        XCTAssertEqual(try ReportTime.parseMicros("2026-11-01T00:00:00Z"), try ReportTime.parseMicros("2026-11-01"))
        XCTAssertEqual(try ReportTime.parseMicros("2026-11-01T09:30:15Z"), (1_793_491_200 + 9 * 3600 + 30 * 60 + 15) * 1_000_000)
        XCTAssertEqual(try ReportTime.parseMicros("2026-11-01T11:30:15+02:00"), try ReportTime.parseMicros("2026-11-01T09:30:15Z"))
        XCTAssertEqual(try ReportTime.parseMicros("2026-10-31T23:00:00-01:00"), try ReportTime.parseMicros("2026-11-01"))
        XCTAssertEqual(try ReportTime.parseMicros("2026-11-01T00:00:00.25Z"), 1_793_491_200 * 1_000_000 + 250_000)
        XCTAssertEqual(try ReportTime.parseMicros("2026-11-01T00:00:00.1234567Z"), 1_793_491_200 * 1_000_000 + 123_456)
    }

    func testRefusesWhatItWouldHaveToGuess() {
        for bad in ["", "2026-13-01", "2026-02-29", "2026-11-31", "26-11-01", "2026/11/01", "2026-11-01T09:30:00",
                    "2026-11-01T24:00:00Z", "2026-11-01T09:30Z", "2026-11-01T09:30:00.Z", "2026-11-01 ", "yesterday"] {
            XCTAssertThrowsError(try ReportTime.parseMicros(bad), bad) { error in
                XCTAssertTrue("\(error)".contains("YYYY-MM-DD"), "\(error)")
            }
        }
    }

    func testFormatsBack() throws {
        XCTAssertEqual(ReportTime.format(micros: try ReportTime.parseMicros("2026-11-01")), "2026-11-01T00:00:00Z")
        XCTAssertEqual(ReportTime.format(micros: try ReportTime.parseMicros("2026-11-01T09:30:15.000042Z")),
                       "2026-11-01T09:30:15.000042Z")
    }
}
