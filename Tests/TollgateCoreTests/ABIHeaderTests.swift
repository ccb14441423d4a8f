import Crypto
import Foundation
import XCTest

/// The ABI header is a published contract: any edit must come with a new
/// ABI version (append-only changes bump the minor). This test pins the
/// header's hash per version, so an accidental edit fails the build.
final class ABIHeaderTests: XCTestCase {
    /// When you change the header on purpose: bump TOLLGATE_ABI_MINOR (or
    /// MAJOR), then add the new version's hash here. Never edit a line.
    static let publishedHashes: [String: String] = [
        "1.0": "3941b5bb3871b6691f73070f1e85a7f49614785cbab2eddaceb6beb548227610",
        // 1.1: the counter store; TOKENS_IN readable in on_chunk.
        "1.1": "ead52cf7747ec7dc739743daa7d85c10f1f69a4b32fea55de2f07694780774e7",
        // 1.2: host properties (storage dir...), fallback models, deployments.
        "1.2": "9e57b4ed76dc2845fb4698f2fbb14405459234524c12e80c7d6b62a60854a89f",
        // 1.3: metric series handles (record without label strings).
        "1.3": "65356cac3ae824b0e896592bea639cd68459ea274b87999dcc48e8c8b007df2a",
    ]

    static var headerPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tollgate-plugin-kit/Sources/CTollgatePlugin/include/tollgate_plugin.h").path
    }

    func testHeaderMatchesThePublishedHashOfItsVersion() throws {
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: Self.headerPath))
        let text = String(decoding: bytes, as: UTF8.self)
        func define(_ name: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix("#define \(name) ") }?.split(separator: " ").last.map(String.init)
        }
        let version = "\(try XCTUnwrap(define("TOLLGATE_ABI_MAJOR"))).\(try XCTUnwrap(define("TOLLGATE_ABI_MINOR")))"
        let hash = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        guard let published = Self.publishedHashes[version] else {
            return XCTFail("ABI \(version) has no published hash; add \"\(version)\": \"\(hash)\" to publishedHashes")
        }
        XCTAssertEqual(hash, published, """
            tollgate_plugin.h changed but its ABI version (\(version)) did not. Plugins built against \(version) \
            would break silently. Bump TOLLGATE_ABI_MINOR for an append-only change (new host functions or \
            constants at the end) and record the new hash; anything else needs a new major.
            """)
    }
}
