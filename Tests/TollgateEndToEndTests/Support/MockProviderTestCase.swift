import Foundation
import XCTest

/// A test class whose tests share one mock provider process, started before
/// the class's first test and stopped after its last.
class MockProviderTestCase: XCTestCase {
    static var mock: MockProviderProcess!

    override class func setUp() {
        super.setUp()
        do { mock = try MockProviderProcess() } catch { XCTFail("mock provider: \(error)") }
    }

    override class func tearDown() {
        mock?.stop()
        mock = nil
        super.tearDown()
    }

    func admin(_ port: Int, _ method: String, _ path: String, as credential: String, _ json: String? = nil) throws -> HTTPResponse {
        try HTTP.admin(port: port, method, path, as: credential, json)
    }
}

extension HTTP {
    /// An admin API call with `credential` (the master key or a credential)
    /// as Bearer, and a JSON body when given.
    static func admin(port: Int, _ method: String, _ path: String, as credential: String, _ json: String? = nil) throws -> HTTPResponse {
        var headers = [("authorization", "Bearer \(credential)")]
        if json != nil { headers.append(("content-type", "application/json")) }
        return try request(port: port, method: method, path: path, headers: headers, body: Array((json ?? "").utf8))
    }
}
