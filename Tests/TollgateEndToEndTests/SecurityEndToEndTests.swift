import Foundation
import XCTest

/// Security basics against the real binary: what the logs never hold, what
/// the disk never holds, and a body refused before it is read.
final class SecurityEndToEndTests: MockProviderTestCase {
    static let master = "security-test-master"
    /// In every prompt: a marker, an e-mail address, a card number, a secret.
    static let marker = "PROMPT-MARKER-7f3a"
    static let email = "jane.doe.security@example.com"
    static let card = "4111 1111 1111 1111"

    static let plugins = """
        plugins:
          - name: tagging
          - name: pii-guard
            config:
              restore: true
              rules:
                - {detect: email, action: redact}
          - name: budget
            config:
              budgets:
                - {scope: team/acme/payments, period: daily, amount: "100"}
        """

    /// Prompts and answers (the mock echoes the prompt back as its answer),
    /// PII and keys appear in no log line, at the most verbose level, for
    /// calls that succeed, stream, fail upstream and are refused.
    func testNoPromptAnswerPIIOrKeyInTheLogsAtTraceLevel() throws {
        let storage = TestPaths.temporaryDirectory("security-logs")
        let gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: Self.plugins),
                                         directory: TestPaths.temporaryDirectory("security-logs-gw"),
                                         environment: ["TOLLGATE_TEST_MASTER": Self.master], arguments: ["--log-level", "trace"])
        let text = "\(Self.marker) write to \(Self.email) about card \(Self.card)"
        let bodies = [
            #"{"model":"small","max_tokens":64,"messages":[{"role":"user","content":"[[mock echo=1]] \#(text)"}]}"#,
            #"{"model":"small","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"[[mock echo=1 chunks=5]] \#(text)"}]}"#,
            #"{"model":"small","max_tokens":64,"messages":[{"role":"user","content":"[[mock fail=500]] \#(text)"}]}"#,
            #"{"model":"small","max_tokens":64,"messages":[{"role":"user","content":"[[mock fail=bad-json]] \#(text)"}]}"#,
            #"{"model":"no-such-model","messages":[{"role":"user","content":"\#(text)"}]}"#,
            #"{"model":"small","messages":[{"role":"user","content":"\#(text)"}], "max_tokens": "not a number"}"#,
        ]
        var answered: [Int] = []
        for body in bodies {
            answered.append(try HTTP.postJSON(port: gateway.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: body).status)
        }
        XCTAssertEqual(try HTTP.postJSON(port: gateway.port, path: "/v1/chat/completions", key: "tg-wrong-key-\(Self.marker)",
                                         json: bodies[0]).status, 401)
        gateway.stop()
        XCTAssertTrue(answered.contains(200), "\(answered)")
        let logs = (gateway.process.stdout + [gateway.process.stderr]).joined(separator: "\n")
        XCTAssertGreaterThan(logs.count, 200, "trace logging is on: \(logs.prefix(500))")
        for secret in [Self.marker, Self.email, Self.card, "4111111111111111", TestConfig.prodKey, Self.master] {
            XCTAssertFalse(logs.contains(secret), "the logs hold \(secret): \(logs.components(separatedBy: "\n").filter { $0.contains(secret) }.prefix(3))")
        }
    }

    /// A minted key's secret and a credential's secret are never written:
    /// only their SHA-256 is, in every file the gateway keeps.
    func testSecretsAreStoredOnlyAsHashes() throws {
        let storage = TestPaths.temporaryDirectory("security-hashes")
        let gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: Self.plugins),
                                         directory: TestPaths.temporaryDirectory("security-hashes-gw"),
                                         environment: ["TOLLGATE_TEST_MASTER": Self.master])
        let minted = try HTTP.admin(port: gateway.port, "POST", "/admin/keys", as: Self.master,
                                    #"{"id": "stored-svc", "team": "team/acme/payments", "class": "production"}"#)
        XCTAssertEqual(minted.status, 201, minted.text)
        let secret = try XCTUnwrap(try minted.json()["key"] as? String)
        XCTAssertEqual(try HTTP.postJSON(port: gateway.port, path: "/v1/chat/completions", key: secret,
                                         json: #"{"model":"small","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#).status, 200)
        gateway.stop()
        var sawHash = false
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: storage)).compactMap { $0 as? String }
        XCTAssertFalse(files.isEmpty)
        for file in files {
            guard let data = FileManager.default.contents(atPath: storage + "/" + file) else { continue }
            let bytes = String(decoding: data, as: UTF8.self)
            XCTAssertFalse(bytes.contains(secret), "\(file) holds the minted key's secret")
            XCTAssertFalse(bytes.contains(Self.master), "\(file) holds the master key")
            XCTAssertFalse(bytes.contains(TestConfig.prodKey), "\(file) holds a configured key's secret")
            if bytes.contains(TestConfig.sha256(secret)) { sawHash = true }
        }
        XCTAssertTrue(sawHash, "the minted key's SHA-256 is what is stored")
    }

    /// A Content-Length over server.max_body_bytes is answered 413 from the
    /// head alone: the gateway does not wait for (or buffer) the body.
    func testADeclaredBodyOverTheLimitIsRefusedBeforeItIsSent() throws {
        let storage = TestPaths.temporaryDirectory("security-body")
        let gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage),
                                         directory: TestPaths.temporaryDirectory("security-body-gw"))
        defer { gateway.stop() }
        let connection = try HTTPConnection(port: gateway.port, timeout: 10)
        try connection.writeAll(Array("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer \(TestConfig.prodKey)\r\n"
            .utf8) + Array("content-type: application/json\r\ncontent-length: 104857600\r\n\r\n".utf8))
        let started = Date()
        let response = try connection.readResponse()
        XCTAssertEqual(response.status, 413, response.text)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "answered without the body")
    }
}
