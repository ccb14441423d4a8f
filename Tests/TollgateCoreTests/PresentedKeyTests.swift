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

/// Where the caller's key is read from: `authorization: Bearer KEY` (any
/// case of the scheme), else `x-api-key`; blanks around it are dropped.
final class PresentedKeyTests: XCTestCase {
    func key(_ headers: [(String, String)]) -> String? { Authenticator.presentedKey(HTTPHeaders(headers)) }

    func testBearerInAnyCaseAndItsBlanks() {
        XCTAssertEqual(key([("authorization", "Bearer tg-prod")]), "tg-prod")
        XCTAssertEqual(key([("Authorization", "bearer tg-prod")]), "tg-prod")
        XCTAssertEqual(key([("AUTHORIZATION", "BEARER \t tg-prod \t")]), "tg-prod")
        XCTAssertEqual(key([("authorization", "Bearer tg-ключ")]), "tg-ключ", "non-ASCII keys are kept whole")
    }

    func testOtherSchemesAndEmptyTokensFallBackToXAPIKey() {
        XCTAssertNil(key([("authorization", "Basic dXNlcjpwYXNz")]))
        XCTAssertNil(key([("authorization", "Bearertg-prod")]))
        XCTAssertNil(key([("authorization", "Bearer")]))
        XCTAssertNil(key([("authorization", "Bearer   ")]))
        XCTAssertEqual(key([("authorization", "Basic x"), ("x-api-key", " sk-ant ")]), "sk-ant")
        XCTAssertEqual(key([("X-Api-Key", "sk-ant")]), "sk-ant")
        XCTAssertNil(key([("x-other", "tg-prod")]))
    }

    func testTrimmingSpacesOnlyTouchesTheEnds() {
        XCTAssertEqual("  a b\t".trimmingSpaces(), "a b")
        XCTAssertEqual("ab".trimmingSpaces(), "ab")
        XCTAssertEqual(" \t ".trimmingSpaces(), "")
        XCTAssertEqual(" é ".trimmingSpaces(), "é")
    }

    func testCredentialsAreNeverVisibleToPlugins() {
        let list = ProxyCall.visibleHeaders(HTTPHeaders([("Authorization", "Bearer k"), ("X-API-Key", "k"), ("X-Feature", "search")]))
        XCTAssertEqual(list.entries.map(\.name), ["x-feature"])
        XCTAssertEqual(list["X-FEATURE"], "search")
    }
}
