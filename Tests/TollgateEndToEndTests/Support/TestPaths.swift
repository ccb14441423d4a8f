import Foundation

/// Where the repository, the built binaries and the fixtures are.
enum TestPaths {
    static let repoRoot: String = {
        // .../Tests/TollgateEndToEndTests/Support/TestPaths.swift
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// The directory the test binary runs from: SwiftPM puts every product
    /// of the build (the tollgate executable, plugin .so files) there.
    static let buildDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The test bundle may be a directory (…/X.xctest/…) on some setups.
        while url.path.contains(".xctest") { url = url.deletingLastPathComponent() }
        return url.path
    }()

    static var tollgateBinary: String { buildDirectory + "/tollgate" }
    static var abiInclude: String { repoRoot + "/tollgate-plugin-kit/Sources/CTollgatePlugin/include" }
    static var cPluginFixtures: String { repoRoot + "/Tests/Fixtures/CPlugins" }

    static func temporaryDirectory(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "tollgate-test-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Compiles a C plugin with the system compiler, as a team would.
enum CPluginBuilder {
    /// Builds `source` into `directory/lib<name>.so`. The file is written
    /// beside and renamed into place, as a deploy would, so a gateway
    /// reading it never sees half a library.
    static func build(source: String, into directory: String, name: String? = nil, defines: [String] = []) throws -> String {
        let base = name ?? URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let output = directory + "/lib\(base).so"
        let staging = output + ".building"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-O1", "-shared", "-fPIC", "-I", TestPaths.abiInclude] + defines.map { "-D" + $0 }
            + [source, "-o", staging]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw TestFailure("cc failed for \(source): \(message)")
        }
        guard rename(staging, output) == 0 else { throw TestFailure("cannot move \(staging) into place") }
        return output
    }

    static func fixture(_ name: String, into directory: String) throws -> String {
        try build(source: TestPaths.cPluginFixtures + "/\(name).c", into: directory)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
