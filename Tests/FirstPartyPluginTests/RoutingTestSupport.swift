import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// Loads libtollgate_routing.so (built next to the test binary) against a
/// fake host whose catalog has the models the tests route between.
enum RoutingFixture {
    static let metric = "tollgate_routing_matches_total"

    static var libraryPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while url.pathExtension == "xctest" || url.lastPathComponent == "MacOS" || url.lastPathComponent == "Contents" {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("libtollgate_routing.so").path
    }

    static let catalog: [String: Price] = {
        let price = Price(inputPerMtokNanos: 1_000_000_000, outputPerMtokNanos: 2_000_000_000, cachedPerMtokNanos: 0)
        var catalog = FakeHost.defaultCatalog
        for name in ["claude-small", "gpt-4o", "gpt-4o-mini", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"] {
            catalog[name] = price
        }
        return catalog
    }()

    /// The plugin with `config` given as JSON text.
    static func load(_ config: String) throws -> PluginUnderTest {
        try PluginUnderTest(libraryPath: libraryPath, config: JSONValue.parse(config), catalog: catalog)
    }

    /// The message `config` is refused with (fails the test if accepted).
    static func refusal(_ config: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try load(config)
            XCTFail("config accepted: \(config)", file: file, line: line)
            return ""
        } catch PluginLoadError.createFailed(_, _, let message) {
            return message
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return ""
        }
    }
}

extension PluginUnderTest {
    /// Runs pre- and post-call for `call` and returns the pre-call verdict.
    @discardableResult
    func route(_ call: FakeCall) throws -> PreCallVerdict? {
        let verdict = try preCall(call).verdict
        try postCall(call, outcome: "success", status: 200)
        return verdict
    }
}
