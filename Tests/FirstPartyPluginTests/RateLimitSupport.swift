import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// Loading the built ratelimit plugin into the fake host, and requests at
/// a time the test sets (the fake counter store's clock and the call's
/// received-at time move together).
class RateLimitTestCase: XCTestCase {
    static var libraryPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while url.pathExtension == "xctest" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("libtollgate_ratelimit.so").path
    }

    /// 2026-01-01T00:00:00Z, the fake host's default clock.
    let t0: Int64 = 1_767_225_600

    func load(_ config: String) throws -> PluginUnderTest {
        try PluginUnderTest(libraryPath: Self.libraryPath, config: JSONValue.parse(config))
    }

    /// Moves the fake store's clock to `second`; later `request`s are received then.
    func at(_ plugin: PluginUnderTest, _ second: Int64) {
        plugin.host.counters.now = second
    }

    func request(_ plugin: PluginUnderTest, key: String = "payments-prod", team: String = "payments", model: String = "small",
                 maxTokens: Int64? = 50, prompt: String = "Hello", ms: Int64 = 0, id: String = "req") -> FakeCall {
        FakeCall(model: model, maxOutputTokens: maxTokens, prompt: [("user", prompt)],
                 identity: .init(keyID: key, org: "acme", team: team), requestID: id,
                 receivedAtMicros: (plugin.host.counters.now * 1000 + ms) * 1000)
    }

    /// pre_call then, if it continued, post_call with `usage`; returns the
    /// pre_call verdict (post_call runs either way, as in the gateway).
    @discardableResult
    func send(_ plugin: PluginUnderTest, _ call: FakeCall, usage: (Int64, Int64, Int64) = (10, 16, 0)) throws -> PreCallVerdict? {
        let verdict = try plugin.preCall(call).verdict
        if verdict == .continue {
            try plugin.postCall(call, usage: (in: usage.0, out: usage.1, cached: usage.2))
        } else {
            try plugin.postCall(call, outcome: "rejected", status: 429)
        }
        return verdict
    }

    /// How many of `count` requests (each settled at once) get through.
    func passing(_ plugin: PluginUnderTest, _ count: Int, key: String = "payments-prod", model: String = "small") throws -> Int {
        var passed = 0
        for i in 0..<count where try send(plugin, request(plugin, key: key, model: model, id: "r\(i)")) == .continue { passed += 1 }
        return passed
    }

    func state(_ plugin: PluginUnderTest, _ name: String) -> CounterState? { plugin.host.counters.state(named: name) }

    /// The token estimate the plugin kit's ReservationEstimate gives `call`.
    func estimate(_ call: FakeCall) -> Int64 {
        let input = ReservationEstimate.promptTokensUpperBound(promptBytes: call.promptBytes, bodyBytes: call.bodyBytes,
                                                               segmentCount: Int64(call.prompt.count))
        let output = ReservationEstimate.outputTokensUpperBound(maxOutputTokens: call.maxOutputTokens, catalogMaxOutput: nil)
        return input + output
    }
}
