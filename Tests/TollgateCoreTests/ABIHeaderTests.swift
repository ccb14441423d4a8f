import Crypto
import Foundation
import XCTest

/// The ABI header is a published contract: any change to a declaration must
/// come with a new ABI version (append-only changes bump the minor). This
/// test pins, per version, the hash of the header's declarations — the
/// text with its comments removed and its white space collapsed — so an
/// accidental edit of a type, a constant or the function table fails the
/// build, while the comments (the plugin author's manual) can be clarified
/// without a new version.
final class ABIHeaderTests: XCTestCase {
    /// When you change a declaration on purpose: bump TOLLGATE_ABI_MINOR (or
    /// MAJOR), then add the new version's hash here. Never edit a line.
    /// A comment-only edit needs nothing here.
    static let publishedHashes: [String: String] = [
        "1.0": "184e0e37707619c7cf9553b1697d211def253c6269797b11c4ddcc7c4b78384f",
        // 1.1: the counter store; TOKENS_IN readable in on_chunk.
        "1.1": "867835a2d3034249cd4f6d78c2873ae1d765a3c73efc953c694f49bf2d14e8fa",
        // 1.2: host properties (storage dir...), fallback models, deployments.
        "1.2": "3e71ca364436006151b0465729a393736935ad9a0d17e5456ae37c37dfe4dabc",
        // 1.3: metric series handles (record without label strings).
        "1.3": "0167fc8526e21f8f7b094e248d7fa461d1c5eb1ba7c0fa80a1e227d62d7a40e8",
        // 1.4: plugin routes (declare_route, route_get_string, route_respond,
        // the descriptor's on_route).
        "1.4": "b0acd102f86a1d1712dbf775526d8518d98f1167e6d825a91c4252a9f9c37a02",
        "1.5": "8bc3a0c0108e42a64966b6c7e7faf3918ab2794a18e990f14eab31088df7ac62",
        // 1.6: the chargeback ledger through the host (ledger_append, ledger_read).
        "1.6": "294b673ae14f55b0422223a078971f9d4a0a2007df6fff44b9d31ed821c3bdcc",
    ]

    static var headerPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tollgate-plugin-kit/Sources/CTollgatePlugin/include/tollgate_plugin.h").path
    }

    func testHeaderDeclarationsMatchThePublishedHashOfTheirVersion() throws {
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: Self.headerPath))
        let text = String(decoding: bytes, as: UTF8.self)
        func define(_ name: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix("#define \(name) ") }?.split(separator: " ").last.map(String.init)
        }
        let version = "\(try XCTUnwrap(define("TOLLGATE_ABI_MAJOR"))).\(try XCTUnwrap(define("TOLLGATE_ABI_MINOR")))"
        let hash = Self.declarationHash(text)
        guard let published = Self.publishedHashes[version] else {
            return XCTFail("ABI \(version) has no published hash; add \"\(version)\": \"\(hash)\" to publishedHashes")
        }
        XCTAssertEqual(hash, published, """
            tollgate_plugin.h's declarations changed but its ABI version (\(version)) did not. Plugins built \
            against \(version) would break silently. Bump TOLLGATE_ABI_MINOR for an append-only change (new host \
            functions or constants at the end) and record the new hash; anything else needs a new major.
            """)
    }

    func testCommentsAndLayoutDoNotChangeTheHashButDeclarationsDo() {
        let base = Self.declarationHash("#define A 1 /* one */\ntypedef int32_t t; // a type\n")
        XCTAssertEqual(Self.declarationHash("#define A 1 /* the first,\n   reworded */\ntypedef   int32_t t;\n"), base)
        XCTAssertNotEqual(Self.declarationHash("#define A 2 /* one */\ntypedef int32_t t;\n"), base)
        XCTAssertNotEqual(Self.declarationHash("#define A 1\ntypedef int64_t t;\n"), base)
        XCTAssertNotEqual(Self.declarationHash(#"#define S "a /* b */ c""#), Self.declarationHash(#"#define S "a c""#),
                          "comment markers inside a string literal are part of it")
    }

    /// SHA-256 of the header with every comment replaced by a space and
    /// every run of white space collapsed to one space.
    static func declarationHash(_ text: String) -> String {
        let t = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        func at(_ k: Int) -> UInt8? { k < t.count ? t[k] : nil }
        while i < t.count {
            let c = t[i]
            if c == UInt8(ascii: "/"), at(i + 1) == UInt8(ascii: "*") {
                i += 2
                while i < t.count, !(t[i] == UInt8(ascii: "*") && at(i + 1) == UInt8(ascii: "/")) { i += 1 }
                i = min(i + 2, t.count)
                out.append(0x20)
            } else if c == UInt8(ascii: "/"), at(i + 1) == UInt8(ascii: "/") {
                while i < t.count, t[i] != 0x0A { i += 1 }
                out.append(0x20)
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                out.append(c)
                i += 1
                while i < t.count, t[i] != c {
                    if t[i] == UInt8(ascii: "\\"), i + 1 < t.count {
                        out.append(t[i])
                        i += 1
                    }
                    out.append(t[i])
                    i += 1
                }
                if i < t.count {
                    out.append(t[i])
                    i += 1
                }
            } else {
                out.append(c)
                i += 1
            }
        }
        let collapsed = String(decoding: out, as: UTF8.self)
            .split(whereSeparator: \.isWhitespace)
            .joined(separator: " ")
        return SHA256.hash(data: Data(collapsed.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
