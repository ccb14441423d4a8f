import TollgateJSON
import XCTest

/// `JSONValue.lookup` must answer exactly what parsing the whole document
/// and walking the path answers — it only skips building the rest.
final class JSONLookupTests: XCTestCase {
    private func walk(_ value: JSONValue?, _ path: [JSONLookupStep]) -> JSONValue? {
        var current = value
        for step in path {
            switch step {
            case .key(let key): current = current?[key]
            case .index(let i): current = current?[i]
            }
        }
        return current
    }

    private let chunkPath: [JSONLookupStep] = [.key("choices"), .index(0), .key("delta"), .key("content")]

    func testAgreesWithAFullParseOnEveryDocument() {
        let documents = [
            #"{"id":"c1","choices":[{"index":0,"delta":{"content":"Hello"}}]}"#,
            #"{"choices":[{"delta":{"role":"assistant","content":""}}],"created":1700000000}"#,
            #"{"choices":[{"delta":{"content":"a \"quoted\" \\ \u00e9 \ud83d\ude00 line\nbreak"}}]}"#,
            #"{"choices":[{"delta":{}}],"usage":{"prompt_tokens":3,"completion_tokens":-1.5e+3}}"#,
            #"{"choices":[],"usage":{"prompt_tokens":3}}"#,
            #"{"choices":[{"delta":{"content":null}}]}"#,
            #"{"choices":[{"delta":{"content":"first"}},{"delta":{"content":"second"}}]}"#,
            #"{"ch\u006fices":[{"delta":{"content":"escaped key"}}]}"#,
            #"{"choices":[{"delta":{"content":"dup 1","content":"dup 2"}}]}"#,
            #"  {"choices" : [ { "delta" : { "content" : "spaced" } } ] }  "#,
            #"{"x":[true,false,null,[[]],{"a":{}}],"choices":[{"delta":{"content":"after nesting"}}]}"#,
            #"{"choices":{"0":{"delta":{"content":"object, not array"}}}}"#,
            #"[1,2,3]"#,
            #""just a string""#,
            // Invalid documents: both must give nothing.
            #"{"choices":[{"delta":{"content":"ok"}}]} trailing"#,
            #"{"choices":[{"delta":{"content":"ok"}}],"n":01}"#,
            #"{"choices":[{"delta":{"content":"ok"}}],"bad":"\x"}"#,
            #"{"choices":[{"delta":{"content":"unterminated}}]}"#,
            #"{"choices":[{"delta":{"content":"ok"}},]}"#,
            "",
        ]
        let paths: [[JSONLookupStep]] = [
            chunkPath, [.key("usage")], [.key("usage"), .key("completion_tokens")], [.index(2)], [.key("x"), .index(4), .key("a")],
            [], [.key("choices"), .index(1), .key("delta"), .key("content")], [.key("missing")],
        ]
        for document in documents {
            let bytes = Array(document.utf8)
            let parsed = try? JSONValue.parse(bytes)
            for path in paths {
                let expected = parsed.flatMap { walk($0, path) }
                XCTAssertEqual(JSONValue.lookup(bytes, path), expected, "\(document) at \(path)")
            }
        }
    }

    /// Skipped strings are scanned eight bytes at a time: a quote, a
    /// backslash or a control byte at any offset of a word (and bytes one
    /// bit away from them) must be seen exactly where the full parser sees
    /// it.
    func testSkippedStringsAgreeWithAFullParseAtEveryOffset() {
        let specials: [String] = [#"\""#, #"\\"#, #"\u00e9"#, #"\n"#, "\u{01}", "\u{1F}", "\u{7F}", " ", "é", "#", "[", "\u{00}"]
        for length in 0...19 {
            for position in 0...length {
                for special in specials {
                    var text = String(repeating: "a", count: length)
                    text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: position))
                    for document in [#"{"skip":"\#(text)","b":1}"#, #"{"skip":"\#(text)"#] {
                        let bytes = Array(document.utf8)
                        let expected = (try? JSONValue.parse(bytes)).flatMap { walk($0, [.key("b")]) }
                        XCTAssertEqual(JSONValue.lookup(bytes, [.key("b")]), expected, document.debugDescription)
                    }
                }
            }
        }
    }

    func testTheSpanCoversExactlyTheValueFound() throws {
        let documents = [
            #"{"choices":[{"delta":{"content":"a \"b\""}}]}"#,
            #"{ "choices" : [ { "delta" : { "content" : 42 } } ] }"#,
            #"{"choices":[{"delta":{"content":{"nested":[1,2]}}}],"x":1}"#,
        ]
        let path: [JSONLookupStep] = [.key("choices"), .index(0), .key("delta"), .key("content")]
        for document in documents {
            let bytes = Array(document.utf8)
            let found = try XCTUnwrap(JSONValue.lookupSpan(bytes, path), document)
            XCTAssertEqual(try JSONValue.parse(Array(bytes[found.span])), found.value, document)
            XCTAssertEqual(JSONValue.lookup(bytes, path), found.value)
        }
        XCTAssertNil(JSONValue.lookupSpan(Array(#"{"choices":[]}"#.utf8), path))
    }

    func testDepthLimitHolds() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        XCTAssertNil(JSONValue.lookup(Array(deep.utf8), [.index(0)]), "nesting beyond the limit is refused, as by parse")
    }
}
