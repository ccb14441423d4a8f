import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The ratelimit plugin against the fake host's counter store, with its
/// clock moved by the test: exact burst and refill of the sliding minute,
/// tokens reserved then corrected, the 429 and its headers, scopes.
final class RateLimitPluginTests: RateLimitTestCase {
    func testDeclaresCountersNamedByScopeModelAndMetric() throws {
        let plugin = try load(#"""
        {"limits": [
          {"scope": "key/payments-prod", "rpm": 600, "tpm": 2000000},
          {"scope": "team/acme/payments", "rpm": 1200, "tpm": 4000000, "rpd": 100000},
          {"scope": "team/acme/payments", "model": "large", "tpm": 500000},
          {"scope": "key/*", "rpm": 60}
        ]}
        """#)
        XCTAssertTrue(plugin.failClosed)
        XCTAssertEqual(plugin.name, "ratelimit")
        let counters = plugin.host.counters.counters.filter { $0.name.hasPrefix("ratelimit:") }
        XCTAssertEqual(Set(counters.map(\.name)), [
            "ratelimit:key/payments-prod:rpm", "ratelimit:key/payments-prod:tpm",
            "ratelimit:team/acme/payments:rpm", "ratelimit:team/acme/payments:tpm", "ratelimit:team/acme/payments:rpd",
            "ratelimit:team/acme/payments:model/large:tpm",
        ], "exact rules are declared at once; key/* waits for the first key")
        let rpd = try XCTUnwrap(plugin.host.counters.counter(named: "ratelimit:team/acme/payments:rpd"))
        XCTAssertEqual(rpd.window, .day)
        XCTAssertTrue(rpd.persist, "a day cap survives a restart")
        let tpm = try XCTUnwrap(plugin.host.counters.counter(named: "ratelimit:key/payments-prod:tpm"))
        XCTAssertEqual(tpm.window, .minute)
        XCTAssertEqual(tpm.limit, 2_000_000)
    }

    // MARK: burst and refill (sliding 60 s in whole seconds)

    func testBurstOfExactlyTheLimitThenNothingUntilTheSecondLeavesTheWindow() throws {
        let plugin = try load(#"{"limits": [{"scope": "key/payments-prod", "rpm": 5}]}"#)
        at(plugin, t0)
        XCTAssertEqual(try passing(plugin, 8), 5, "a burst gets exactly the limit")
        at(plugin, t0 + 30)
        XCTAssertEqual(try passing(plugin, 1), 0)
        at(plugin, t0 + 59)
        XCTAssertEqual(try passing(plugin, 1), 0, "second t0 is still in the window ending at t0+59")
        at(plugin, t0 + 60)
        XCTAssertEqual(try passing(plugin, 8), 5, "all of it comes back when second t0 leaves the window")
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
    }

    func testRefillFollowsTheSecondsTheRequestsWereMadeIn() throws {
        let plugin = try load(#"{"limits": [{"scope": "key/payments-prod", "rpm": 10}]}"#)
        at(plugin, t0)
        XCTAssertEqual(try passing(plugin, 4), 4)
        at(plugin, t0 + 30)
        XCTAssertEqual(try passing(plugin, 9), 6)
        at(plugin, t0 + 60)
        XCTAssertEqual(try passing(plugin, 9), 4, "only the 4 of second t0 have left the window")
        at(plugin, t0 + 89)
        XCTAssertEqual(try passing(plugin, 1), 0)
        at(plugin, t0 + 90)
        XCTAssertEqual(try passing(plugin, 9), 6, "then the 6 of second t0+30")
    }

    // MARK: tokens: reserve the estimate, settle the real usage

    func testReservesTheKitEstimateAndSettlesRealTokens() throws {
        let plugin = try load(#"{"limits": [{"scope": "team/acme/payments", "rpm": 100, "tpm": 100000}]}"#)
        let call = request(plugin, maxTokens: 200, prompt: "Summarise the quarterly report")
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        let held = try XCTUnwrap(state(plugin, "ratelimit:team/acme/payments:tpm")).reserved
        XCTAssertEqual(held, estimate(call), "the same pessimistic estimate as the budget (ReservationEstimate)")
        XCTAssertGreaterThan(held, 200 + Int64("Summarise the quarterly report".utf8.count))
        XCTAssertEqual(state(plugin, "ratelimit:team/acme/payments:rpm")?.reserved, 1)
        try plugin.postCall(call, usage: (in: 10, out: 20, cached: 5))
        let tpm = try XCTUnwrap(state(plugin, "ratelimit:team/acme/payments:tpm"))
        XCTAssertEqual(tpm.spent, 35, "input (cached included) + output")
        XCTAssertEqual(tpm.reserved, 0)
        XCTAssertEqual(state(plugin, "ratelimit:team/acme/payments:rpm")?.spent, 1)
    }

    func testNothingCountsWhenTheRequestNeverReachedTheProvider() throws {
        let plugin = try load(#"{"limits": [{"scope": "key/payments-prod", "rpm": 2, "tpm": 100000}]}"#)
        for i in 0..<5 {
            let call = request(plugin, id: "blocked-\(i)")
            XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
            try plugin.postCall(call, outcome: "rejected", status: 403)  // a later plugin or the core said no
        }
        XCTAssertEqual(state(plugin, "ratelimit:key/payments-prod:rpm")?.spent, 0)
        XCTAssertEqual(state(plugin, "ratelimit:key/payments-prod:tpm")?.reserved, 0)
        XCTAssertEqual(plugin.host.counters.releasedReservations.count, 5)
        // An upstream error did reach the provider: it counts.
        let failed = request(plugin, id: "upstream-500")
        try plugin.preCall(failed)
        try plugin.postCall(failed, outcome: "upstream_error", status: 500)
        XCTAssertEqual(state(plugin, "ratelimit:key/payments-prod:rpm")?.spent, 1)
        XCTAssertEqual(state(plugin, "ratelimit:key/payments-prod:tpm")?.spent, 0)
    }

    // MARK: the 429

    func testInFlightReservationsAreRefusedWithRetryAfterOneSecond() throws {
        let first = FakeCall(maxOutputTokens: 100)
        let limit = estimate(first) + estimate(first) / 2  // one reservation fits, two do not
        let plugin = try load(#"{"limits": [{"scope": "key/test-key", "tpm": \#(limit)}]}"#)
        first.receivedAtMicros = plugin.host.counters.now * 1_000_000
        XCTAssertEqual(try plugin.preCall(first).verdict, .continue)

        let second = FakeCall(maxOutputTokens: 100, requestID: "req-2", receivedAtMicros: plugin.host.counters.now * 1_000_000)
        let refused = try plugin.preCall(second)
        XCTAssertEqual(refused.verdict, .reject)
        let error = try XCTUnwrap(refused.error)
        XCTAssertEqual(error.status, 429)
        XCTAssertEqual(error.type, "rate_limit_exceeded")
        XCTAssertEqual(error.code, "rate_limit_exceeded")
        XCTAssertEqual(error.message, "Rate limit reached for key test-key on tokens per minute (TPM): limit \(limit), used 0, "
            + "in flight \(estimate(first)); this request needs up to \(estimate(second)) tokens. "
            + "Retry after 1s: requests in flight hold the rest until they finish")
        XCTAssertEqual(second.responseHeader("retry-after"), "1")
        XCTAssertEqual(second.responseHeader("retry-after-ms"), "1000")
        XCTAssertEqual(second.responseHeader("x-tollgate-ratelimit"), "key/test-key:tpm")
        XCTAssertEqual(second.responseHeader("x-ratelimit-limit-tokens"), String(limit))
        XCTAssertEqual(second.responseHeader("x-ratelimit-remaining-tokens"), String(limit - estimate(first)))
        XCTAssertEqual(second.responseHeader("x-ratelimit-reset-tokens"), "1s")
        XCTAssertEqual(plugin.host.metricValue("tollgate_ratelimit_rejections_total", labels: ["key/test-key", "tpm"]), 1)
        try plugin.postCall(second, outcome: "rejected", status: 429)

        // The first settles far below its reservation: the retry fits.
        try plugin.postCall(first, usage: (in: 3, out: 16, cached: 0))
        let retry = FakeCall(maxOutputTokens: 100, requestID: "req-2-retry", receivedAtMicros: plugin.host.counters.now * 1_000_000)
        XCTAssertEqual(try plugin.preCall(retry).verdict, .continue)
        try plugin.postCall(retry, usage: (in: 3, out: 16, cached: 0))
        XCTAssertEqual(state(plugin, "ratelimit:key/test-key:tpm")?.spent, 38)
    }

    func testSpentThatFillsTheMinuteIsRefusedUntilItLeaves() throws {
        let plugin = try load(#"{"limits": [{"scope": "key/payments-prod", "rpm": 2}]}"#)
        at(plugin, t0)
        XCTAssertEqual(try passing(plugin, 2), 2)
        at(plugin, t0 + 10)
        let call = request(plugin, ms: 250)
        let result = try plugin.preCall(call)
        XCTAssertEqual(result.verdict, .reject)
        XCTAssertTrue(result.error?.message.hasPrefix(
            "Rate limit reached for key payments-prod on requests per minute (RPM): limit 2, used 2, in flight 0. Retry after ") == true,
            result.error?.message ?? "")
        // The fake store does not compute retry_after_ms for a minute (the
        // real one does, see RateWindowTests): the plugin falls back to the
        // bound by which everything spent now has left the window.
        let retry = try XCTUnwrap(call.responseHeader("retry-after-ms").flatMap(Int64.init))
        XCTAssertEqual(retry, 59_750)
        XCTAssertEqual(call.responseHeader("retry-after"), "60")
        XCTAssertEqual(call.responseHeader("x-ratelimit-remaining-requests"), "0")
        XCTAssertEqual(call.responseHeader("x-ratelimit-reset-requests"), "59.75s")
        try plugin.postCall(call, outcome: "rejected", status: 429)
    }

    func testARequestOverTheLimitOnItsOwnGetsNoRetryAfter() throws {
        let plugin = try load(#"{"limits": [{"scope": "key/payments-prod", "tpm": 500}]}"#)
        let call = request(plugin, maxTokens: 1000)
        let result = try plugin.preCall(call)
        XCTAssertEqual(result.verdict, .reject)
        XCTAssertTrue(result.error?.message.hasSuffix("more than the limit on its own: lower max_tokens or shorten the prompt") == true,
                      result.error?.message ?? "")
        XCTAssertNil(call.responseHeader("retry-after"), "waiting never helps")
        XCTAssertEqual(call.responseHeader("x-ratelimit-limit-tokens"), "500")
        try plugin.postCall(call, outcome: "rejected", status: 429)
        XCTAssertEqual(plugin.host.counters.openReservations, 0)
    }

    func testRequestsPerDayResetAtUTCMidnight() throws {
        let plugin = try load(#"{"limits": [{"scope": "team/acme/payments", "rpd": 3, "rpm": 100}]}"#)
        at(plugin, t0 + 3600)
        XCTAssertEqual(try passing(plugin, 5), 3)
        let call = request(plugin)
        let result = try plugin.preCall(call)
        XCTAssertTrue(result.error?.message.hasSuffix("Resets at 2026-01-02T00:00:00Z") == true, result.error?.message ?? "")
        XCTAssertEqual(call.responseHeader("retry-after"), String(86_400 - 3600))
        XCTAssertEqual(call.responseHeader("x-tollgate-ratelimit"), "team/acme/payments:rpd")
        XCTAssertEqual(call.responseHeader("x-ratelimit-reset-requests"), "23h0m0s")
        try plugin.postCall(call, outcome: "rejected", status: 429)
        at(plugin, t0 + 86_400)
        XCTAssertEqual(try passing(plugin, 5), 3)
    }

    // MARK: headers on success

    func testSuccessCarriesTheTightestLimitOfEachKind() throws {
        let plugin = try load(#"""
        {"limits": [{"scope": "key/payments-prod", "rpm": 10, "tpm": 100000},
                    {"scope": "team/acme/payments", "rpm": 3, "tpm": 900000}]}
        """#)
        let call = request(plugin)
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertEqual(call.responseHeader("x-ratelimit-limit-requests"), "3")
        XCTAssertEqual(call.responseHeader("x-ratelimit-remaining-requests"), "2")
        XCTAssertEqual(call.responseHeader("x-ratelimit-reset-requests"), "1m0s")
        XCTAssertEqual(call.responseHeader("x-ratelimit-limit-tokens"), "100000")
        XCTAssertEqual(call.responseHeader("x-ratelimit-remaining-tokens"), String(100_000 - estimate(call)))
        XCTAssertEqual(call.responseHeader("x-ratelimit-reset-tokens"), "1m0s")
        XCTAssertNil(call.responseHeader("retry-after"))
        try plugin.postCall(call)
    }

    func testNoLimitOnThePathMeansNoHeadersAndNoCounters() throws {
        let plugin = try load(#"{"limits": [{"scope": "team/acme/search", "rpm": 1}]}"#)
        let call = request(plugin)
        XCTAssertEqual(try plugin.preCall(call).verdict, .continue)
        XCTAssertNil(call.responseHeader("x-ratelimit-limit-requests"))
        try plugin.postCall(call)
        XCTAssertEqual(plugin.host.counters.settledReservations.count, 0)
    }

    // MARK: scopes

    func testKeyWildcardCountsEachKeyAndAnExactRuleOverridesIt() throws {
        let plugin = try load(#"""
        {"limits": [{"scope": "key/*", "rpm": 2, "tpm": 50000}, {"scope": "key/vip", "rpm": 5}]}
        """#)
        XCTAssertEqual(try passing(plugin, 4, key: "alpha"), 2)
        XCTAssertEqual(try passing(plugin, 4, key: "beta"), 2, "a counter per key")
        XCTAssertEqual(try passing(plugin, 8, key: "vip"), 5, "key/vip's rpm replaces key/*'s")
        XCTAssertEqual(state(plugin, "ratelimit:key/vip:rpm")?.limit, 5)
        XCTAssertEqual(state(plugin, "ratelimit:key/vip:tpm")?.limit, 50000, "tpm still comes from key/*")
        XCTAssertEqual(state(plugin, "ratelimit:key/alpha:rpm")?.spent, 2)
    }

    func testTeamTimesModel() throws {
        let plugin = try load(#"""
        {"limits": [{"scope": "team/acme/payments", "model": "large", "rpm": 1},
                    {"scope": "team/*", "model": "*", "rpm": 3}]}
        """#)
        XCTAssertEqual(try passing(plugin, 3, model: "large"), 1, "team/acme/payments on large: 1 a minute")
        XCTAssertEqual(try passing(plugin, 5, model: "small"), 3, "each model of each team: 3")
        XCTAssertEqual(try send(plugin, request(plugin, team: "search", model: "large")), .continue, "another team")
        XCTAssertEqual(try send(plugin, request(plugin, model: "no-such-model")), .continue)
        let names = Set(plugin.host.counters.counters.map(\.name))
        XCTAssertEqual(names, ["ratelimit:team/acme/payments:model/large:rpm", "ratelimit:team/acme/payments:model/small:rpm",
                               "ratelimit:team/acme/search:model/large:rpm"],
                       "no counter for a model outside the catalog (the core refuses it anyway)")
    }

    func testEveryLimitOnThePathIsReservedAllOrNothing() throws {
        let plugin = try load(#"""
        {"limits": [{"scope": "key/payments-prod", "rpm": 100}, {"scope": "org/acme", "rpm": 1}]}
        """#)
        XCTAssertEqual(try passing(plugin, 3), 1)
        XCTAssertEqual(state(plugin, "ratelimit:key/payments-prod:rpm")?.spent, 1, "the refused requests took nothing from the key")
        XCTAssertEqual(state(plugin, "ratelimit:key/payments-prod:rpm")?.reserved, 0)
    }
}
