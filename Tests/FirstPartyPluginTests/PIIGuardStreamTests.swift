import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// onChunk: restoring placeholders and scanning answers across chunk
/// boundaries, through the plugin's carries.
final class PIIGuardStreamTests: XCTestCase {
    let metric = PIIGuardFixture.metric

    /// A call whose prompt had `a@example.com` redacted to [EMAIL_1].
    private func redactedCall(_ plugin: PluginUnderTest, stream: Bool = true) throws -> FakeCall {
        let call = FakeCall(stream: stream, prompt: [("user", "Write to a@example.com and b@example.com")])
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.prompt[0].text, "Write to [EMAIL_1] and [EMAIL_2]")
        return call
    }

    func testRestoresAPlaceholderSplitAtEveryPosition() throws {
        // Restorer alone, then chained behind the output scanner's carry.
        for config in [restoreOnly, PIIGuardFixture.redactAll] {
            try restoresAtEveryPosition(try PIIGuardFixture.load(config))
        }
    }

    private func restoresAtEveryPosition(_ plugin: PluginUnderTest) throws {
        let answer = "Sure, I wrote to [EMAIL_1] and cc [EMAIL_2]; [EMAIL_3] and [NOTE_1] stay."
        let expected = "Sure, I wrote to a@example.com and cc b@example.com; [EMAIL_3] and [NOTE_1] stay."
        for cut in 0...answer.utf8.count {
            let call = try redactedCall(plugin)
            let out = try PIIGuardFixture.stream(plugin, call, PIIGuardFixture.split(answer, at: cut))
            XCTAssertEqual(out, expected, "split at \(cut)")
            try plugin.postCall(call)
        }
        // One character per event.
        let call = try redactedCall(plugin)
        XCTAssertEqual(try PIIGuardFixture.stream(plugin, call, answer.map(String.init)), expected)
        try plugin.postCall(call)
    }

    /// Restoring only (no output scanning, which holds back more).
    private let restoreOnly = #"{"restore": true, "scan_output": false, "rules": [{"detect": "email", "action": "redact"}]}"#

    func testAHeldPrefixIsSentWhenItTurnsOutNotToBeAPlaceholder() throws {
        let plugin = try PIIGuardFixture.load(restoreOnly)
        let call = try redactedCall(plugin)
        let first = try plugin.onChunk(call, text: "see [EMAIL_")
        XCTAssertEqual(first.text, "see ", "a possible placeholder start is held")
        XCTAssertEqual(first.verdict, .replace)
        XCTAssertEqual(try plugin.onChunk(call, text: "x] ok").text, "[EMAIL_x] ok")
        let held = try plugin.onChunk(call, text: "end [EM")
        XCTAssertEqual(held.text, "end ")
        // The end of the text flushes the carry on the next non-text event.
        let flushed = try plugin.onChunk(call, text: "", raw: #"{"type":"content_block_stop","index":0}"#, kind: .other)
        XCTAssertEqual(flushed.text, "[EM")
        XCTAssertEqual(flushed.verdict, .replace)
        try plugin.postCall(call)
    }

    func testPingsDoNotFlushTheCarry() throws {
        let plugin = try PIIGuardFixture.load(restoreOnly)
        let call = try redactedCall(plugin)
        XCTAssertEqual(try plugin.onChunk(call, text: "to [EMA").text, "to ")
        let ping = try plugin.onChunk(call, text: "", raw: #"{"type": "ping"}"#, kind: .other)
        XCTAssertEqual(ping.verdict, .continue)
        XCTAssertEqual(ping.text, "")
        XCTAssertEqual(try plugin.onChunk(call, text: "IL_2] now").text, "b@example.com now")
        try plugin.postCall(call)
    }

    func testNonStreamBodyIsRestoredWhole() throws {
        let plugin = try PIIGuardFixture.load(PIIGuardFixture.redactAll)
        let call = try redactedCall(plugin, stream: false)
        let result = try plugin.onChunk(call, text: "Mail [EMAIL_2], not [EMAIL_1", kind: .body)
        XCTAssertEqual(result.verdict, .replace)
        XCTAssertEqual(result.text, "Mail b@example.com, not [EMAIL_1")
        try plugin.postCall(call)
    }

    func testWithoutRestoreThePlaceholdersStay() throws {
        let plugin = try PIIGuardFixture.load(#"{"rules": [{"detect": "email", "action": "redact"}], "scan_output": false}"#)
        let call = try redactedCall(plugin)
        XCTAssertNil(call.callState, "nothing to do on the answer: no per-request state")
        let result = try plugin.onChunk(call, text: "Hi [EMAIL_1]")
        XCTAssertEqual(result.verdict, .continue)
        XCTAssertEqual(result.text, "Hi [EMAIL_1]")
        try plugin.postCall(call)
    }

    func testRestoredValuesAreNotCountedAsOutputFindings() throws {
        let plugin = try PIIGuardFixture.load(PIIGuardFixture.redactAll)
        let call = try redactedCall(plugin)
        let out = try PIIGuardFixture.stream(plugin, call, ["Dear [EMAIL_1], your friend ", "c@example.com says hi"])
        XCTAssertEqual(out, "Dear a@example.com, your friend [EMAIL_REDACTED] says hi")
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["email", "redact", "output"]), 1)
        try plugin.postCall(call)
    }

    func testOutputValueSplitAtEveryPositionIsMaskedAndCountedOnce() throws {
        let plugin = try PIIGuardFixture.load(#"""
            {"rules": [{"detect": "card", "action": "redact"}, {"detect": "phone", "action": "log"},
                       {"detect": "secret", "action": "block"}]}
            """#)
        let answer = "Card 4111 1111 1111 1111 on file; call +44 20 7946 0958 or use key sk-proj-4fJ9kLm2Qx7Rt1Vb8Nc3Hd6Yw0Zp5Ae now."
        let expected = "Card [CARD_REDACTED] on file; call +44 20 7946 0958 or use key [SECRET_REDACTED] now."
        var calls = 0
        for cut in 0...answer.utf8.count {
            let call = try PIIGuardFixture.streamCall(plugin)
            XCTAssertEqual(try PIIGuardFixture.stream(plugin, call, PIIGuardFixture.split(answer, at: cut)), expected,
                           "split at \(cut)")
            try plugin.postCall(call)
            calls += 1
        }
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["card", "redact", "output"]), Double(calls))
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["phone", "log", "output"]), Double(calls))
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["secret", "block", "output"]), Double(calls))
    }

    func testAPEMKeyInTheAnswerIsMaskedAndItsBodyDropped() throws {
        let plugin = try PIIGuardFixture.load(#"{"rules": [{"detect": "secret", "action": "redact"}]}"#)
        let pieces = ["Here:\n-----BEGIN RSA PRIV", "ATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi\n",
                      String(repeating: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n", count: 300),
                      "Z8sVnT4kLm2Qx7Rt1Vb8Nc3Hd6Yw0Zp5AeQ==\n-----END RSA PRI", "VATE KEY-----\nDone."]
        let call = try PIIGuardFixture.streamCall(plugin)
        var out = ""
        var longest = 0
        for piece in pieces {
            let result = try plugin.onChunk(call, text: piece)
            out += result.text
            longest = max(longest, result.text.utf8.count)
        }
        out += try plugin.onChunk(call, text: "", kind: .end).text
        XCTAssertEqual(out, "Here:\n[SECRET_REDACTED]\nDone.")
        XCTAssertEqual(plugin.host.metricValue(metric, labels: ["secret", "redact", "output"]), 1)
        try plugin.postCall(call)
    }

    func testTheCarryIsBounded() throws {
        let plugin = try PIIGuardFixture.load(PIIGuardFixture.redactAll)
        let call = try PIIGuardFixture.streamCall(plugin)
        let word = String(repeating: "a", count: 20_000)
        let first = try plugin.onChunk(call, text: word)
        XCTAssertGreaterThanOrEqual(first.text.utf8.count, 20_000 - 4096, "at most 4 KB is held back")
        let second = try plugin.onChunk(call, text: "b")
        XCTAssertEqual((first.text + second.text + (try plugin.onChunk(call, text: "", kind: .end).text)), word + "b")
        try plugin.postCall(call)
    }

    func testAnswersWithoutFindingsComeBackUnchanged() throws {
        let plugin = try PIIGuardFixture.load(PIIGuardFixture.redactAll)
        let answer = "The build 2024-01-15 10:30:00 passed on v1.2.3; order 1234567890 ships for $1,299.99."
        for cut in stride(from: 0, through: answer.utf8.count, by: 7) {
            let call = try PIIGuardFixture.streamCall(plugin)
            XCTAssertEqual(try PIIGuardFixture.stream(plugin, call, PIIGuardFixture.split(answer, at: cut)), answer)
            try plugin.postCall(call)
        }
        XCTAssertNil(plugin.host.metricRecords.first { $0.labels.last == "output" })
    }
}
