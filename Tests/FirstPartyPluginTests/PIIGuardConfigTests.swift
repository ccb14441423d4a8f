import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// Strict config validation in create: every mistake names where it is.
final class PIIGuardConfigTests: XCTestCase {
    private func createError(_ config: String) -> String? {
        do {
            _ = try PIIGuardFixture.load(config)
            return nil
        } catch PluginLoadError.createFailed(_, _, let message) {
            return message
        } catch {
            return "unexpected: \(error)"
        }
    }

    func testDescriptorAndMetric() throws {
        let plugin = try PIIGuardFixture.load(#"{"rules": [{"detect": "email", "action": "redact"}]}"#)
        XCTAssertEqual(plugin.name, "pii-guard")
        XCTAssertTrue(plugin.failClosed, "PII guard fails closed by default")
        XCTAssertTrue(plugin.hasPreCall)
        XCTAssertTrue(plugin.hasChunk)
        let definition = try XCTUnwrap(plugin.host.metricDefinitions.first { $0.name == PIIGuardFixture.metric })
        XCTAssertEqual(definition.kind, .counter)
        XCTAssertEqual(definition.labelNames, ["category", "action", "direction"])
    }

    func testNoConfigUsesTheDefaultRules() throws {
        let plugin = try PluginUnderTest(libraryPath: PIIGuardFixture.libraryPath, config: .null)
        let call = FakeCall(prompt: [("user", "mail a@example.com, card 4111 1111 1111 1111")])
        let pre = try plugin.preCall(call)
        XCTAssertEqual(pre.verdict, .reject, "cards are blocked by default")
        try plugin.postCall(call, outcome: "rejected", status: 400)
    }

    func testUnknownDetectorActionAndKeysAreNamed() {
        XCTAssertEqual(createError(#"{"rules": [{"detect": "mail", "action": "redact"}]}"#),
                       #"pii-guard config: rules[0].detect must be one of email, phone, card, ssn, iban, ip, secret, *, got "mail"; did you mean 'email'?"#)
        XCTAssertEqual(createError(#"{"rules": [{"detect": "email", "action": "deny"}]}"#),
                       #"pii-guard config: rules[0].action must be one of redact, block, log, got "deny""#)
        XCTAssertEqual(createError(#"{"rule": []}"#),
                       "pii-guard config: unknown key 'rule'; did you mean 'rules'? (allowed: restore, scan_output, rules, policies)")
        XCTAssertEqual(createError(#"{"rules": [{"detect": "email", "action": "log", "when": "always"}]}"#),
                       "pii-guard config: rules[0]: unknown key 'when' (allowed: detect, action)")
        XCTAssertEqual(createError(#"{"rules": [{"action": "log"}]}"#),
                       "pii-guard config: rules[0].detect is required (one of email, phone, card, ssn, iban, ip, secret, *)")
        XCTAssertEqual(createError(#"{"restore": "yes"}"#), #"pii-guard config: restore must be true or false, got "yes""#)
        XCTAssertEqual(createError(#"{"rules": {"detect": "email"}}"#),
                       #"pii-guard config: rules must be a list of {detect, action}, got {"detect":"email"}"#)
        XCTAssertEqual(createError("[1]"), "pii-guard config: config must be a mapping, got [1]")
    }

    func testPolicyMistakesAreNamed() {
        XCTAssertEqual(createError(#"{"policies": [{"match": {"vendor": "x"}, "rules": []}]}"#),
                       "pii-guard config: policies[0].match: unknown key 'vendor' (allowed: provider, model, key_class, team, org)")
        XCTAssertEqual(createError(#"{"policies": [{"rules": []}]}"#),
                       "pii-guard config: policies[0].match is required (a mapping of provider, model, key_class, team, org)")
        XCTAssertEqual(createError(#"{"policies": [{"match": {}}]}"#),
                       "pii-guard config: policies[0].match must be a mapping with at least one of provider, model, key_class, team, org, got {}")
        XCTAssertEqual(createError(#"{"policies": [{"match": {"provider": 3}}]}"#),
                       "pii-guard config: policies[0].match.provider must be a string or a non-empty list of strings, got 3")
        XCTAssertEqual(createError(#"{"policies": [{"match": {"provider": "openai"}, "rules": [{"detect": "ip", "action": "drop"}]}]}"#),
                       #"pii-guard config: policies[0].rules[0].action must be one of redact, block, log, got "drop""#)
        XCTAssertEqual(createError(#"{"policies": {"match": {}}}"#), #"pii-guard config: policies must be a list, got {"match":{}}"#)
    }
}
