import Foundation
import XCTest

/// Where the test's plugin libraries are: the kit sample next to the test
/// binary, and C plugins compiled on demand with the system compiler.
enum TestLibraries {
    /// The directory of the running test binary (SwiftPM puts the package's
    /// dynamic library products there too).
    static var binaryDirectory: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // On Darwin the binary sits inside a .xctest bundle.
        while url.pathExtension == "xctest" || url.lastPathComponent == "MacOS" || url.lastPathComponent == "Contents" {
            url.deleteLastPathComponent()
        }
        return url
    }

    static var kitSamplePath: String {
        binaryDirectory.appendingPathComponent("libtollgate_kit_sample.so").path
    }

    static var repoRoot: URL {
        // Tests/TollgatePluginKitTests/TestLibraries.swift -> repo root
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var headerDirectory: String {
        repoRoot.appendingPathComponent("tollgate-plugin-kit/Sources/CTollgatePlugin/include").path
    }

    private static let compiled = NSLock()
    private static var cache: [String: String] = [:]

    /// Compiles `source` into a shared library once per test run and
    /// returns its path.
    static func compileC(named name: String, source: String) throws -> String {
        compiled.lock()
        defer { compiled.unlock() }
        if let path = cache[name] { return path }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-kit-tests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let sourceURL = dir.appendingPathComponent("\(name).c")
        let libraryURL = dir.appendingPathComponent("lib\(name).so")
        try source.write(to: sourceURL, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-std=c99", "-Wall", "-Werror", "-shared", "-fPIC", "-I", headerDirectory,
                             sourceURL.path, "-o", libraryURL.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CompileFailure(message: "cc failed for \(name): \(String(decoding: output, as: UTF8.self))")
        }
        cache[name] = libraryURL.path
        return libraryURL.path
    }

    struct CompileFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
