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

final class JSONContentTypeTests: XCTestCase {
    func testJSONMediaTypesWithAnyParametersAreAccepted() {
        for value in ["application/json", "Application/JSON", "application/json; charset=utf-8", " application/json ;charset=UTF-8",
                      "application/vnd.api+json", "application/merge-patch+json; x=y"] {
            XCTAssertTrue(JSONContentType.isJSON(value), value)
        }
    }

    func testOtherMediaTypesAreNot() {
        for value in ["text/plain", "", "json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                      "application/jsonx", "text/json+", "/json", "application/+json", "application/ json"] {
            XCTAssertFalse(JSONContentType.isJSON(value), value)
        }
    }

    func testAMissingContentTypeIsAcceptedAndAWrongOneIsA415NamingIt() throws {
        XCTAssertNil(JSONContentType.check(HTTPHeaders([("host", "x")])))
        XCTAssertNil(JSONContentType.check(HTTPHeaders([("content-type", "application/json")])))
        let error = try XCTUnwrap(JSONContentType.check(HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")])))
        XCTAssertEqual(error.status, 415)
        XCTAssertEqual(error.type, "invalid_request_error")
        XCTAssertEqual(error.code, "unsupported_media_type")
        XCTAssertTrue(error.message.contains("'text/plain; charset=utf-8'"), error.message)
        XCTAssertTrue(error.message.contains("application/json"), error.message)
    }
}
