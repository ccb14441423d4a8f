import TollgateJSON
import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

final class ConfigYAMLTests: XCTestCase {
    func testNodesCarryOneBasedLineAndColumn() throws {
        let yaml = """
        top:
          list:
            - first
            - {k: "v"}
        """
        let root = try XCTUnwrap(YAMLParser.parse(yaml, file: "t.yaml").root)
        guard case .mapping(let pairs) = root.content else { return XCTFail("expected a mapping") }
        XCTAssertEqual(pairs[0].key.location, SourceLocation(file: "t.yaml", line: 1, column: 1))
        guard case .mapping(let inner) = pairs[0].value.content,
              case .sequence(let items) = inner[0].value.content else { return XCTFail("expected a list") }
        XCTAssertEqual(inner[0].key.location, SourceLocation(file: "t.yaml", line: 2, column: 3))
        XCTAssertEqual(items[0].location, SourceLocation(file: "t.yaml", line: 3, column: 7))
        XCTAssertEqual(items[0].scalar, YAMLScalar(text: "first", style: .plain))
        guard case .mapping(let flow) = items[1].content else { return XCTFail("expected a flow mapping") }
        XCTAssertEqual(flow[0].value.scalar, YAMLScalar(text: "v", style: .quoted))
        XCTAssertEqual(flow[0].value.location, SourceLocation(file: "t.yaml", line: 4, column: 11))
    }

    func testSyntaxErrorIsPositioned() {
        let yaml = """
        models:
          - name: small
            provider: [mock
        """
        XCTAssertThrowsError(try YAMLParser.parse(yaml, file: "bad.yaml")) { error in
            let e = error as? ConfigError
            XCTAssertEqual(e?.location?.file, "bad.yaml")
            XCTAssertEqual(e?.location?.line, 4)
            XCTAssertTrue(e?.message.hasPrefix("YAML syntax error:") ?? false, "\(String(describing: e))")
        }
        XCTAssertThrowsError(try YAMLParser.parse("a: b: c\n", file: "bad.yaml")) { error in
            XCTAssertEqual((error as? ConfigError)?.location, SourceLocation(file: "bad.yaml", line: 1, column: 5))
        }
    }

    func testSecondDocumentIsRejected() {
        XCTAssertThrowsError(try YAMLParser.parse("a: 1\n---\nb: 2\n", file: "f")) { error in
            let e = error as? ConfigError
            XCTAssertEqual(e?.location?.line, 2)
            XCTAssertTrue(e?.message.contains("one YAML document") ?? false)
        }
    }

    func testDuplicateKeysAreReportedWithBothLines() throws {
        let output = try YAMLParser.parse("a: 1\nb: 2\na: 3\n", file: "f")
        XCTAssertEqual(output.problems.map(\.description), ["f:3:1: duplicate key 'a' (first set at line 1); keep only one"])
    }

    func testAliasesCopyTheAnchoredNodeAtTheAliasPosition() throws {
        let yaml = """
        base: &price {input_per_mtok: "1"}
        copy: *price
        """
        let root = try XCTUnwrap(YAMLParser.parse(yaml, file: "f").root)
        guard case .mapping(let pairs) = root.content else { return XCTFail() }
        XCTAssertEqual(pairs[1].value.content, pairs[0].value.content)
        XCTAssertEqual(pairs[1].value.location.line, 2)
    }

    func testEmptyInputHasNoRoot() throws {
        XCTAssertNil(try YAMLParser.parse("", file: "f").root)
        XCTAssertNil(try YAMLParser.parse("# only a comment\n", file: "f").root)
    }

    func testPluginConfigConvertsToJSONKeepingOrderAndTypes() throws {
        let yaml = """
        z: 1
        a: -0.5e3
        q: "12"
        n: ~
        e:
        b: true
        B: False
        y: yes
        s: hello
        lead0: 012
        l: [1, 'two', {k: null}]
        tagged: !!str 42
        """
        let json = try XCTUnwrap(YAMLParser.parse(yaml, file: "f").root).jsonValue
        let expected: JSONValue = .object(JSONObject([
            ("z", .number("1")), ("a", .number("-0.5e3")), ("q", .string("12")), ("n", .null), ("e", .null),
            ("b", .bool(true)), ("B", .bool(false)), ("y", .string("yes")), ("s", .string("hello")),
            ("lead0", .string("012")),
            ("l", .array([.number("1"), .string("two"), .object(JSONObject([("k", .null)]))])),
            ("tagged", .string("42")),
        ]))
        XCTAssertEqual(json, expected)
        XCTAssertEqual(json.objectValue?.keys, ["z", "a", "q", "n", "e", "b", "B", "y", "s", "lead0", "l", "tagged"])
    }

    func testJSONNumberGrammar() {
        for good in ["0", "-0", "12", "1.5", "1e9", "1E+9", "-2.5e-3"] {
            XCTAssertTrue(YAMLScalar.isJSONNumber(good), good)
        }
        for bad in ["", "-", "01", "1.", ".5", "1e", "+1", "0x10", "1_000", ".inf", "NaN"] {
            XCTAssertFalse(YAMLScalar.isJSONNumber(bad), bad)
        }
    }
}

final class ConfigSuggestionTests: XCTestCase {
    func testSuggestsLikelyTyposOnly() {
        XCTAssertEqual(Suggestion.closest(to: "mdoels", among: ["server", "models", "orgs"]), "models")
        XCTAssertEqual(Suggestion.closest(to: "upstream_modle", among: ["upstream_model", "name"]), "upstream_model")
        XCTAssertEqual(Suggestion.closest(to: "Price", among: ["price"]), "price")
        XCTAssertNil(Suggestion.closest(to: "z", among: ["x"]))
        XCTAssertNil(Suggestion.closest(to: "colour", among: ["name", "provider", "price"]))
        XCTAssertEqual(Suggestion.editDistance("abcd", "acbd"), 1)
        XCTAssertEqual(Suggestion.editDistance("", "abc"), 3)
    }
}
