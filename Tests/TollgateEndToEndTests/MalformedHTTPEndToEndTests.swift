import Foundation
import XCTest

/// Requests NIO's parser refuses, over raw sockets to the real binary: each
/// gets a 400 with a JSON error body (OpenAI's shape for a head that did
/// not parse, the route's for a bad body), and the connection is closed.
final class MalformedHTTPEndToEndTests: XCTestCase {
    static var gateway: GatewayProcess!

    override class func setUp() {
        super.setUp()
        do {
            let dir = TestPaths.temporaryDirectory("malformed")
            gateway = try GatewayProcess(yaml: InProcessMockConfig.yaml(storage: dir + "/data"), directory: dir)
        } catch {
            XCTFail("could not start the gateway: \(error)")
        }
    }

    override class func tearDown() {
        gateway?.stop()
        super.tearDown()
    }

    /// Sends `request` and returns the answer's error object; checks the
    /// status, the content type, the shape and that the connection closes.
    func answer(_ request: String, anthropic: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let connection = try HTTPConnection(port: Self.gateway.port, timeout: 20)
        try connection.writeAll(Array(request.utf8))
        let response = try connection.readResponse()
        XCTAssertEqual(response.status, 400, file: file, line: line)
        XCTAssertEqual(response.header("content-type"), "application/json", file: file, line: line)
        XCTAssertEqual(response.header("connection"), "close", file: file, line: line)
        XCTAssertEqual(response.header("x-tollgate-error-code"), "malformed_http", file: file, line: line)
        XCTAssertEqual(try connection.readUntilClosed(), [], "closed after the answer", file: file, line: line)
        let json = try response.json()
        if anthropic {
            XCTAssertEqual(json["type"] as? String, "error", file: file, line: line)
        } else {
            XCTAssertEqual((json["error"] as? [String: Any])?["code"] as? String, "malformed_http", file: file, line: line)
        }
        let error = try XCTUnwrap(json["error"] as? [String: Any], file: file, line: line)
        XCTAssertEqual(error["type"] as? String, "invalid_request_error", file: file, line: line)
        XCTAssertFalse((error["message"] as? String ?? "").isEmpty, file: file, line: line)
        return error
    }

    func testBareCRInTheHead() throws {
        let error = try answer("GET /healthz HTTP/1.1\r\nhost: x\rx-a: b\r\n\r\n")
        XCTAssertTrue((error["message"] as? String)?.contains("CRLF") == true, "\(error)")
    }

    func testNULInAHeader() throws {
        _ = try answer("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-a: b\u{0}c\r\ncontent-length: 2\r\n\r\n{}")
    }

    func testSpaceBeforeTheColon() throws {
        _ = try answer("POST /v1/messages HTTP/1.1\r\nhost : x\r\ncontent-length: 2\r\n\r\n{}")
    }

    func testAHundredKilobyteHeader() throws {
        let error = try answer("GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: \(String(repeating: "a", count: 100_000))\r\n\r\n")
        XCTAssertTrue((error["message"] as? String)?.contains("80 KB") == true, "\(error)")
    }

    func testContentLengthAndTransferEncoding() throws {
        _ = try answer("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n")
    }

    func testTwoDifferentContentLengths() throws {
        let error = try answer("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}")
        XCTAssertTrue((error["message"] as? String)?.contains("Content-Length") == true, "\(error)")
    }

    func testABadBodyOnTheAnthropicRouteGetsAnthropicsShape() throws {
        _ = try answer("POST /v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", anthropic: true)
    }

    func testAGoodRequestStillWorksAfterwards() throws {
        XCTAssertEqual(try HTTP.request(port: Self.gateway.port, method: "GET", path: "/healthz").status, 200)
    }
}
