import Foundation
import XCTest

/// The PII guard loaded by name into the real gateway, against the mock
/// provider echoing what it received.
final class PIIGuardEndToEndTests: XCTestCase {
    static var mock: MockProviderProcess!
    static var gateway: GatewayProcess!

    static let plugins = """
    plugins:
      - name: pii-guard
        fail: closed
        config:
          restore: true
          rules:
            - {detect: email, action: redact}
            - {detect: card, action: block}
            - {detect: phone, action: log}
          policies:
            - match: {provider: anthropic}
              rules: [{detect: email, action: block}]
    """

    override class func setUp() {
        super.setUp()
        do {
            mock = try MockProviderProcess()
            let dir = TestPaths.temporaryDirectory("pii-gw")
            gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: mock.port, storage: dir + "/data", plugins: plugins),
                                         directory: dir)
        } catch {
            XCTFail("setup failed: \(error)")
        }
    }

    override class func tearDown() {
        gateway?.stop()
        mock?.stop()
        super.tearDown()
    }

    private func chat(_ content: String, model: String = "small", stream: Bool = false) throws -> HTTPResponse {
        let json = #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"system","content":"Be brief."},"#
            + #"{"role":"user","content":[{"type":"text","text":"\#(content)"}]}]}"#
        return try HTTP.postJSON(port: Self.gateway.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: json)
    }

    /// The text of every message the mock received last, joined.
    private func lastUpstreamText() throws -> String {
        let upstream = try XCTUnwrap(try Self.mock.receivedRequests().last)
        let data = try JSONSerialization.data(withJSONObject: upstream)
        return String(decoding: data, as: UTF8.self)
    }

    func testARedactedEmailNeverReachesTheUpstreamAndComesBackRestored() throws {
        let response = try chat("Reply to ann.lee@example.com today [[mock echo=1]]")
        XCTAssertEqual(response.status, 200, response.text)
        let sent = try lastUpstreamText()
        XCTAssertFalse(sent.contains("ann.lee@example.com"), "the email reached the upstream: \(sent)")
        XCTAssertTrue(sent.contains("[EMAIL_1]"), sent)
        let choices = try XCTUnwrap(try response.json()["choices"] as? [[String: Any]])
        let content = try XCTUnwrap((choices.first?["message"] as? [String: Any])?["content"] as? String)
        XCTAssertTrue(content.contains("Reply to ann.lee@example.com today"), content)
        XCTAssertFalse(content.contains("[EMAIL_"), content)
    }

    func testABlockedCardGets400AndNeverReachesTheUpstream() throws {
        let before = try Self.mock.stats()["total"] as? Int ?? 0
        let response = try chat("Charge 4111 1111 1111 1111 please")
        XCTAssertEqual(response.status, 400, response.text)
        let error = try XCTUnwrap(try response.json()["error"] as? [String: Any])
        XCTAssertEqual(error["code"] as? String, "pii_detected")
        XCTAssertEqual(error["type"] as? String, "invalid_request_error")
        XCTAssertEqual(error["message"] as? String, "The request contains personal data that may not be sent to this model: card")
        XCTAssertFalse(response.text.contains("4111"), "the value must never be echoed: \(response.text)")
        XCTAssertEqual(try Self.mock.stats()["total"] as? Int ?? 0, before, "a blocked call must not reach the upstream")
    }

    func testAStreamedPlaceholderComesBackRestoredWhateverTheChunking() throws {
        for chunks in [2, 5, 9, 17, 40] {
            let response = try chat("Send it to bo@example.org and bo@example.org [[mock echo=1 chunks=\(chunks)]]", stream: true)
            XCTAssertEqual(response.status, 200, response.text)
            var text = ""
            for line in SSE.dataLines(response.body) where line != "[DONE]" {
                let event = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let delta = ((event["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])
                text += delta?["content"] as? String ?? ""
            }
            XCTAssertTrue(text.contains("Send it to bo@example.org and bo@example.org"), "chunks=\(chunks): \(text)")
            XCTAssertFalse(text.contains("[EMAIL_"), "chunks=\(chunks): \(text)")
            XCTAssertTrue(try lastUpstreamText().contains("Send it to [EMAIL_1] and [EMAIL_1]"), "same value, same placeholder")
        }
    }

    func testPolicyBlocksEmailToAnthropicModels() throws {
        let json = #"{"model":"claude-small","max_tokens":50,"messages":[{"role":"user","content":"I am ann@example.com"}]}"#
        let response = try HTTP.postJSON(port: Self.gateway.port, path: "/v1/messages", key: TestConfig.prodKey, json: json)
        XCTAssertEqual(response.status, 400, response.text)
        let error = try XCTUnwrap(try response.json()["error"] as? [String: Any])
        XCTAssertEqual(error["message"] as? String, "The request contains personal data that may not be sent to this model: email")
    }

    func testMetricsCountFindingsByCategoryActionAndDirection() throws {
        _ = try chat("Call me on +1 415 555 2671, or mail cy@example.com")
        let metrics = try HTTP.request(port: Self.gateway.port, method: "GET", path: "/metrics").text
        XCTAssertTrue(metrics.contains(#"tollgate_pii_findings_total{category="phone",action="log",direction="input"}"#), metrics)
        XCTAssertTrue(metrics.contains(#"tollgate_pii_findings_total{category="email",action="redact",direction="input"}"#), metrics)
        XCTAssertFalse(metrics.contains("cy@example.com"))
        XCTAssertFalse(Self.gateway.process.stderr.contains("cy@example.com"), "nothing raw in the logs")
        XCTAssertFalse(Self.gateway.process.stdout.joined().contains("cy@example.com"), "nothing raw in the logs")
    }
}
