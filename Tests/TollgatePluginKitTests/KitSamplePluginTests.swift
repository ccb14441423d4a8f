import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// Drives libtollgate_kit_sample.so (a plugin built with the kit) through
/// the in-process loader and the fake host.
final class KitSamplePluginTests: XCTestCase {
    private func load(_ config: JSONValue = .null) throws -> PluginUnderTest {
        try PluginUnderTest(libraryPath: TestLibraries.kitSamplePath, config: config)
    }

    private func config(_ json: String) throws -> JSONValue { try JSONValue.parse(json) }

    func testDescriptorReflectsTheTypeAndInfo() throws {
        let plugin = try load()
        XCTAssertEqual(plugin.name, "kit-sample")
        XCTAssertEqual(plugin.version, "1.2.3")
        XCTAssertTrue(plugin.failClosed)
        XCTAssertFalse(plugin.unloadSafe, "a Swift plugin must never say unload-safe")
        XCTAssertTrue(plugin.hasPreCall)
        XCTAssertTrue(plugin.hasChunk)
        XCTAssertTrue(plugin.hasPostCall)
        XCTAssertEqual(plugin.host.logs.first?.message, "kit-sample created with 0 routes")
        XCTAssertEqual(plugin.host.metricDefinitions.map(\.name), ["kit_sample_post_calls_total", "kit_sample_pre_calls_total"])
    }

    func testEntryReturnsTheSameDescriptorAndRefusesAnotherMajorOrNewerMinor() throws {
        let plugin = try load()
        let symbol = try XCTUnwrap(plugin.symbol("tollgate_plugin_entry_v1"))
        let entry = unsafeBitCast(symbol, to: tollgate_type_plugin_entry_v1.self)
        let first = try XCTUnwrap(entry(1, 0))
        XCTAssertEqual(entry(1, 0), first)
        XCTAssertEqual(entry(1, 7), first, "a newer host minor is fine")
        XCTAssertNil(entry(2, 0))
        XCTAssertThrowsError(try PluginUnderTest(libraryPath: TestLibraries.kitSamplePath, hostMajor: 2)) { error in
            guard case PluginLoadError.refused = error else { return XCTFail("expected refused, got \(error)") }
        }
    }

    /// The sample needs only ABI 1.0, so a 1.0 host — whose table is
    /// shorter than the one the kit was compiled with — must be able to
    /// create it and run its hooks (append-only: readers check struct_size).
    func testAPluginNeedingOnlyMinorZeroRunsOnAnOlderHost() throws {
        for minor: UInt16 in [0, 1, 2] {
            let plugin = try PluginUnderTest(libraryPath: TestLibraries.kitSamplePath, config: .object(JSONObject()),
                                             hostMinor: minor)
            let result = try plugin.preCall(FakeCall(model: "small"))
            XCTAssertEqual(result.verdict, .continue, "host 1.\(minor)")
            // Before 1.3 a metric series records by its label values.
            XCTAssertEqual(plugin.host.metricValue("kit_sample_pre_calls_total"), 1, "host 1.\(minor)")
            XCTAssertTrue(plugin.host.resolvedSeries.isEmpty, "host 1.\(minor) has no metric_series")
        }
    }

    func testContinueRoutesCapsRedactsAndTags() throws {
        let plugin = try load(config(#"{"routes":{"large":"small"},"max_tokens_cap":500,"redact":["hunter2"]}"#))
        let call = FakeCall(model: "large", maxOutputTokens: 4000,
                            prompt: [("system", "be brief"), ("user", "my password is hunter2, ok?")],
                            headers: [("X-Feature", "search")])
        let pre = try plugin.preCall(call)
        XCTAssertEqual(pre.verdict, .continue)
        XCTAssertNil(pre.error)
        XCTAssertEqual(call.model, "small")
        XCTAssertEqual(call.modelRequested, "large")
        XCTAssertEqual(call.maxOutputTokens, 500)
        XCTAssertEqual(call.prompt.map(\.text), ["be brief", "my password is [REDACTED], ok?"])
        XCTAssertEqual(call.attribute("team"), "payments")
        XCTAssertEqual(call.attribute("feature"), "search")
        XCTAssertEqual(call.responseHeader("x-kit-sample"), "seen")
        try plugin.postCall(call)
    }

    func testRejectSetsTheErrorAndResponseHeader() throws {
        let plugin = try load()
        let call = FakeCall(headers: [("x-sample-reject", "1")])
        let pre = try plugin.preCall(call)
        XCTAssertEqual(pre.verdict, .reject)
        XCTAssertEqual(pre.error, FakeCall.ErrorDetails(status: 429, type: "rate_limit_error", code: "sample_limit",
                                                        message: "kit-sample says no"))
        XCTAssertEqual(call.responseHeader("Retry-After"), "7")
        // A plugin that rejected still entered: it is owed its post_call.
        XCTAssertEqual(plugin.host.callsAwaitingPostCall, 1)
        try plugin.postCall(call, outcome: "rejected", status: 429)
        XCTAssertEqual(plugin.host.callsAwaitingPostCall, 0)
        XCTAssertEqual(plugin.host.metricValue("kit_sample_post_calls_total", labels: ["rejected"]), 1)
    }

    func testRespondSetsTheSyntheticResponse() throws {
        let plugin = try load()
        let call = FakeCall(headers: [("x-sample-respond", "1")])
        let pre = try plugin.preCall(call)
        XCTAssertEqual(pre.verdict, .respond)
        XCTAssertEqual(pre.response, FakeCall.Response(status: 200, contentType: "application/json",
                                                       body: #"{"answer":"canned"}"#))
        try plugin.postCall(call, outcome: "responded")
    }

    func testAThrownErrorBecomesTheErrorVerdictAndIsLogged() throws {
        let plugin = try load()
        let call = FakeCall(headers: [("x-sample-throw", "1")], requestID: "req-throw")
        let pre = try plugin.preCall(call)
        XCTAssertEqual(pre.verdict, .error)
        let line = try XCTUnwrap(plugin.host.logs.last)
        XCTAssertEqual(line.level, .error)
        XCTAssertEqual(line.message, "preCall failed: asked to throw")
        XCTAssertEqual(line.requestID, "req-throw")
        try plugin.postCall(call)
    }

    func testCallStateIsCarriedToChunksAndPostCallThenReleased() throws {
        let plugin = try load()
        let liveStates = unsafeBitCast(try XCTUnwrap(plugin.symbol("tollgate_kit_sample_live_states")),
                                       to: (@convention(c) () -> Int).self)
        let before = liveStates()
        let call = FakeCall(model: "small", maxOutputTokens: 100, prompt: [("user", "hi")])
        try plugin.preCall(call)
        XCTAssertNotNil(call.callState)
        XCTAssertEqual(liveStates(), before + 1)
        try plugin.onChunk(call, text: "one")
        try plugin.onChunk(call, text: "two")
        XCTAssertEqual(liveStates(), before + 1, "chunks borrow the state")
        try plugin.postCall(call, usage: (in: 10, out: 20, cached: 0))
        XCTAssertEqual(liveStates(), before, "the kit releases the state right after postCall")
        XCTAssertNil(call.callState)
        let post = try XCTUnwrap(plugin.host.logs.last)
        XCTAssertTrue(post.message.hasSuffix("chunks=2"), post.message)
        XCTAssertEqual(post.requestID, "req-1")
    }

    func testStateIsReleasedWhenALaterPluginRejects() throws {
        let plugin = try load()
        let liveStates = unsafeBitCast(try XCTUnwrap(plugin.symbol("tollgate_kit_sample_live_states")),
                                       to: (@convention(c) () -> Int).self)
        let before = liveStates()
        let calls = (0..<5).map { FakeCall(requestID: "req-\($0)") }
        for call in calls { try plugin.preCall(call) }
        XCTAssertEqual(liveStates(), before + 5)
        XCTAssertEqual(plugin.host.callsAwaitingPostCall, 5)
        for call in calls { try plugin.postCall(call, outcome: "rejected", status: 403) }
        XCTAssertEqual(liveStates(), before)
        XCTAssertEqual(plugin.host.callsAwaitingPostCall, 0)
    }

    func testChunkReplaceDropAndAbort() throws {
        let plugin = try load()
        let call = FakeCall(stream: true)
        try plugin.preCall(call)
        let replaced = try plugin.onChunk(call, text: "foo fighters")
        XCTAssertEqual(replaced.verdict, .replace)
        XCTAssertEqual(replaced.text, "bar fighters")
        XCTAssertTrue(replaced.textReplaced)
        let untouched = try plugin.onChunk(call, text: "plain")
        XCTAssertEqual(untouched.verdict, .continue)
        XCTAssertFalse(untouched.textReplaced)
        XCTAssertEqual(try plugin.onChunk(call, text: "DROP me").verdict, .drop)
        let aborted = try plugin.onChunk(call, text: "please STOP")
        XCTAssertEqual(aborted.verdict, .abort)
        XCTAssertEqual(aborted.error?.type, "content_filter")
        XCTAssertEqual(aborted.error?.code, "stopped")
        try plugin.postCall(call, outcome: "aborted")
    }

    func testPostCallSeesUsageCostAndRaisesAlerts() throws {
        let plugin = try load()
        let call = FakeCall(model: "small", maxOutputTokens: 1000, prompt: [("user", "hello there")],
                            headers: [("x-sample-alert", "1")])
        try plugin.preCall(call)
        try plugin.postCall(call, usage: (in: 1_000_000, out: 1_000_000, cached: 0))
        // small: 0.40 + 1.60 USD per Mtok.
        let expectedCost: Int64 = 2_000_000_000
        let alert = try XCTUnwrap(plugin.host.alerts.first)
        XCTAssertEqual(alert.kind, "sample_alert")
        XCTAssertEqual(alert.severity, .warning)
        XCTAssertEqual(alert.subject, "team/payments")
        XCTAssertEqual(alert.dedupeKey, "sample:req-1")
        XCTAssertEqual(alert.details, .object(JSONObject([("cost_nanos", .int(expectedCost))])))
        // The reservation the plugin made in preCall is the shared estimate.
        let input = ReservationEstimate.promptTokensUpperBound(promptBytes: call.promptBytes, bodyBytes: call.bodyBytes,
                                                                segmentCount: 1)
        let reserved = FakeHost.cost(price: FakeHost.defaultCatalog["small"]!, tokensIn: input, tokensOut: 1000,
                                     tokensCached: 0)!
        XCTAssertTrue(plugin.host.logs.last!.message.hasPrefix("post: reserved=\(reserved) cost=\(expectedCost) "),
                      plugin.host.logs.last!.message)
        XCTAssertEqual(plugin.host.metricValue("kit_sample_post_calls_total", labels: ["success"]), 1)
    }

    func testCreateFailureSurfacesThePluginsMessage() throws {
        XCTAssertThrowsError(try load(config(#"{"max_tokens_cap":"lots"}"#))) { error in
            guard case PluginLoadError.createFailed(_, _, let message) = error else {
                return XCTFail("expected createFailed, got \(error)")
            }
            XCTAssertEqual(message, #"kit-sample: max_tokens_cap must be a positive integer, got "lots""#)
        }
        XCTAssertThrowsError(try load(.array([]))) { error in
            XCTAssertTrue("\(error)".contains("config must be an object"), "\(error)")
        }
    }

    func testDestroyCallsShutdownAndNoHookRunsAfter() throws {
        let plugin = try load()
        plugin.destroy()
        XCTAssertTrue(plugin.isDestroyed)
        XCTAssertEqual(plugin.host.logs.last?.message, "kit-sample shut down")
        XCTAssertThrowsError(try plugin.preCall(FakeCall()))
    }

    func testHarnessRefusesWhatTheHostNeverDoes() throws {
        let plugin = try load()
        let call = FakeCall()
        XCTAssertThrowsError(try plugin.postCall(call), "post_call without pre_call")
        XCTAssertThrowsError(try plugin.onChunk(call), "chunk without pre_call")
        try plugin.preCall(call)
        XCTAssertThrowsError(try plugin.preCall(call), "pre_call twice")
        try plugin.postCall(call)
        XCTAssertThrowsError(try plugin.postCall(call), "post_call twice")
    }

    func testConcurrentCallsAreIndependent() throws {
        let plugin = try load(config(#"{"routes":{"large":"small"}}"#))
        let calls = (0..<32).map { FakeCall(model: $0 % 2 == 0 ? "large" : "small", requestID: "req-\($0)") }
        DispatchQueue.concurrentPerform(iterations: calls.count) { i in
            XCTAssertEqual(try? plugin.preCall(calls[i]).verdict, .continue)
            _ = try? plugin.onChunk(calls[i], text: "foo")
            _ = try? plugin.postCall(calls[i])
        }
        XCTAssertTrue(calls.allSatisfy { $0.model == "small" && $0.postCallCount == 1 })
        XCTAssertEqual(plugin.host.callsAwaitingPostCall, 0)
        XCTAssertEqual(plugin.host.metricValue("kit_sample_post_calls_total", labels: ["success"]), 32)
        XCTAssertEqual(plugin.host.metricValue("kit_sample_pre_calls_total"), 32)
        // On a 1.3 host, the series resolved in init and the label set
        // post_call records with are handles, each resolved once.
        let resolved = plugin.host.resolvedSeries
        XCTAssertEqual(resolved.map(\.name), ["kit_sample_pre_calls_total", "kit_sample_post_calls_total"])
        XCTAssertEqual(resolved.last?.labels, ["success"])
    }
}
