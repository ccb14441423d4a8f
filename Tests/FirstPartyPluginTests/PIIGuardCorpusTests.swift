import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The corpus in Fixtures/pii through the built plugin: every positive in
/// several sentences, in prompts (redaction placeholders show what was
/// found where) and in streamed answers split at every position. Prints
/// the measured precision and recall (bench/pii/corpus.sh records them).
final class PIIGuardCorpusTests: XCTestCase {
    /// The prompt after preCall with every category redacted.
    private func redacted(_ plugin: PluginUnderTest, _ text: String) throws -> String {
        let call = FakeCall(prompt: [("user", text)])
        try plugin.preCall(call)
        try plugin.postCall(call)
        return call.prompt[0].text
    }

    private static let placeholder = try! NSRegularExpression(pattern: #"\[([A-Z]+)_\d+\]"#)

    private func placeholders(in text: String) -> [String] {
        Self.placeholder.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
            String(text[Range($0.range(at: 1), in: text)!]).lowercased()
        }
    }

    func testPrecisionAndRecallOnTheCorpus() throws {
        let plugin = try PIIGuardFixture.load(PIIGuardFixture.redactAll)
        var truePositives = 0, falsePositives = 0, falseNegatives = 0
        for positive in try PIIGuardFixture.positives() {
            for context in PIIGuardFixture.contexts {
                let text = context.replacingOccurrences(of: "VALUE", with: positive.value)
                let expected = context.replacingOccurrences(of: "VALUE", with: "[\(positive.category.uppercased())_1]")
                let got = try redacted(plugin, text)
                if got == expected {
                    truePositives += 1
                    XCTAssertFalse(positive.knownMiss, "marked as a known miss but found: \(positive.category) in \(text.debugDescription); drop the '?'")
                    continue
                }
                falseNegatives += 1
                falsePositives += placeholders(in: got).count
                if !positive.knownMiss {
                    XCTFail("\(positive.category) not found exactly in \(text.debugDescription): got \(got.debugDescription)")
                }
            }
        }
        var negativesWithFindings = 0
        for negative in try PIIGuardFixture.negatives() {
            let got = try redacted(plugin, negative.text)
            let found = got == negative.text ? 0 : max(1, placeholders(in: got).count)
            falsePositives += found
            if found > 0 { negativesWithFindings += 1 }
            if found > 0, !negative.knownFalsePositive {
                XCTFail("false positive in \(negative.text.debugDescription): \(got.debugDescription)")
            }
            if found == 0, negative.knownFalsePositive {
                XCTFail("marked as a known false positive but clean: \(negative.text.debugDescription); drop the '?'")
            }
        }
        let precision = Double(truePositives) / Double(max(1, truePositives + falsePositives))
        let recall = Double(truePositives) / Double(max(1, truePositives + falseNegatives))
        let line = "PII corpus: positives=\(truePositives + falseNegatives) found=\(truePositives) missed=\(falseNegatives) "
            + "false_positives=\(falsePositives) (negative texts flagged: \(negativesWithFindings) of \(try PIIGuardFixture.negatives().count)) "
            + "precision=\(String(format: "%.4f", precision)) recall=\(String(format: "%.4f", recall))"
        print(line)
        XCTAssertGreaterThanOrEqual(precision, 0.95, line)
        XCTAssertGreaterThanOrEqual(recall, 0.90, line)
    }

    /// Each positive, in an answer, split at every byte: masked exactly as
    /// when the whole answer is scanned, and counted exactly once.
    func testEveryPositiveSplitAtEveryPositionInAnAnswer() throws {
        let plugin = try PIIGuardFixture.load(PIIGuardFixture.redactAll)
        var expectedCount = 0
        for positive in try PIIGuardFixture.positives() where !positive.knownMiss {
            let answer = "Sure - the value is \(positive.value), as you asked."
            let expected = "Sure - the value is [\(positive.category.uppercased())_REDACTED], as you asked."
            for cut in 0...answer.utf8.count {
                let call = try PIIGuardFixture.streamCall(plugin)
                let out = try PIIGuardFixture.stream(plugin, call, PIIGuardFixture.split(answer, at: cut))
                XCTAssertEqual(out, expected, "\(positive.category) split at \(cut)")
                try plugin.postCall(call)
                expectedCount += 1
            }
        }
        let counted = PIICategoryNames.all.reduce(0.0) {
            $0 + (plugin.host.metricValue(PIIGuardFixture.metric, labels: [$1, "redact", "output"]) ?? 0)
        }
        XCTAssertEqual(counted, Double(expectedCount), "each value counted once per answer")
    }

    /// Hard negatives in answers, split at every byte: nothing changes,
    /// nothing is counted.
    func testEveryNegativeSplitAtEveryPositionInAnAnswerStaysClean() throws {
        let plugin = try PIIGuardFixture.load(PIIGuardFixture.redactAll)
        for negative in try PIIGuardFixture.negatives() where !negative.knownFalsePositive {
            for cut in 0...negative.text.utf8.count {
                let call = try PIIGuardFixture.streamCall(plugin)
                XCTAssertEqual(try PIIGuardFixture.stream(plugin, call, PIIGuardFixture.split(negative.text, at: cut)),
                               negative.text, "split at \(cut)")
                try plugin.postCall(call)
            }
        }
        XCTAssertNil(plugin.host.metricRecords.first { $0.labels.last == "output" })
    }

    /// Each positive's placeholder in an answer, split at every byte, comes
    /// back as the original value.
    func testEveryPlaceholderSplitAtEveryPositionIsRestored() throws {
        // Output scanning off: its hold would hide the restorer's own carry.
        let plugin = try PIIGuardFixture.load(#"{"restore": true, "scan_output": false, "rules": [{"detect": "*", "action": "redact"}]}"#)
        for positive in try PIIGuardFixture.positives() where !positive.knownMiss {
            let placeholder = "[\(positive.category.uppercased())_1]"
            let answer = "Noted: \(placeholder)."
            for cut in 0...answer.utf8.count {
                let call = FakeCall(stream: true, prompt: [("user", "Remember \(positive.value) please")])
                try plugin.preCall(call)
                XCTAssertEqual(call.prompt[0].text, "Remember \(placeholder) please")
                XCTAssertEqual(try PIIGuardFixture.stream(plugin, call, PIIGuardFixture.split(answer, at: cut)),
                               "Noted: \(positive.value).", "\(positive.category) split at \(cut)")
                try plugin.postCall(call)
            }
        }
    }
}

enum PIICategoryNames {
    static let all = ["email", "phone", "card", "ssn", "iban", "ip", "secret"]
}
