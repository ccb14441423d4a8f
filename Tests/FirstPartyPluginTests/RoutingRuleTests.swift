import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The routing plugin's rules through the fake host: which rule matches,
/// and what it sets (model, deployment, fallbacks, attribute, metric).
final class RoutingRuleTests: XCTestCase {
    func testFirstMatchingRuleWinsAndIsRecorded() throws {
        let plugin = try RoutingFixture.load(#"""
        {"rules": [
          {"name": "lab-small", "match": {"key_class": "experimentation"}, "model": "small"},
          {"name": "payments-gpt4", "match": {"team": "payments", "model": "gpt-4*"}, "model": "large", "fallbacks": ["small"]},
          {"name": "payments-any", "match": {"team": "payments"}, "model": "claude-small"}
        ]}
        """#)
        let call = FakeCall(model: "gpt-4o")
        XCTAssertEqual(try plugin.route(call), .continue)
        XCTAssertEqual(call.model, "large")
        XCTAssertEqual(call.fallbackModels, ["small"])
        XCTAssertEqual(call.attribute("routed_by_rule"), "payments-gpt4")
        XCTAssertEqual(plugin.host.metricValue(RoutingFixture.metric, labels: ["payments-gpt4"]), 1)
        XCTAssertNil(plugin.host.metricValue(RoutingFixture.metric, labels: ["payments-any"]))

        // The earlier rule wins over the later ones once it matches.
        let lab = FakeCall(model: "gpt-4o", identity: .init(keyClass: "experimentation"))
        try plugin.route(lab)
        XCTAssertEqual(lab.model, "small")
        XCTAssertEqual(lab.fallbackModels, [])
        XCTAssertEqual(lab.attribute("routed_by_rule"), "lab-small")
    }

    func testNoMatchLeavesTheCallAlone() throws {
        let plugin = try RoutingFixture.load(#"{"rules": [{"match": {"team": "search"}, "model": "small", "fallbacks": ["large"]}]}"#)
        let call = FakeCall(model: "large")
        XCTAssertEqual(try plugin.route(call), .continue)
        XCTAssertEqual(call.model, "large")
        XCTAssertEqual(call.fallbackModels, [])
        XCTAssertNil(call.pinnedDeployment)
        XCTAssertNil(call.attribute("routed_by_rule"))
        XCTAssertTrue(plugin.host.records(of: RoutingFixture.metric).isEmpty)
    }

    func testUnnamedRulesAreLabelledByTheirIndex() throws {
        let plugin = try RoutingFixture.load(#"{"rules": [{"match": {"team": "x"}, "model": "small"}, {"model": "small"}]}"#)
        let call = FakeCall(model: "large")
        try plugin.route(call)
        XCTAssertEqual(call.attribute("routed_by_rule"), "1")
        XCTAssertEqual(plugin.host.metricValue(RoutingFixture.metric, labels: ["1"]), 1)
    }

    func testUseCaseAndTagsReadAttributesSetByEarlierPlugins() throws {
        let plugin = try RoutingFixture.load(#"""
        {"rules": [
          {"name": "autocomplete", "match": {"use_case": "autocomplete"}, "model": "small"},
          {"name": "exp-42", "match": {"tag": {"experiment": "exp-4*", "feature": ["search", "chat"]}}, "fallbacks": ["claude-small"]}
        ]}
        """#)
        let autocomplete = FakeCall(model: "large")
        autocomplete.presetAttribute("use_case", "autocomplete")
        try plugin.route(autocomplete)
        XCTAssertEqual(autocomplete.model, "small")

        let experiment = FakeCall(model: "large")
        experiment.presetAttribute("experiment", "exp-42")
        experiment.presetAttribute("feature", "chat")
        try plugin.route(experiment)
        XCTAssertEqual(experiment.model, "large", "a rule without `model` keeps the model")
        XCTAssertEqual(experiment.fallbackModels, ["claude-small"])
        XCTAssertEqual(experiment.attribute("routed_by_rule"), "exp-42")

        // Every tag must hold: one missing and the rule does not match.
        let partial = FakeCall(model: "large")
        partial.presetAttribute("experiment", "exp-42")
        try plugin.route(partial)
        XCTAssertNil(partial.attribute("routed_by_rule"))

        // A use-case header alone does nothing: attributes come from tagging.
        let headerOnly = FakeCall(model: "large", headers: [("x-tollgate-use-case", "autocomplete")])
        try plugin.route(headerOnly)
        XCTAssertEqual(headerOnly.model, "large")
    }

    func testIdentityAndHeaderConditions() throws {
        let plugin = try RoutingFixture.load(#"""
        {"rules": [
          {"name": "vip", "match": {"org": "acme", "key_id": ["vip-*", "ceo"]}, "model": "large"},
          {"name": "low", "match": {"header": {"X-Priority": "low"}}, "model": "small"}
        ]}
        """#)
        let vip = FakeCall(model: "small", identity: .init(keyID: "vip-7"))
        try plugin.route(vip)
        XCTAssertEqual(vip.model, "large")

        let otherOrg = FakeCall(model: "small", identity: .init(keyID: "ceo", org: "globex"))
        try plugin.route(otherOrg)
        XCTAssertEqual(otherOrg.model, "small")

        let low = FakeCall(model: "large", headers: [("x-priority", "low")])
        try plugin.route(low)
        XCTAssertEqual(low.model, "small", "header names match case-insensitively")

        let high = FakeCall(model: "large", headers: [("x-priority", "high")])
        try plugin.route(high)
        XCTAssertEqual(high.model, "large")
    }

    func testModelMatchesTheCurrentModelAndRequestedModelTheClients() throws {
        let plugin = try RoutingFixture.load(#"""
        {"rules": [
          {"name": "asked-mini", "match": {"requested_model": "gpt-4o-mini"}, "model": "small"},
          {"name": "now-gpt", "match": {"model": "gpt-?o"}, "model": "large"}
        ]}
        """#)
        let mini = FakeCall(model: "gpt-4o-mini")
        try plugin.route(mini)
        XCTAssertEqual(mini.model, "small")
        let gpt = FakeCall(model: "gpt-4o")
        try plugin.route(gpt)
        XCTAssertEqual(gpt.model, "large")
        let glob = FakeCall(model: "gpt-4o-mini-2")
        try plugin.route(glob)
        XCTAssertEqual(glob.model, "gpt-4o-mini-2", "`?` is one character and the pattern is anchored")
    }

    func testDeploymentsArePickedByWeightAmongTheFinalModels() throws {
        let plugin = try RoutingFixture.load(#"""
        {"rules": [
          {"name": "east-only", "match": {"team": "drain"}, "model": "large", "deployments": {"east": 1, "west": 0}},
          {"name": "split", "deployments": {"east": 3, "west": 1}}
        ]}
        """#)
        // Weight 0 is never pinned; the pin applies to the model set by the same rule.
        for i in 0..<50 {
            let call = FakeCall(model: "small", identity: .init(team: "drain"), requestID: "drain-\(i)")
            call.catalogDeployments = ["large": ["east", "west"]]
            try plugin.route(call)
            XCTAssertEqual(call.model, "large")
            XCTAssertEqual(call.pinnedDeployment, "east")
        }
        var east = 0
        let draws = 2000
        for i in 0..<draws {
            let call = FakeCall(model: "large", requestID: "split-\(i)")
            call.catalogDeployments = ["large": ["east", "west"]]
            try plugin.route(call)
            let pinned = try XCTUnwrap(call.pinnedDeployment)
            XCTAssertTrue(["east", "west"].contains(pinned))
            if pinned == "east" { east += 1 }
        }
        // 3:1 → 1500 expected; the bounds are 10 standard deviations wide.
        XCTAssertTrue((1310...1690).contains(east), "east picked \(east) of \(draws)")
    }

    func testADeploymentTheModelLacksIsLoggedAndLeftToTheCore() throws {
        let plugin = try RoutingFixture.load(#"{"rules": [{"name": "typo", "deployments": {"eats": 1}}]}"#)
        let call = FakeCall(model: "large")
        call.catalogDeployments = ["large": ["east", "west"]]
        XCTAssertEqual(try plugin.route(call), .continue)
        XCTAssertNil(call.pinnedDeployment)
        XCTAssertEqual(call.attribute("routed_by_rule"), "typo")
        let warning = try XCTUnwrap(plugin.host.logs.first { $0.level == .warning })
        XCTAssertTrue(warning.message.contains("no deployment 'eats'"), warning.message)
        XCTAssertEqual(warning.requestID, call.requestID)
    }

    func testDescriptorIsFailClosedAndNeedsABI12() throws {
        let plugin = try RoutingFixture.load(#"{"rules": [{"model": "small"}]}"#)
        XCTAssertEqual(plugin.name, "routing")
        XCTAssertTrue(plugin.failClosed)
        XCTAssertEqual(plugin.descriptorABIMinor, 2)
        XCTAssertTrue(plugin.hasPreCall)
        XCTAssertThrowsError(try PluginUnderTest(libraryPath: RoutingFixture.libraryPath,
                                                 config: JSONValue.parse(#"{"rules": [{"model": "small"}]}"#),
                                                 hostMinor: 1)) { error in
            guard case PluginLoadError.refused = error else { return XCTFail("\(error)") }
        }
    }
}
