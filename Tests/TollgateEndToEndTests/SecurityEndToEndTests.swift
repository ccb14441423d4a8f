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

    /// Admin endpoints against no credential, a wrong one, a client key, and
    /// each role outside what it may do: 401 for who is not known, 403 for
    /// who may not, never the change.
    func testAdminEndpointsRefuseNoWrongAndOtherRolesCredentials() throws {
        let storage = TestPaths.temporaryDirectory("security-roles")
        func credential(_ id: String, _ role: String, _ scope: String) -> String {
            "  - {id: \(id), role: \(role), scope: \(scope), owner: \(id)@example.com, sha256: \"\(TestConfig.sha256(id + "-secret"))\"}"
        }
        let extra = """
            grants:
              - {id: acme, scope: org/acme, owner: cfo@example.com, amount: "1000", period: monthly}
              - {id: payments, scope: team/acme/payments, owner: lead@example.com, amount: "500", period: monthly}
            credentials:
            \(credential("pay-admin", "team_admin", "team/acme/payments"))
            \(credential("org-viewer", "viewer", "org/acme"))
            \(credential("org-approver", "approver", "org/acme"))
            """
        let gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: extra),
                                         directory: TestPaths.temporaryDirectory("security-roles-gw"),
                                         environment: ["TOLLGATE_TEST_MASTER": Self.master])
        defer { gateway.stop() }
        let mint = #"{"id": "roles-svc", "team": "team/acme/payments", "class": "production"}"#
        func status(_ method: String, _ path: String, as who: String?, _ body: String? = nil) throws -> Int {
            var headers: [(String, String)] = [("content-type", "application/json")]
            if let who { headers.append(("authorization", "Bearer \(who)")) }
            return try HTTP.request(port: gateway.port, method: method, path: path, headers: headers,
                                    body: Array((body ?? "").utf8)).status
        }
        for (method, path, body) in [("GET", "/admin/keys", nil), ("POST", "/admin/keys", mint), ("GET", "/admin/counters", nil),
                                     ("POST", "/admin/reload", nil), ("GET", "/admin/grants", nil)] as [(String, String, String?)] {
            XCTAssertEqual(try status(method, path, as: nil, body), 401, "\(method) \(path) without a credential")
            XCTAssertEqual(try status(method, path, as: "tg-not-a-credential", body), 401, "\(method) \(path) with a wrong one")
            XCTAssertTrue([401, 403].contains(try status(method, path, as: TestConfig.prodKey, body)),
                          "\(method) \(path) with a client key")
        }
        // Each role outside what it may do.
        XCTAssertEqual(try status("POST", "/admin/keys", as: "org-viewer-secret", mint), 403, "a viewer mints nothing")
        XCTAssertEqual(try status("POST", "/admin/keys", as: "org-approver-secret", mint), 403, "an approver mints nothing")
        XCTAssertEqual(try status("POST", "/admin/reload", as: "pay-admin-secret"), 403, "a team admin does not reload the gateway")
        XCTAssertEqual(try status("GET", "/admin/counters", as: "org-viewer-secret"), 403, "raw counters are the master key's")
        XCTAssertEqual(try status("POST", "/admin/keys", as: "pay-admin-secret",
                                  #"{"id": "elsewhere", "team": "team/acme/other", "class": "production"}"#) / 100, 4,
                       "a team admin mints nothing outside its team")
        // None of it changed anything: only the master key's own mint lands.
        XCTAssertEqual(try status("POST", "/admin/keys", as: Self.master, mint), 201)
        let listed = try HTTP.admin(port: gateway.port, "GET", "/admin/keys", as: Self.master).text
        XCTAssertFalse(listed.contains("elsewhere"), listed)
    }
}
