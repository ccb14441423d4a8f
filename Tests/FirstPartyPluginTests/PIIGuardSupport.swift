import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// Loads libtollgate_pii_guard.so (built next to the test binary) and reads
/// the corpus in Fixtures/pii.
enum PIIGuardFixture {
    static let metric = "tollgate_pii_findings_total"

    static var binaryDirectory: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while url.pathExtension == "xctest" || url.lastPathComponent == "MacOS" || url.lastPathComponent == "Contents" {
            url.deleteLastPathComponent()
        }
        return url
    }

    static var libraryPath: String { binaryDirectory.appendingPathComponent("libtollgate_pii_guard.so").path }

    /// The plugin with `config` given as JSON text.
    static func load(_ config: String) throws -> PluginUnderTest {
        try PluginUnderTest(libraryPath: libraryPath, config: JSONValue.parse(config))
    }

    /// Every category redacted (so placeholders show what was found where),
    /// answers scanned, placeholders restored.
    static let redactAll = #"{"restore": true, "rules": [{"detect": "*", "action": "redact"}]}"#

    static var corpusDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/pii")
    }

    struct Positive {
        var category: String
        var value: String
        /// A format the detectors are known not to take.
        var knownMiss: Bool
    }

    struct Negative {
        var text: String
        var knownFalsePositive: Bool
    }

    static func lines(_ file: String) throws -> [String] {
        let text = try String(contentsOf: corpusDirectory.appendingPathComponent(file), encoding: .utf8)
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { $0.replacingOccurrences(of: "\\n", with: "\n") }
    }

    static func positives() throws -> [Positive] {
        try lines("positives.tsv").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            let known = parts[0].hasPrefix("?")
            return Positive(category: known ? String(parts[0].dropFirst()) : parts[0], value: parts[1], knownMiss: known)
        }
    }

    static func negatives() throws -> [Negative] {
        try lines("negatives.txt").map { line in
            line.hasPrefix("?") ? Negative(text: String(line.dropFirst()), knownFalsePositive: true)
                : Negative(text: line, knownFalsePositive: false)
        }
    }

    /// The sentences each positive value is placed in.
    static let contexts = ["VALUE", "Please use VALUE for this.", "(VALUE)", "card/phone: VALUE\n", "\"VALUE\","]

    /// Runs one answer through onChunk as stream text events, then the end
    /// event; returns what the client would read.
    static func stream(_ plugin: PluginUnderTest, _ call: FakeCall, _ pieces: [String]) throws -> String {
        var out = ""
        for piece in pieces { out += try plugin.onChunk(call, text: piece).text }
        out += try plugin.onChunk(call, text: "", raw: "[DONE]", kind: .end).text
        return out
    }

    /// A stream call with a clean prompt that has been through preCall.
    static func streamCall(_ plugin: PluginUnderTest, prompt: String = "Tell me something.") throws -> FakeCall {
        let call = FakeCall(stream: true, prompt: [("user", prompt)])
        let pre = try plugin.preCall(call)
        XCTAssertEqual(pre.verdict, .continue)
        return call
    }

    /// `text` split at UTF-8 byte offset `at` (both halves valid: the corpus
    /// is ASCII, and non-ASCII offsets are moved to a character boundary).
    static func split(_ text: String, at offset: Int) -> [String] {
        let bytes = Array(text.utf8)
        var cut = offset
        while cut < bytes.count, bytes[cut] & 0xC0 == 0x80 { cut += 1 }
        return [String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)]
    }
}
