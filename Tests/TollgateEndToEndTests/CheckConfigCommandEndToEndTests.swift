import Foundation
import XCTest

/// `tollgate check-config` takes the file as docs/config.md shows it
/// (`check-config FILE`) as well as `--config FILE`.
final class CheckConfigCommandEndToEndTests: XCTestCase {
    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: arguments)
        try process.start()
        let status = try process.waitForExit(timeout: 60)
        return (status, process.stdout.joined(separator: "\n"), process.stderr)
    }

    func validConfig() throws -> String {
        let dir = TestPaths.temporaryDirectory("check-config")
        let path = dir + "/tollgate.yaml"
        try TestConfig.yaml(mockPort: 9, storage: dir + "/data").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testTheFileMayBeGivenAsAnArgumentOrWithDashDashConfig() throws {
        let path = try validConfig()
        for arguments in [["check-config", path], ["check-config", "--config", path]] {
            let result = try run(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("\(path): OK"), result.stdout)
        }
    }

    func testNoFileOrTwoDifferentFilesIsAUsageError() throws {
        let path = try validConfig()
        let none = try run(["check-config"])
        XCTAssertEqual(none.status, 64, none.stderr)
        XCTAssertTrue(none.stderr.contains("check-config FILE"), none.stderr)
        let two = try run(["check-config", path, "--config", path + ".other"])
        XCTAssertEqual(two.status, 64, two.stderr)
        XCTAssertTrue(two.stderr.contains("give one"), two.stderr)
    }

    func testABadFileGivenAsAnArgumentFailsWithItsPosition() throws {
        let dir = TestPaths.temporaryDirectory("check-config-bad")
        let path = dir + "/bad.yaml"
        try "server:\n  listen: 127.0.0.1:4000\nmodles: []\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try run(["check-config", path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("\(path):3:1:"), result.stderr)
    }
}
