import Foundation
import XCTest

/// A C plugin author without root and without a gateway build:
/// `scripts/install.sh --header-only --prefix DIR` installs the header and
/// tollgate-plugin.pc, and a plugin compiled with
/// `cc $(pkg-config --cflags tollgate-plugin)` loads in the gateway.
final class HeaderInstallEndToEndTests: XCTestCase {
    func output(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = ManagedProcess(executable: executable, arguments: arguments, environment: environment)
        try process.start()
        XCTAssertEqual(try process.waitForExit(timeout: 60), 0, "\(executable) \(arguments): \(process.stderr)")
        return process.stdout.joined(separator: "\n")
    }

    func testHeaderOnlyInstallAndPkgConfigBuildAPluginThatLoads() throws {
        let prefix = TestPaths.temporaryDirectory("header-prefix")
        _ = try output(TestPaths.repoRoot + "/scripts/install.sh", ["--header-only", "--prefix", prefix])
        let installed = try XCTUnwrap(FileManager.default.contents(atPath: prefix + "/include/tollgate_plugin.h"))
        let original = try XCTUnwrap(FileManager.default.contents(atPath: TestPaths.abiInclude + "/tollgate_plugin.h"))
        XCTAssertEqual(installed, original)
        XCTAssertFalse(FileManager.default.fileExists(atPath: prefix + "/bin"), "nothing but the header and the .pc")

        let pkgConfig = ["PKG_CONFIG_PATH": prefix + "/share/pkgconfig"]
        let cflags = try output("/usr/bin/env", ["pkg-config", "--cflags", "tollgate-plugin"], environment: pkgConfig)
        XCTAssertEqual(cflags.trimmingCharacters(in: .whitespaces), "-I\(prefix)/include")
        let version = try output("/usr/bin/env", ["pkg-config", "--modversion", "tollgate-plugin"], environment: pkgConfig)
        XCTAssertTrue(version.hasPrefix("1."), version)

        // The example router, compiled against the installed header only.
        let out = TestPaths.temporaryDirectory("header-plugin")
        let library = out + "/libheader_router.so"
        _ = try output("/usr/bin/env", ["cc", "-shared", "-fPIC", cflags.trimmingCharacters(in: .whitespaces),
                                        TestPaths.repoRoot + "/Plugins/examples/header-router/header_router.c", "-o", library])
        let config = out + "/tollgate.yaml"
        try TestConfig.yaml(mockPort: 9, storage: out + "/data",
                            plugins: "plugins:\n  - path: \(library)\n    config: {header: x-tier, routes: {fast: small}}\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertTrue(try output(TestPaths.tollgateBinary, ["check-config", "--config", config]).contains("OK"))
    }
}
