import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// preCall: redact, block and log on every prompt segment, per-provider and
/// per-key-class policies, metrics, and nothing raw in logs.
final class PIIGuardPromptTests: XCTestCase {
    let metric = PIIGuardFixture.metric

    func testRedactsEverySegmentWithStablePlaceholders() throws {
        let plugin = try PIIGuardFixture.load(#"{"rules": [{"detect": "email", "action": "redact"}, {"detect": "phone", "action": "redact"}]}"#)
        let call = FakeCall(prompt: [
            ("system", "Escalate to ops@example.com."),
            ("user", "I am ann@example.org, call +1 415 555 2671."),
            ("assistant", "Noted ann@example.org."),
            ("tool", "lookup: ann@example.org / ops@example.com / bob@example.net"),
        ])
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.prompt.map(\.text), [
            "Escalate to [EMAIL_1].",
            "I am [EMAIL_2], call [PHONE_1].",
            "Noted [EMAIL_2].",
            "lookup: [EMAIL_2] / [EMAIL_1] / [EMAIL_3]",
        ])
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["email", "redact", "input"]), 6)
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["phone", "redact", "input"]), 1)
        try plugin.postCall(call)
        XCTAssertEqual(plugin.host.callsAwaitingPostCall, 0)
    }

    func testBlockRejectsWith400NamingCategoriesNeverValues() throws {
        let plugin = try PIIGuardFixture.load(#"""
            {"rules": [{"detect": "email", "action": "redact"}, {"detect": "card", "action": "block"},
                       {"detect": "ssn", "action": "block"}, {"detect": "secret", "action": "block"}]}
            """#)
        let call = FakeCall(prompt: [("user", "ssn 123-45-6789 and card 4111-1111-1111-1111, mail a@example.com")])
        let pre = try plugin.preCall(call)
        XCTAssertEqual(pre.verdict, .reject)
        XCTAssertEqual(pre.error, FakeCall.ErrorDetails(
            status: 400, type: "invalid_request_error", code: "pii_detected",
            message: "The request contains personal data that may not be sent to this model: card, ssn"))
        XCTAssertEqual(call.prompt[0].text, "ssn 123-45-6789 and card 4111-1111-1111-1111, mail a@example.com",
                       "a blocked request is not rewritten")
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["card", "block", "input"]), 1)
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["ssn", "block", "input"]), 1)
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["email", "redact", "input"]), 1)
        try plugin.postCall(call, outcome: "rejected", status: 400)
        for line in plugin.host.logs {
            XCTAssertFalse(line.message.contains("4111"), line.message)
            XCTAssertFalse(line.message.contains("6789"), line.message)
            XCTAssertFalse(line.message.contains("a@example.com"), line.message)
        }
    }

    func testLogOnlyCountsAndLeavesThePrompt() throws {
        let plugin = try PIIGuardFixture.load(#"{"rules": [{"detect": "*", "action": "log"}]}"#)
        let text = "from 10.0.0.1 as a@example.com with AKIAIOSFODNN7EXAMPLE"
        let call = FakeCall(prompt: [("user", text)])
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.prompt[0].text, text)
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["ip", "log", "input"]), 1)
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["email", "log", "input"]), 1)
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["secret", "log", "input"]), 1)
        try plugin.postCall(call)
    }

    func testUndetectedCategoriesAreLeftAlone() throws {
        let plugin = try PIIGuardFixture.load(#"{"rules": [{"detect": "email", "action": "redact"}]}"#)
        let call = FakeCall(prompt: [("user", "card 4111 1111 1111 1111 from 10.0.0.1")])
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.prompt[0].text, "card 4111 1111 1111 1111 from 10.0.0.1")
        XCTAssertTrue(plugin.host.metricRecords.isEmpty)
        try plugin.postCall(call)
    }

    func testLaterRulesOverrideEarlierOnesAndStarMeansAll() throws {
        let plugin = try PIIGuardFixture.load(#"{"rules": [{"detect": "*", "action": "redact"}, {"detect": "ip", "action": "log"}]}"#)
        let call = FakeCall(prompt: [("user", "a@example.com from 10.0.0.1, ssn 123-45-6789")])
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.prompt[0].text, "[EMAIL_1] from 10.0.0.1, ssn [SSN_1]")
        try plugin.postCall(call)
    }

    private let policyConfig = #"""
        {"rules": [{"detect": "email", "action": "redact"}, {"detect": "card", "action": "block"}],
         "policies": [
           {"match": {"provider": "anthropic"}, "rules": [{"detect": "email", "action": "block"}]},
           {"match": {"key_class": "experimentation"}, "rules": [{"detect": "*", "action": "redact"}]},
           {"match": {"model": ["local-a", "local-b"]}, "rules": [{"detect": "*", "action": "log"}]}
         ]}
        """#

    func testPolicyByProvider() throws {
        let plugin = try PIIGuardFixture.load(policyConfig)
        let toOpenAI = FakeCall(prompt: [("user", "I am a@example.com")])
        toOpenAI.provider = "openai"
        XCTAssertEqual(try plugin.preCall(toOpenAI).verdict, .continue)
        XCTAssertEqual(toOpenAI.prompt[0].text, "I am [EMAIL_1]")
        try plugin.postCall(toOpenAI)

        let toAnthropic = FakeCall(api: .anthropic, prompt: [("user", "I am a@example.com")], requestID: "req-2")
        toAnthropic.provider = "anthropic"
        let pre = try plugin.preCall(toAnthropic)
        XCTAssertEqual(pre.verdict, .reject)
        XCTAssertEqual(pre.error?.message, "The request contains personal data that may not be sent to this model: email")
        try plugin.postCall(toAnthropic, outcome: "rejected", status: 400)
    }

    func testPolicyByKeyClassAndModel() throws {
        let plugin = try PIIGuardFixture.load(policyConfig)
        let lab = FakeCall(prompt: [("user", "card 4111 1111 1111 1111")],
                           identity: FakeCall.Identity(keyClass: "experimentation"))
        XCTAssertEqual(try plugin.preCall(lab).verdict, .continue, "the experimentation policy redacts cards instead")
        XCTAssertEqual(lab.prompt[0].text, "card [CARD_1]")
        try plugin.postCall(lab)

        let local = FakeCall(model: "local-b", prompt: [("user", "card 4111 1111 1111 1111")], requestID: "req-3")
        XCTAssertEqual(try plugin.preCall(local).verdict, .continue)
        XCTAssertEqual(local.prompt[0].text, "card 4111 1111 1111 1111")
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["card", "log", "input"]), 1)
        try plugin.postCall(local)

        let production = FakeCall(prompt: [("user", "card 4111 1111 1111 1111")], requestID: "req-4")
        XCTAssertEqual(try plugin.preCall(production).verdict, .reject, "no policy matches: the base blocks cards")
        try plugin.postCall(production, outcome: "rejected", status: 400)
    }

    func testAnthropicRequestsAreScannedThroughTheSameView() throws {
        let plugin = try PIIGuardFixture.load(#"{"rules": [{"detect": "email", "action": "redact"}]}"#)
        let call = FakeCall(api: .anthropic, prompt: [("system", "Owner: x@example.com"), ("user", "ping y@example.com")])
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.prompt.map(\.text), ["Owner: [EMAIL_1]", "ping [EMAIL_2]"])
        try plugin.postCall(call)
    }
}
