import Foundation
import XCTest

/// `serve` and `check-config` on bad plugins and bad configs: a clear
/// message naming the plugin, the file and the reason, and a non-zero exit.
final class LoaderEndToEndTests: XCTestCase {
    static var pluginDir = TestPaths.temporaryDirectory("loader")

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: arguments,
                                     environment: ["TOLLGATE_PLUGIN_DIR": TestPaths.buildDirectory])
        try process.start()
        let status = try process.waitForExit(timeout: 60)
        return (status, process.stdout.joined(separator: "\n"), process.stderr)
    }

    func config(plugins: String) throws -> String {
        let dir = TestPaths.temporaryDirectory("cfg")
        let path = dir + "/tollgate.yaml"
        try TestConfig.yaml(mockPort: 9, storage: dir + "/data", plugins: plugins).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testEveryLoaderFailureNamesPluginFileAndReason() throws {
        let cases: [(fixture: String, reason: String)] = [
            ("no_entry", "no entry symbol 'tollgate_plugin_entry_v1'"),
            ("wrong_major", "built for ABI major 2"),
            ("refuses_host", "refused this host"),
            ("create_fails", "config is missing the required key 'threshold'"),
        ]
        for (fixture, reason) in cases {
            let library = try CPluginBuilder.fixture(fixture, into: Self.pluginDir)
            let path = try config(plugins: "plugins:\n  - path: \(library)\n    id: \(fixture)-instance\n")
            for command in ["check-config", "serve"] {
                var arguments = [command, "--config", path]
                if command == "serve" { arguments += ["--port", "0"] }
                let result = try run(arguments)
                XCTAssertNotEqual(result.status, 0, "\(command) accepted \(fixture)")
                XCTAssertTrue(result.stderr.contains(reason), "\(command)/\(fixture): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains("\(fixture)-instance"), "plugin name missing: \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(library), "file missing: \(result.stderr)")
                // Where in the config the plugin was declared.
                XCTAssertTrue(result.stderr.contains("tollgate.yaml:"), "config position missing: \(result.stderr)")
            }
        }
    }

    /// A Swift library that is not a plugin: the loader must fail with a
    /// message, not crash later (a dlclose'd Swift image breaks the runtime).
    func testASwiftLibraryWithoutEntryFailsCleanly() throws {
        let library = Self.pluginDir + "/libnot_a_plugin.so"
        let swiftc = ManagedProcess(executable: "/usr/bin/env", arguments: [
            "swiftc", "-emit-library", "-module-name", "NotAPlugin",
            TestPaths.repoRoot + "/Tests/Fixtures/SwiftNotAPlugin/NotAPlugin.swift", "-o", library,
        ])
        try swiftc.start()
        XCTAssertEqual(try swiftc.waitForExit(timeout: 120), 0, swiftc.stderr)
        let valid = try CPluginBuilder.fixture("null_hooks", into: Self.pluginDir)
        let path = try config(plugins: "plugins:\n  - path: \(valid)\n  - path: \(library)\n    id: not-a-plugin\n")
        for command in ["check-config", "serve"] {
            var arguments = [command, "--config", path]
            if command == "serve" { arguments += ["--port", "0"] }
            let result = try run(arguments)
            XCTAssertEqual(result.status, 1, "\(command) did not fail cleanly (signal?): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("no entry symbol"), result.stderr)
            XCTAssertFalse(result.stderr.contains("crashed"), result.stderr)
        }
    }

    func testUnknownFirstPartyPluginAndMissingFile() throws {
        let unknown = try run(["check-config", "--config", try config(plugins: "plugins:\n  - name: no-such-plugin\n")])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no-such-plugin"), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("libtollgate_no_such_plugin.so"), unknown.stderr)

        let missing = try run(["check-config", "--config", try config(plugins: "plugins:\n  - path: /nonexistent/libx.so\n")])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no such file"), missing.stderr)
    }

    func testPluginWithNullHooksLoadsAndServes() throws {
        let library = try CPluginBuilder.fixture("null_hooks", into: Self.pluginDir)
        let ok = try run(["check-config", "--config", try config(plugins: "plugins:\n  - path: \(library)\n")])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("OK"), ok.stdout)
    }

    func testConfigErrorsArePositioned() throws {
        let dir = TestPaths.temporaryDirectory("badcfg")
        let path = dir + "/bad.yaml"
        try """
        server:
          listen: 127.0.0.1:4000
        modles: []
        models:
          - name: small
            provider: openai
            base_url: http://127.0.0.1:1/v1
            price: {input_per_mtok: "abc", output_per_mtok: "1"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try run(["check-config", "--config", path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("\(path):3:1:"), result.stderr)
        XCTAssertTrue(result.stderr.contains("modles"), result.stderr)
        XCTAssertTrue(result.stderr.contains("\(path):8:"), result.stderr)
    }

    func testShippedConfigsCheckOut() throws {
        for file in ["demo.yaml", "example-org.yaml"] {
            // A copy whose storage goes to a temporary directory: checking a
            // config creates its storage (example-org's is /var/lib/tollgate).
            let dir = TestPaths.temporaryDirectory("shipped")
            let yaml = try String(contentsOfFile: TestPaths.repoRoot + "/config/" + file, encoding: .utf8)
                .replacingOccurrences(of: "dir: /var/lib/tollgate", with: "dir: \(dir)/data")
                .replacingOccurrences(of: "dir: ../tollgate-data", with: "dir: \(dir)/data")
            try yaml.write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
            let result = try run(["check-config", "--config", dir + "/" + file])
            XCTAssertEqual(result.status, 0, "\(file): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("OK"), result.stdout)
        }
    }
}
