import TollgatePluginKit
import XCTest

/// The kit's strict config reader: every refusal names the plugin's config,
/// the path, what was expected and what was found.
final class ConfigReaderTests: XCTestCase {
    private func json(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    /// Runs `read` over `text` as the plugin "demo" and returns the refusal.
    private func refusal(_ text: String, file: StaticString = #filePath, line: UInt = #line,
                         _ read: (inout ConfigReader) throws -> Void) -> String {
        do {
            var config = try ConfigReader(try json(text), plugin: "demo")
            try read(&config)
            try config.finish()
            XCTFail("expected a refusal of \(text)", file: file, line: line)
        } catch let error as PluginError {
            return error.message
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
        return ""
    }

    /// The budget plugin's shape, as an example schema.
    private func readBudgets(_ config: inout ConfigReader) throws {
        try config["budgets"].ifPresent?.objects { budget in
            _ = try budget["scope"].string()
            _ = try budget["amount"].money()
            _ = try budget["at_cap"].ifPresent?.oneOf(["reject", "allow"])
        }
    }

    // MARK: Unknown keys

    func testAnUnknownKeyIsRefusedWithASuggestionAndTheAllowedKeys() {
        XCTAssertEqual(refusal(#"{"budgetz": []}"#, readBudgets),
                       "demo config: unknown key 'budgetz'; did you mean 'budgets'? (allowed: budgets)")
        XCTAssertEqual(refusal(#"{"budgets": [{"scope": "a", "amount": "1", "at_cpa": "allow"}]}"#, readBudgets),
                       "demo config: budgets[0]: unknown key 'at_cpa'; did you mean 'at_cap'? (allowed: scope, amount, at_cap)")
    }

    func testAKeyFarFromEveryAllowedOneGetsNoSuggestion() {
        XCTAssertEqual(refusal(#"{"budgets": [], "colour": "red"}"#, readBudgets),
                       "demo config: unknown key 'colour' (allowed: budgets)")
        XCTAssertEqual(refusal(#"{"x": 1}"#) { _ in }, "demo config: unknown key 'x' (no keys are allowed here)")
    }

    func testATypoOfARequiredKeyIsNamedAsTheTypo() {
        // "amount" is missing because it is misspelt: the message says so,
        // not "amount is required".
        XCTAssertEqual(refusal(#"{"budgets": [{"scope": "a", "amout": "1"}]}"#, readBudgets),
                       "demo config: budgets[0]: unknown key 'amout'; did you mean 'amount'?")
    }

    func testAPluginRefusalPrefersATypoThatExplainsIt() {
        let read: (inout ConfigReader) throws -> Void = { config in
            let limits = [try config["rpm"].ifPresent?.int(in: 1...), try config["tpm"].ifPresent?.int(in: 1...)]
            guard limits.contains(where: { $0 != nil }) else { throw config.error("set at least one of rpm, tpm") }
        }
        XCTAssertEqual(refusal(#"{"rmp": 5}"#, read), "demo config: unknown key 'rmp'; did you mean 'rpm'?")
        XCTAssertEqual(refusal(#"{}"#, read), "demo config: set at least one of rpm, tpm")
    }

    func testANestedMappingIsFinishedWhenItsBodyReturns() {
        let message = refusal(#"{"match": {"team": "a", "teem": "b"}}"#) { config in
            try config["match"].object { match in _ = try match["team"].string() }
            XCTFail("the nested mapping must be refused before the parent goes on")
        }
        XCTAssertEqual(message, "demo config: match: unknown key 'teem'; did you mean 'team'? (allowed: team)")
    }

    // MARK: Types, required values, ranges

    func testAWrongTypeNamesThePathTheExpectationAndTheValue() {
        XCTAssertEqual(refusal(#"{"budgets": [{"scope": 7, "amount": "1"}]}"#, readBudgets),
                       "demo config: budgets[0].scope must be a non-empty string, got 7")
        XCTAssertEqual(refusal(#"{"budgets": {"scope": "a"}}"#, readBudgets),
                       #"demo config: budgets must be a list, got {"scope":"a"}"#)
        XCTAssertEqual(refusal(#"{"budgets": ["org/acme"]}"#, readBudgets),
                       #"demo config: budgets[0] must be a mapping, got "org/acme""#)
        XCTAssertEqual(refusal(#"{"on": "yes"}"#) { _ = try $0["on"].bool() },
                       #"demo config: on must be true or false, got "yes""#)
        XCTAssertEqual(refusal(#"{"on": null}"#) { _ = try $0["on"].ifPresent?.bool() },
                       "demo config: on must be true or false, got null", "an empty YAML value is not an absent one")
    }

    func testAMissingRequiredValueSaysWhatToWrite() {
        XCTAssertEqual(refusal(#"{"budgets": [{"scope": "org/acme"}]}"#, readBudgets),
                       #"demo config: budgets[0].amount is required (a USD decimal such as "800" or "0.50", at most 9 decimals, no sign or symbol)"#)
        XCTAssertEqual(refusal(#"{}"#) { _ = try $0["name"].string(expected: "the team's name") },
                       "demo config: name is required (the team's name)")
    }

    func testANestedPathIsWrittenAsInTheYAML() {
        let text = #"{"budgets": [{"scope": "a", "amount": "1"}, {"scope": "b", "amount": "2"}, {"scope": "c", "amount": "3", "at_cap": "never"}]}"#
        XCTAssertEqual(refusal(text, readBudgets), #"demo config: budgets[2].at_cap must be one of reject, allow, got "never""#)
        XCTAssertEqual(ConfigPath.root.description, "config")
        XCTAssertEqual(ConfigPath.root.appending("tags").appending("a.b").appending("values").appending(index: 0).description,
                       #"tags["a.b"].values[0]"#)
    }

    func testEnumValuesAreListedWithASuggestion() {
        enum Period: String, CaseIterable { case daily, weekly, monthly }
        XCTAssertEqual(refusal(#"{"period": "dialy"}"#) { _ = try $0["period"].oneOf(Period.self) },
                       #"demo config: period must be one of daily, weekly, monthly, got "dialy"; did you mean 'daily'?"#)
        XCTAssertEqual(refusal(#"{"period": "hourly"}"#) { _ = try $0["period"].oneOf(Period.self) },
                       #"demo config: period must be one of daily, weekly, monthly, got "hourly""#)
        XCTAssertEqual(refusal(#"{"period": 1}"#) { _ = try $0["period"].oneOf(Period.self) },
                       "demo config: period must be one of daily, weekly, monthly, got 1")
        XCTAssertEqual(refusal(#"{}"#) { _ = try $0["period"].oneOf(Period.self) },
                       "demo config: period is required (one of daily, weekly, monthly)")
    }

    func testIntegerRangesSayTheirBounds() {
        XCTAssertEqual(refusal(#"{"n": 0}"#) { _ = try $0["n"].int(in: 1...) }, "demo config: n must be a positive integer, got 0")
        XCTAssertEqual(refusal(#"{"n": -1}"#) { _ = try $0["n"].int64(in: 0...) }, "demo config: n must be an integer of 0 or more, got -1")
        XCTAssertEqual(refusal(#"{"n": 8}"#) { _ = try $0["n"].int(in: 1...7) }, "demo config: n must be an integer from 1 to 7, got 8")
        XCTAssertEqual(refusal(#"{"n": 2.5}"#) { _ = try $0["n"].int(in: 1...7) }, "demo config: n must be an integer from 1 to 7, got 2.5")
        XCTAssertEqual(refusal(#"{"n": "3"}"#) { _ = try $0["n"].int64(in: 2..., expected: "a count of at least 2") },
                       #"demo config: n must be a count of at least 2, got "3""#)
    }

    func testMoneyIsParsedExactlyFromTextOrANumber() throws {
        var config = try ConfigReader(try json(#"{"a": "0.1", "b": 800, "c": "0.000000001"}"#), plugin: "demo")
        XCTAssertEqual(try config["a"].money(), 100_000_000)
        XCTAssertEqual(try config["b"].money(), 800 * Money.nanosPerDollar)
        XCTAssertEqual(try config["c"].money(), 1)
        XCTAssertNoThrow(try config.finish())

        let phrase = ConfigField.moneyPhrase
        XCTAssertEqual(refusal(#"{"m": "$5"}"#) { _ = try $0["m"].money() }, #"demo config: m must be \#(phrase), got "$5""#)
        XCTAssertEqual(refusal(#"{"m": "1.0000000001"}"#) { _ = try $0["m"].money() },
                       #"demo config: m must be \#(phrase), got "1.0000000001"; at most 9 decimal places (nano-dollars) are allowed"#)
        XCTAssertEqual(refusal(#"{"m": -5}"#) { _ = try $0["m"].money() }, "demo config: m must be \(phrase), got -5")
    }

    // MARK: The whole block, lists and free-form mappings

    func testAnAbsentBlockReadsAsEmptyAndANonMappingIsRefused() throws {
        var empty = try ConfigReader(.null, plugin: "demo")
        XCTAssertNil(empty["anything"].ifPresent)
        XCTAssertNoThrow(try empty.finish())
        XCTAssertThrowsError(try ConfigReader(.array([.int(1)]), plugin: "demo")) { error in
            XCTAssertEqual((error as? PluginError)?.message, "demo config: config must be a mapping, got [1]")
        }
    }

    func testListsAndFreeFormMappingsGiveEachElementItsPath() throws {
        var config = try ConfigReader(try json(#"{"names": ["a", "b"], "weights": {"east": 3, "west": 1}, "one": "x"}"#), plugin: "demo")
        XCTAssertEqual(try config["names"].strings(), ["a", "b"])
        let weights = try config["weights"].entries()
        XCTAssertEqual(weights.map(\.key), ["east", "west"], "document order, and no key refused as unknown")
        XCTAssertEqual(weights.map(\.field.path.description), ["weights.east", "weights.west"])
        XCTAssertEqual(try weights.map { try $0.field.int(in: 0...10) }, [3, 1])
        XCTAssertEqual(try config["one"].oneOrMoreStrings(), ["x"])
        XCTAssertNoThrow(try config.finish())

        XCTAssertEqual(refusal(#"{"names": ["a", ""]}"#) { _ = try $0["names"].strings() },
                       #"demo config: names[1] must be a non-empty string, got """#)
        XCTAssertEqual(refusal(#"{"names": []}"#) { _ = try $0["names"].strings(allowEmpty: false) },
                       "demo config: names must be a non-empty list of strings, got []")
        XCTAssertEqual(refusal(#"{"team": []}"#) { _ = try $0["team"].oneOrMoreStrings() },
                       "demo config: team must be a string or a non-empty list of strings, got []")
        XCTAssertEqual(refusal(#"{"w": {}}"#) { _ = try $0["w"].entries(expected: "a mapping naming one deployment", allowEmpty: false) },
                       "demo config: w must be a mapping naming one deployment, got {}")
    }

    func testAPluginsOwnRuleIsReportedAtItsPath() {
        let message = refusal(#"{"rules": [{"model": "small"}, {"model": "lage"}]}"#) { config in
            try config["rules"].objects { rule in
                let field = rule["model"]
                let name = try field.string()
                guard name == "small" else { throw field.error("'\(name)' is not in the model catalog") }
            }
        }
        XCTAssertEqual(message, "demo config: rules[1].model: 'lage' is not in the model catalog")
        XCTAssertEqual(refusal(#"{"scope": "teams/x"}"#) { config in
            _ = try config["scope"].parse(expected: "org/ORG or team/ORG/TEAM") { $0.hasPrefix("team/") ? $0 : nil }
        }, #"demo config: scope must be org/ORG or team/ORG/TEAM, got "teams/x""#)
    }

    func testALongValueIsCutInTheMessage() {
        let long = String(repeating: "x", count: 200)
        let message = refusal(#"{"n": "\#(long)"}"#) { _ = try $0["n"].int(in: 1...) }
        XCTAssertTrue(message.hasSuffix("..."), message)
        XCTAssertLessThan(message.count, 160, message)
    }

    /// The example in docs/plugins.md ("Reading the config"), as written there.
    func testTheDocumentedExampleReads() throws {
        enum Period: String, CaseIterable { case daily, monthly }
        let json = try json(#"{"budgets": [{"scope": "team/acme/payments", "period": "daily", "amount": "800"}], "max_tokens": 4096}"#)

        var config = try ConfigReader(json, plugin: "my-budget")
        let maxTokens = try config["max_tokens"].ifPresent?.int(in: 1...) ?? 4096
        let budgets = try config["budgets"].objects { budget in
            (scope: try budget["scope"].parse(expected: "team/ORG/TEAM") { $0.hasPrefix("team/") ? $0 : nil },
             period: try budget["period"].oneOf(Period.self),
             nanos: try budget["amount"].money())
        }
        try config.finish()

        XCTAssertEqual(maxTokens, 4096)
        XCTAssertEqual(budgets.count, 1)
        XCTAssertEqual(budgets[0].scope, "team/acme/payments")
        XCTAssertEqual(budgets[0].period, .daily)
        XCTAssertEqual(budgets[0].nanos, 800 * Money.nanosPerDollar)
    }

    // MARK: Suggestions

    func testSuggestionsAllowOneTypoPerThreeLettersAndIgnoreCase() {
        XCTAssertEqual(NameSuggestion.closest(to: "modle", among: ["model", "match"]), "model", "a swap is one edit")
        XCTAssertEqual(NameSuggestion.closest(to: "Budgets", among: ["budgets"]), "budgets")
        XCTAssertEqual(NameSuggestion.closest(to: "on_mising", among: ["on_missing", "orgs"]), "on_missing")
        XCTAssertNil(NameSuggestion.closest(to: "zzzzzzzz", among: ["rules"]))
        XCTAssertNil(NameSuggestion.closest(to: "x", among: ["y"]), "replacing every letter is not a typo")
        XCTAssertEqual(NameSuggestion.clause(for: "teem", among: ["team"]), "; did you mean 'team'?")
        XCTAssertEqual(NameSuggestion.clause(for: "colour", among: ["team"]), "")
    }
}
