import Foundation
import XCTest

/// SIGTERM with a call still in flight past the grace period: the call is
/// cut, and every plugin that entered it gets its post_call recording what
/// happened — "aborted", decided by "core" — not an upstream failure or a
/// client disconnect.
final class ShutdownEndToEndTests: XCTestCase {
    func testACallCutByShutdownEndsAsAbortedByTheCore() throws {
        let mock = try MockProviderProcess()
        defer { mock.stop() }
        let pluginDir = TestPaths.temporaryDirectory("shutdown-plugins")
        let recorder = try CPluginBuilder.fixture("recorder", into: pluginDir)
        let log = TestPaths.temporaryDirectory("shutdown-log") + "/hooks.log"
        let dir = TestPaths.temporaryDirectory("shutdown-gw")
        let plugins = "plugins:\n  - path: \(recorder)\n    config: {name: watcher, log: \"\(log)\"}\n"
        let gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: mock.port, storage: dir + "/data", plugins: plugins),
                                         directory: dir, arguments: ["--shutdown-grace", "0"])
        defer { gateway.stop() }

        let connection = try HTTPConnection(port: gateway.port)
        let body = #"{"model":"small","stream":true,"messages":[{"role":"user","content":"slow [[mock chunks=400 delay_ms=50]]"}]}"#
        try connection.send(method: "POST", path: "/v1/chat/completions",
                            headers: [("authorization", "Bearer \(TestConfig.prodKey)"), ("content-type", "application/json")],
                            body: Array(body.utf8))
        let head = try connection.readResponse(onChunk: { _ in false })  // the stream has started
        XCTAssertEqual(head.status, 200)

        gateway.process.signal(SIGTERM)
        XCTAssertEqual(try gateway.process.waitForExit(timeout: 30), 0, gateway.process.stderr)
        close(connection.fd)

        // post <name> <request-id> <outcome> <status> <tokens_in> <tokens_out> <cost> <decided_by>
        let posts = try HookLog.read(log).filter { $0.hasPrefix("post ") }.map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(posts.count, 1, "\(posts)")
        let post = try XCTUnwrap(posts.first)
        XCTAssertEqual(post[3], "aborted", "\(post)")
        XCTAssertEqual(post.last, "core", "\(post)")
        XCTAssertGreaterThan(Int64(post[5]) ?? 0, 0, "usage is estimated: \(post)")
        XCTAssertTrue(try HookLog.read(log).contains("destroy watcher"))
        XCTAssertTrue(gateway.process.stderr.contains("cutting the calls still in flight"), gateway.process.stderr)
    }
}
