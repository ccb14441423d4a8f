import Foundation
import Logging
import NIOCore
import NIOEmbedded
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

/// The routes that need a caller, on a real gateway, each request through
/// the connection handler and the router on an embedded channel: the same
/// mistake gets the same answer on the proxy routes and `/v1/models`, and
/// the admin API answers 403 while off and 401 without the master key.
final class AuthenticatedRoutesTests: XCTestCase {
    static let masterEnv = "TOLLGATE_ROUTES_TEST_MASTER"

    func makeGateway(masterKey: String?) throws -> Gateway {
        let dir = NSTemporaryDirectory() + "tollgate-routes-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let masterKey { setenv(Self.masterEnv, masterKey, 1) } else { unsetenv(Self.masterEnv) }
        let path = dir + "/tollgate.yaml"
        try """
        server: {master_key_env: \(Self.masterEnv)}
        storage: {dir: \(dir)/data}
        models:
          - {name: small, provider: mock, price: {input_per_mtok: "0.4", output_per_mtok: "1.6"}}
        orgs:
          - name: acme
            teams:
              - name: payments
                owner: lead@example.com
                keys:
                  - {id: prod, sha256: "\(KeyStore.sha256Hex("tg-prod"))", class: production}
                  - {id: old, sha256: "\(KeyStore.sha256Hex("tg-old"))", class: production, expires: 2020-01-01}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let gateway = try Gateway(config: try ConfigLoader.load(path: path), logger: Logger(label: "test"), eventLoopThreads: 1)
        addTeardownBlock { await gateway.shutdown(grace: .zero) }
        return gateway
    }

    struct Answer: Equatable {
        var status: Int
        var errorCode: String?
        var message: String?
    }

    func send(_ gateway: Gateway, _ method: HTTPMethod, _ uri: String, headers: [(String, String)] = [],
              body: String? = nil) throws -> Answer {
        let channel = EmbeddedChannel(handler: HTTPServerHandler(gateway: gateway))
        defer { _ = try? channel.finish() }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        head.headers = HTTPHeaders(headers + [("content-type", "application/json")])
        try channel.writeInbound(HTTPServerRequestPart.head(head))
        if let body { try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: body))) }
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        channel.embeddedEventLoop.run()  // the in-process mock upstream answers on the loop
        guard case .head(let response) = try XCTUnwrap(channel.readOutbound(as: HTTPServerResponsePart.self)) else {
            struct NoHead: Error {}
            throw NoHead()
        }
        var bytes = ByteBuffer()
        while case .body(.byteBuffer(var part)) = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            bytes.writeBuffer(&part)
        }
        let json = try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]
        let error = json?["error"] as? [String: Any]
        return Answer(status: Int(response.status.code), errorCode: error?["code"] as? String, message: error?["message"] as? String)
    }

    func testTheSameMistakeGetsTheSameAnswerOnTheProxyAndTheModelList() throws {
        let gateway = try makeGateway(masterKey: nil)
        let chat = #"{"model":"small","messages":[{"role":"user","content":"hi"}]}"#
        for (headers, code) in [([], "missing_api_key"), ([("authorization", "Bearer nope")], "invalid_api_key"),
                                ([("x-api-key", "tg-old")], "expired_api_key")] as [([(String, String)], String)] {
            let proxy = try send(gateway, .POST, "/v1/chat/completions", headers: headers, body: chat)
            let models = try send(gateway, .GET, "/v1/models", headers: headers)
            XCTAssertEqual(proxy.status, 401)
            XCTAssertEqual(proxy.errorCode, code)
            XCTAssertEqual(models, proxy, "\(headers)")
        }
        XCTAssertEqual(try send(gateway, .GET, "/v1/models", headers: [("authorization", "Bearer tg-prod")]).status, 200)
        XCTAssertEqual(try send(gateway, .POST, "/v1/chat/completions", headers: [("authorization", "Bearer tg-prod")],
                                body: chat).status, 200)
    }

    func testAdminNeedsTheMasterKey() throws {
        let off = try makeGateway(masterKey: nil)
        XCTAssertEqual(try send(off, .GET, "/admin/plugins", headers: [("authorization", "Bearer tg-prod")]),
                       Answer(status: 403, errorCode: "admin_disabled",
                              message: "Admin endpoints are disabled: set server.master_key_env and that environment variable."))

        let on = try makeGateway(masterKey: "tg-master")
        let refused = Answer(status: 401, errorCode: "invalid_master_key", message: "Admin endpoints need the master key.")
        XCTAssertEqual(try send(on, .GET, "/admin/plugins"), refused)
        // A virtual key is not the master key: its holder may call GET /admin/me only.
        XCTAssertEqual(try send(on, .GET, "/admin/plugins", headers: [("authorization", "Bearer tg-prod")]),
                       Answer(status: 403, errorCode: "key_holder_forbidden", message: "GET /admin/plugins is not open to a virtual key: "
                              + "key 'prod' may call GET /admin/me (its own key and grants) only."))
        XCTAssertEqual(try send(on, .GET, "/admin/no-such-route"), refused, "unknown admin routes are not revealed")
        XCTAssertEqual(try send(on, .GET, "/admin/plugins", headers: [("x-api-key", "tg-master")]).status, 200)
        XCTAssertEqual(try send(on, .GET, "/admin/no-such-route", headers: [("x-api-key", "tg-master")]),
                       Answer(status: 404, errorCode: "not_found", message: "No admin route for GET /admin/no-such-route."))
    }
}
