import Foundation

/// Starts the real binaries: the mock provider and the gateway.
final class MockProviderProcess {
    let process: ManagedProcess
    let port: Int

    init(extraArguments: [String] = []) throws {
        process = ManagedProcess(executable: TestPaths.tollgateBinary,
                                 arguments: ["mock-provider", "--host", "127.0.0.1", "--port", "0"] + extraArguments)
        try process.start()
        let line = try process.waitForLine(prefix: "mock-provider listening on")
        guard let port = Int(line.split(separator: ":").last ?? "") else { throw TestFailure("no port in '\(line)'") }
        self.port = port
    }

    /// The request bodies the mock received (newest last).
    func receivedRequests() throws -> [[String: Any]] {
        let response = try HTTP.request(port: port, method: "GET", path: "/_mock/requests")
        guard let array = try JSONSerialization.jsonObject(with: Data(response.body)) as? [Any] else {
            throw TestFailure("bad /_mock/requests body")
        }
        return array.compactMap { ($0 as? [String: Any])?["body"] as? [String: Any] ?? $0 as? [String: Any] }
    }

    func stats() throws -> [String: Any] {
        try HTTP.request(port: port, method: "GET", path: "/_mock/stats").json()
    }

    func stop() { process.stop() }
}

final class GatewayProcess {
    let process: ManagedProcess
    let port: Int
    let configPath: String

    /// Writes `yaml` to a temp file and serves it on a free port.
    /// With `useConfigListen`, `server.listen` from the YAML decides the
    /// address (no --host/--port override), as in production.
    /// With `openFileLimit`, the gateway runs under that RLIMIT_NOFILE
    /// (set by the shell, which then execs it: same process id).
    /// `arguments` are added to serve's.
    init(yaml: String, directory: String, environment: [String: String] = [:], useConfigListen: Bool = false,
         openFileLimit: Int? = nil, arguments extra: [String] = []) throws {
        configPath = directory + "/tollgate.yaml"
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        var env = environment
        env["TOLLGATE_PLUGIN_DIR"] = env["TOLLGATE_PLUGIN_DIR"] ?? TestPaths.buildDirectory
        let listen = useConfigListen ? [] : ["--host", "127.0.0.1", "--port", "0"]
        let arguments = ["serve", "--config", configPath] + listen + ["--log-level", "warning"] + extra
        if let openFileLimit {
            process = ManagedProcess(executable: "/bin/sh",
                                     arguments: ["-c", "ulimit -n \(openFileLimit) && exec \"$0\" \"$@\"", TestPaths.tollgateBinary]
                                         + arguments,
                                     environment: env)
        } else {
            process = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: arguments, environment: env)
        }
        try process.start()
        let line = try process.waitForLine(prefix: "tollgate listening on")
        guard let port = Int(line.split(separator: ":").last ?? "") else { throw TestFailure("no port in '\(line)'") }
        self.port = port
    }

    func stop() { process.stop() }
}

/// A config for tests: models served by the external mock provider, one
/// org with a production and an experimentation key.
enum TestConfig {
    static let prodKey = "tg-test-prod-key"
    static let labKey = "tg-test-lab-key"
    static let expiredKey = "tg-test-expired-key"

    static func sha256(_ text: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestPaths.tollgateBinary)
        p.arguments = ["hash-key", text]
        let out = Pipe()
        p.standardOutput = out
        try? p.run()
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let hashes: (prod: String, lab: String, expired: String) = (sha256(prodKey), sha256(labKey), sha256(expiredKey))

    /// A `providers:` block putting openai models on `transport` (curl or
    /// nio); empty for nil (the gateway's default).
    static func providers(transport: String?) -> String {
        transport.map { "\nproviders:\n  openai: {transport: \($0)}\n" } ?? ""
    }

    static func yaml(mockPort: Int, storage: String, plugins: String = "", extraModels: String = "") -> String {
        """
        server:
          listen: 127.0.0.1:0
          master_key_env: TOLLGATE_TEST_MASTER
          timeouts: {connect_ms: 2000, first_byte_ms: 2000, idle_ms: 3000}
        storage:
          dir: \(storage)
        models:
          - name: small
            provider: openai
            base_url: http://127.0.0.1:\(mockPort)/v1
            upstream_model: mock-small-v1
            price: {input_per_mtok: "0.40", output_per_mtok: "1.60", cached_per_mtok: "0.10"}
            max_output_tokens: 4096
          - name: large
            provider: openai
            base_url: http://127.0.0.1:\(mockPort)/v1
            upstream_model: mock-large-v1
            price: {input_per_mtok: "8.00", output_per_mtok: "32.00"}
            max_output_tokens: 8192
          - name: claude-small
            provider: anthropic
            base_url: http://127.0.0.1:\(mockPort)/v1
            upstream_model: mock-claude-v1
            price: {input_per_mtok: "0.80", output_per_mtok: "4.00", cached_per_mtok: "0.08"}
            max_output_tokens: 4096
        \(extraModels)
        orgs:
          - name: acme
            teams:
              - name: payments
                owner: lead@example.com
                keys:
                  - {id: payments-prod, sha256: "\(hashes.prod)", class: production}
                  - {id: payments-lab, sha256: "\(hashes.lab)", class: experimentation, models: [small, claude-small]}
                  - {id: payments-old, sha256: "\(hashes.expired)", class: production, expires: 2020-01-01}
        \(plugins)
        """
    }
}
