import Foundation
import XCTest

/// Hot reload under load: no dropped request, every response from exactly
/// one generation, a rebuilt plugin at the same path really reloads, and a
/// bad reload changes nothing.
final class ReloadEndToEndTests: XCTestCase {
    static let master = "tg-test-master"

    struct Setup {
        let mock: MockProviderProcess
        let gateway: GatewayProcess
        let dir: String
        let pluginPath: String
        let log: String
        let yaml: (String) -> String
    }

    func start(plugins: String = "") throws -> Setup {
        let mock = try MockProviderProcess()
        let dir = TestPaths.temporaryDirectory("reload")
        let log = dir + "/stamp.log"
        let pluginPath = try CPluginBuilder.build(source: TestPaths.cPluginFixtures + "/stamp.c", into: dir,
                                                  defines: [#"STAMP="v1""#])
        let yaml = { (extra: String) in
            TestConfig.yaml(mockPort: mock.port, storage: dir + "/data",
                            plugins: "plugins:\n  - path: \(pluginPath)\n    config: {log: \"\(log)\"}\n" + extra)
        }
        let gateway = try GatewayProcess(yaml: yaml(""), directory: dir, environment: ["TOLLGATE_TEST_MASTER": Self.master])
        return Setup(mock: mock, gateway: gateway, dir: dir, pluginPath: pluginPath, log: log, yaml: yaml)
    }

    func reload(_ port: Int) throws -> HTTPResponse {
        try HTTP.request(port: port, path: "/admin/reload", headers: [("authorization", "Bearer \(Self.master)")])
    }

    /// Clients that stream continuously until stopped; every response is
    /// checked and its stamp recorded.
    final class Load: @unchecked Sendable {
        let lock = NSLock()
        var stamps: [String: Int] = [:]
        var failures: [String] = []
        var completed = 0
        var stop = false
        var threads: [Thread] = []

        func run(port: Int, clients: Int, key: String = TestConfig.prodKey) {
            for _ in 0..<clients {
                let thread = Thread { [self] in
                    while !lock.withLock({ stop }) {
                        do {
                            let body = #"{"model":"small","stream":true,"messages":[{"role":"user","content":"go [[mock chunks=4 delay_ms=5]]"}]}"#
                            let response = try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: key, json: body)
                            let stampHeaders = response.headers.filter { $0.0 == "x-test-stamp" }.map(\.1)
                            lock.withLock {
                                if response.status != 200 || SSE.dataLines(response.body).last != "[DONE]" || stampHeaders.count != 1 {
                                    failures.append("status \(response.status), stamps \(stampHeaders): \(response.text.prefix(200))")
                                } else {
                                    stamps[stampHeaders[0], default: 0] += 1
                                    completed += 1
                                }
                            }
                        } catch {
                            lock.withLock { failures.append("\(error)") }
                        }
                    }
                }
                threads.append(thread)
                thread.start()
            }
        }

        func finish() {
            lock.withLock { stop = true }
            while threads.contains(where: { $0.isExecuting }) { usleep(5_000) }
        }
    }

    func testTwentyReloadsUnderStreamingLoadDropNothing() throws {
        let s = try start()
        defer { s.gateway.stop(); s.mock.stop() }
        let load = Load()
        load.run(port: s.gateway.port, clients: 50)
        var lastGeneration = 1
        for i in 0..<20 {
            // Rebuild the plugin IN PLACE with the other version.
            _ = try CPluginBuilder.build(source: TestPaths.cPluginFixtures + "/stamp.c", into: s.dir,
                                         defines: [i % 2 == 0 ? #"STAMP="v2""# : #"STAMP="v1""#])
            let response = try reload(s.gateway.port)
            XCTAssertEqual(response.status, 200, response.text)
            let generation = (try response.json()["generation"] as? Int) ?? 0
            XCTAssertEqual(generation, lastGeneration + 1)
            lastGeneration = generation
            // Let some requests run on each generation.
            let target = load.lock.withLock { load.completed } + 10
            while load.lock.withLock({ load.completed }) < target { usleep(2_000) }
        }
        load.finish()
        XCTAssertEqual(load.failures, [], "requests failed during reloads")
        XCTAssertGreaterThan(load.stamps["v1"] ?? 0, 0)
        XCTAssertGreaterThan(load.stamps["v2"] ?? 0, 0, "the rebuilt plugin's new code never served")
        XCTAssertEqual(Set(load.stamps.keys), ["v1", "v2"])

        // Every retired generation's instance is destroyed once drained.
        let lines = try HookLog.wait(s.log, until: { $0.filter { $0.hasPrefix("destroy") }.count == 20 })
        XCTAssertEqual(lines.filter { $0.hasPrefix("create") }.count, 21)
        let metrics = try HTTP.request(port: s.gateway.port, method: "GET", path: "/metrics").text
        XCTAssertTrue(metrics.contains(#"tollgate_reload_total{result="ok"} 20"#), metrics)
    }

    func testABadReloadChangesNothing() throws {
        let s = try start()
        defer { s.gateway.stop(); s.mock.stop() }
        let load = Load()
        load.run(port: s.gateway.port, clients: 10)

        // 1. A YAML error.
        try "models: [\n".write(toFile: s.gateway.configPath, atomically: true, encoding: .utf8)
        let yamlError = try reload(s.gateway.port)
        XCTAssertEqual(yamlError.status, 422)
        let lastAttempt = try XCTUnwrap(try yamlError.json()["last_attempt"] as? [String: Any])
        XCTAssertEqual(lastAttempt["result"] as? String, "failed")
        XCTAssertTrue((lastAttempt["error"] as? String)?.contains("tollgate.yaml:") == true, "\(lastAttempt)")

        // 2. A plugin with the wrong ABI major, at a new path.
        let bad = try CPluginBuilder.fixture("wrong_major", into: s.dir)
        try s.yaml("  - path: \(bad)\n").write(toFile: s.gateway.configPath, atomically: true, encoding: .utf8)
        let pluginError = try reload(s.gateway.port)
        XCTAssertEqual(pluginError.status, 422)
        XCTAssertTrue(pluginError.text.contains("ABI major 2"), pluginError.text)

        // 3. SIGHUP with a missing plugin file: same, through the signal.
        try s.yaml("  - path: \(s.dir)/nope.so\n").write(toFile: s.gateway.configPath, atomically: true, encoding: .utf8)
        s.gateway.process.signal(SIGHUP)
        let status = try waitForReloadAttempts(port: s.gateway.port, failed: 3)
        XCTAssertTrue(status.contains("no such file"), status)

        let target = load.lock.withLock { load.completed } + 20
        while load.lock.withLock({ load.completed }) < target { usleep(2_000) }
        load.finish()
        XCTAssertEqual(load.failures, [])
        XCTAssertEqual(Set(load.stamps.keys), ["v1"], "the old generation kept serving")
        let admin = try HTTP.request(port: s.gateway.port, method: "GET", path: "/admin/reload",
                                     headers: [("authorization", "Bearer \(Self.master)")])
        XCTAssertEqual(try admin.json()["generation"] as? Int, 1)
    }

    func testKeysChangeWithTheConfig() throws {
        let s = try start()
        defer { s.gateway.stop(); s.mock.stop() }
        let chat = #"{"model":"small","messages":[{"role":"user","content":"hi"}]}"#
        XCTAssertEqual(try HTTP.postJSON(port: s.gateway.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: chat).status, 200)
        // Drop the production key, add a new one.
        let newKey = "tg-test-new-key"
        var yaml = s.yaml("")
        yaml = yaml.replacingOccurrences(of: TestConfig.hashes.prod, with: TestConfig.sha256(newKey))
        try yaml.write(toFile: s.gateway.configPath, atomically: true, encoding: .utf8)
        XCTAssertEqual(try reload(s.gateway.port).status, 200)
        XCTAssertEqual(try HTTP.postJSON(port: s.gateway.port, path: "/v1/chat/completions", key: TestConfig.prodKey, json: chat).status, 401)
        XCTAssertEqual(try HTTP.postJSON(port: s.gateway.port, path: "/v1/chat/completions", key: newKey, json: chat).status, 200)
    }

    /// A new `listen` address is bound before the swap; the old socket closes.
    func testAReloadMovesTheListenAddress() throws {
        let mock = try MockProviderProcess()
        defer { mock.stop() }
        let dir = TestPaths.temporaryDirectory("listen")
        let first = try ProxyEndToEndTests.freePort(), second = try ProxyEndToEndTests.freePort()
        func yaml(_ port: Int) -> String {
            TestConfig.yaml(mockPort: mock.port, storage: dir + "/data")
                .replacingOccurrences(of: "listen: 127.0.0.1:0", with: "listen: 127.0.0.1:\(port)")
        }
        let gateway = try GatewayProcess(yaml: yaml(first), directory: dir,
                                         environment: ["TOLLGATE_TEST_MASTER": Self.master], useConfigListen: true)
        defer { gateway.stop() }
        XCTAssertEqual(gateway.port, first)
        let chat = #"{"model":"small","messages":[{"role":"user","content":"hi"}]}"#
        XCTAssertEqual(try HTTP.postJSON(port: first, path: "/v1/chat/completions", key: TestConfig.prodKey, json: chat).status, 200)

        try yaml(second).write(toFile: gateway.configPath, atomically: true, encoding: .utf8)
        XCTAssertEqual(try reload(first).status, 200)
        XCTAssertEqual(try HTTP.postJSON(port: second, path: "/v1/chat/completions", key: TestConfig.prodKey, json: chat).status, 200)
        // The old listener is closed (bounded wait: the close is asynchronous).
        let deadline = Date().addingTimeInterval(5)
        var stillOpen = true
        while stillOpen && Date() < deadline {
            stillOpen = (try? HTTPConnection(port: first)) != nil
            if stillOpen { usleep(20_000) }
        }
        XCTAssertFalse(stillOpen, "the old listen address still accepts connections")
    }

    /// Polls GET /admin/reload until `failed` failed attempts were counted.
    func waitForReloadAttempts(port: Int, failed: Int) throws -> String {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let metrics = try HTTP.request(port: port, method: "GET", path: "/metrics").text
            if metrics.contains(#"tollgate_reload_total{result="failed"} \#(failed)"#) {
                return try HTTP.request(port: port, method: "GET", path: "/admin/reload",
                                        headers: [("authorization", "Bearer \(Self.master)")]).text
            }
            usleep(20_000)
        }
        throw TestFailure("reload attempts never reached \(failed) failures")
    }
}
