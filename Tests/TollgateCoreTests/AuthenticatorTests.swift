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

/// One authenticator: the same mistake gets the same status, code and
/// message on every route (AuthenticatedRoutesTests checks the routes).
final class AuthenticatorTests: XCTestCase {
    let expiresAt: Int64 = 1_800_000_000
    lazy var keys = KeyStore(entries: [
        (KeyStore.sha256Hex("tg-prod"), Identity(keyId: "prod", org: "acme", team: "payments", owner: "o", keyClass: .production)),
        (KeyStore.sha256Hex("tg-old"), Identity(keyId: "old", org: "acme", team: "payments", owner: "o", keyClass: .production,
                                                expiresAt: expiresAt)),
    ])

    func caller(_ headers: [(String, String)], now: Int64 = 0) -> Result<Identity, GatewayError> {
        Authenticator.caller(HTTPHeaders(headers), keys: keys, now: now)
    }

    func testVirtualKeys() throws {
        XCTAssertEqual(try caller([("authorization", "Bearer tg-prod")]).get().keyId, "prod")
        XCTAssertEqual(try caller([("x-api-key", "tg-prod")]).get().keyId, "prod")

        XCTAssertEqual(caller([]), .failure(GatewayError(status: 401, type: "authentication_error", code: "missing_api_key",
            message: "Missing API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.")))
        XCTAssertEqual(caller([("authorization", "Basic x")]), caller([]), "another scheme is no key")
        XCTAssertEqual(caller([("authorization", "Bearer nope")]),
                       .failure(GatewayError(status: 401, type: "authentication_error", code: "invalid_api_key",
                                             message: "Invalid API key.")))
        XCTAssertEqual(caller([("x-api-key", "tg-old")], now: expiresAt),
                       .failure(GatewayError(status: 401, type: "authentication_error", code: "expired_api_key",
                                             message: "This API key (old) expired at \(UTCCalendar.iso8601(expiresAt)).")))
        XCTAssertEqual(try caller([("x-api-key", "tg-old")], now: expiresAt - 1).get().keyId, "old")
    }

    func testTheMasterKey() {
        let disabled = Authenticator.master(HTTPHeaders([("authorization", "Bearer m")]), masterKey: nil)
        XCTAssertEqual(disabled?.status, 403)
        XCTAssertEqual(disabled?.code, "admin_disabled")
        for headers in [[], [("authorization", "Bearer n")], [("x-api-key", "mm")], [("authorization", "Bearer ")]] {
            let refused = Authenticator.master(HTTPHeaders(headers), masterKey: "m")
            XCTAssertEqual(refused, GatewayError(status: 401, type: "authentication_error", code: "invalid_master_key",
                                                 message: "Admin endpoints need the master key."), "\(headers)")
        }
        XCTAssertNil(Authenticator.master(HTTPHeaders([("authorization", "Bearer m")]), masterKey: "m"))
        XCTAssertNil(Authenticator.master(HTTPHeaders([("x-api-key", " m ")]), masterKey: "m"))
    }

    func testConstantTimeEquality() {
        XCTAssertTrue(ConstantTime.equal("", ""))
        XCTAssertTrue(ConstantTime.equal("master", "master"))
        XCTAssertFalse(ConstantTime.equal("master", "mastex"))
        XCTAssertFalse(ConstantTime.equal("master", "master2"))
        XCTAssertFalse(ConstantTime.equal("", "m"))
    }
}
