import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The routing config is validated in create: each mistake is refused with
/// a message that says where it is and what to write instead.
final class RoutingConfigTests: XCTestCase {
    func refusal(_ config: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        RoutingFixture.refusal(config, file: file, line: line)
    }

    func assertRefused(_ config: String, saying parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        let message = refusal(config, file: file, line: line)
        for part in parts {
            XCTAssertTrue(message.contains(part), "'\(message)' should contain '\(part)'", file: file, line: line)
        }
        XCTAssertTrue(message.hasPrefix("routing config: "), message, file: file, line: line)
    }

    func testMissingOrEmptyRules() {
        assertRefused("null", saying: ["rules is required (a non-empty list of rules"])
        assertRefused("{}", saying: ["rules is required"])
        assertRefused("[1]", saying: ["config must be a mapping, got [1]"])
        assertRefused(#"{"rules": []}"#, saying: ["non-empty list"])
        assertRefused(#"{"rules": {"model": "small"}}"#, saying: ["non-empty list"])
    }

    func testUnknownKeysAreNamedWithASuggestion() {
        assertRefused(#"{"rule": []}"#, saying: ["unknown key 'rule'", "did you mean 'rules'?"])
        assertRefused(#"{"rules": [{"modle": "small"}]}"#, saying: ["rules[0]: unknown key 'modle'", "did you mean 'model'?"])
        assertRefused(#"{"rules": [{"model": "small"}, {"match": {"teem": "x"}, "model": "small"}]}"#,
                      saying: ["rules[1].match: unknown key 'teem'", "did you mean 'team'?", "allowed: use_case, tag"])
        assertRefused(#"{"rules": [{"match": {"zzzzzzzz": "x"}, "model": "small"}]}"#, saying: ["unknown key 'zzzzzzzz' (allowed"])
    }

    func testModelsMustBeInTheCatalog() {
        assertRefused(#"{"rules": [{"model": "lage"}]}"#, saying: ["rules[0].model: 'lage' is not in the model catalog"])
        assertRefused(#"{"rules": [{"fallbacks": ["small", "nope"]}]}"#, saying: ["rules[0].fallbacks[1]: 'nope' is not in the model catalog"])
        assertRefused(#"{"rules": [{"model": 3}]}"#, saying: ["rules[0].model must be a model name, got 3"])
    }

    func testFallbackLists() {
        assertRefused(#"{"rules": [{"fallbacks": "small"}]}"#, saying: ["fallbacks must be a list of model names"])
        assertRefused(#"{"rules": [{"fallbacks": ["small", "small"]}]}"#, saying: ["lists 'small' twice"])
        let nine = (1...9).map { "\"m\($0)\"" }.joined(separator: ",")
        assertRefused(#"{"rules": [{"fallbacks": [\#(nine)]}]}"#, saying: ["has 9 models; at most 8"])
        XCTAssertNoThrow(try RoutingFixture.load(#"{"rules": [{"fallbacks": []}]}"#), "an empty list clears fallbacks")
    }

    func testDeploymentWeights() {
        assertRefused(#"{"rules": [{"deployments": ["east"]}]}"#, saying: ["rules[0].deployments must be a mapping"])
        assertRefused(#"{"rules": [{"deployments": {"east": -1}}]}"#, saying: ["deployments.east must be a weight from 0"])
        assertRefused(#"{"rules": [{"deployments": {"east": 1.5}}]}"#, saying: ["deployments.east must be a weight"])
        assertRefused(#"{"rules": [{"deployments": {"east": 0}}]}"#, saying: ["at least one deployment with a weight above 0"])
    }

    func testEveryRuleNeedsAnAction() {
        assertRefused(#"{"rules": [{"match": {"team": "payments"}}]}"#, saying: ["rules[0]: no action"])
    }

    func testConditionValues() {
        assertRefused(#"{"rules": [{"match": {"team": ""}, "model": "small"}]}"#, saying: ["rules[0].match.team must be a non-empty string"])
        assertRefused(#"{"rules": [{"match": {"team": ["a", 1]}, "model": "small"}]}"#, saying: ["rules[0].match.team[1] must be a non-empty string, got 1"])
        assertRefused(#"{"rules": [{"match": {"key_class": "prod"}, "model": "small"}]}"#,
                      saying: ["'prod' matches no key class", "production and experimentation"])
        assertRefused(#"{"rules": [{"match": {"tag": {}}, "model": "small"}]}"#, saying: ["match.tag must be a mapping naming at least one attribute"])
        assertRefused(#"{"rules": [{"match": {"header": "x-priority"}, "model": "small"}]}"#, saying: ["match.header must be a mapping"])
        assertRefused(#"{"rules": [{"match": "everything", "model": "small"}]}"#, saying: ["rules[0].match must be a mapping"])
        XCTAssertNoThrow(try RoutingFixture.load(#"{"rules": [{"match": {"key_class": "prod*"}, "model": "small"}]}"#))
    }

    func testRuleNamesAreUnique() {
        assertRefused(#"{"rules": [{"name": "a", "model": "small"}, {"name": "a", "model": "large"}]}"#,
                      saying: ["rules[1]: name 'a' is already used by rules[0]"])
        assertRefused(#"{"rules": [{"model": "small"}, {"name": "0", "model": "large"}]}"#, saying: ["already used by rules[0]"])
        assertRefused(#"{"rules": [{"name": "", "model": "small"}]}"#, saying: ["rules[0].name must be a non-empty string"])
    }
}
