import Foundation
import TollgatePluginKit
import TollgatePluginTesting
import XCTest

/// The anomaly plugin in-process: 7 days of synthetic history, then day 8.
final class AnomalyTests: XCTestCase {
    typealias F = AnomalyFixture
    let dollar = AnomalyFixture.dollar

    func testASpikeOnDayEightRaisesExactlyOneAlertWithTheNumbers() throws {
        // The projection would warn at 09:00 already (see its own test).
        let plugin = try F.load(#"{"factor": 3, "min_daily_spend": "5", "projection_hours": 0}"#)
        try F.steadyWeek(plugin, perDay: 10 * dollar)
        XCTAssertEqual(plugin.host.alerts, [], "a steady week raises nothing")

        try F.spend(plugin, 20 * dollar, at: F.time(day: 8, hour: 9))  // $20: below 3x
        XCTAssertEqual(plugin.host.alerts, [])
        try F.spend(plugin, 11 * dollar, at: F.time(day: 8, hour: 18))  // $31 >= $30
        let alerts = plugin.host.alerts
        XCTAssertEqual(alerts.count, 1)
        let alert = try XCTUnwrap(alerts.first)
        XCTAssertEqual(alert.kind, "spend_spike")
        XCTAssertEqual(alert.severity, .warning)
        XCTAssertEqual(alert.subject, "team/acme/payments")
        XCTAssertEqual(alert.dedupeKey, "spend_spike:team/acme/payments:\(F.date(day: 8))")
        XCTAssertTrue(alert.message.contains("$31.00"), alert.message)
        XCTAssertTrue(alert.message.contains("$10.00/day"), alert.message)
        XCTAssertTrue(alert.message.contains("3x"), alert.message)
        XCTAssertEqual(alert.details?["today_nanos"], .int(31 * dollar))
        XCTAssertEqual(alert.details?["baseline_nanos_per_day"], .int(10 * dollar))
        XCTAssertEqual(alert.details?["baseline_days"], .int(7))
        XCTAssertEqual(alert.details?["factor"], .number("3"))
    }

    func testAnOrdinaryDayRaisesNothingWithTheProjectionOn() throws {
        let plugin = try F.load(#"{"factor": 3, "min_daily_spend": "5", "projection_hours": 3}"#)
        try F.steadyWeek(plugin, perDay: 10 * dollar, days: 1...8)
        try F.steadyWeek(plugin, perDay: 12 * dollar, days: 9...9)  // a busier day, not a spike
        XCTAssertEqual(plugin.host.alerts, [])
    }

    func testNoSpikeNoAlert() throws {
        let plugin = try F.load(#"{"factor": 3, "min_daily_spend": "5", "projection_hours": 0}"#)
        try F.steadyWeek(plugin, perDay: 10 * dollar)
        for hour in 0..<24 { try F.spend(plugin, dollar, at: F.time(day: 8, hour: hour)) }  // $24 < $30
        XCTAssertEqual(plugin.host.alerts, [])
    }

    func testASecondSpikeTheSameDayIsNotRaisedAgainButTheNextDayIs() throws {
        let plugin = try F.load(#"{"factor": 3, "min_daily_spend": "5", "projection_hours": 0}"#)
        try F.steadyWeek(plugin, perDay: 10 * dollar)
        try F.spend(plugin, 40 * dollar, at: F.time(day: 8, hour: 10))
        try F.spend(plugin, 40 * dollar, at: F.time(day: 8, hour: 11))
        try F.spend(plugin, 90 * dollar, at: F.time(day: 8, hour: 20))
        XCTAssertEqual(plugin.host.alerts.map(\.dedupeKey), ["spend_spike:team/acme/payments:\(F.date(day: 8))"])
        // Day 9: the baseline now holds day 8's $170, the spike is bigger still.
        try F.spend(plugin, 200 * dollar, at: F.time(day: 9, hour: 10))
        XCTAssertEqual(plugin.host.alerts.map(\.dedupeKey), ["spend_spike:team/acme/payments:\(F.date(day: 8))",
                                                             "spend_spike:team/acme/payments:\(F.date(day: 9))"])
    }

    func testALateCallLandingInABaselineDayCountsForTheNextCallsOfTheHour() throws {
        let plugin = try F.load(#"{"factor": 3, "min_daily_spend": "5", "projection_hours": 0}"#)
        try F.steadyWeek(plugin, perDay: 10 * dollar)
        try F.spend(plugin, 20 * dollar, at: F.time(day: 8, hour: 9))  // baseline $70/7 days: below $30
        // A call received just before midnight finishes late: day 7 is now
        // $29 (no spike of its own), the baseline $89/7 days, the threshold
        // $38.14.
        try F.spend(plugin, 19 * dollar, at: F.time(day: 7, hour: 23, minute: 59))
        try F.spend(plugin, 15 * dollar, at: F.time(day: 8, hour: 9, minute: 30))  // $35
        XCTAssertEqual(plugin.host.alerts, [])
        try F.spend(plugin, 5 * dollar, at: F.time(day: 8, hour: 9, minute: 40))  // $40
        XCTAssertEqual(plugin.host.alerts.map(\.kind), ["spend_spike"])
        XCTAssertEqual(plugin.host.alerts.first?.details?["baseline_nanos_per_day"], .int(89 * dollar / 7))
    }

    func testTwiceTheFactorIsCritical() throws {
        let plugin = try F.load(#"{"factor": 2.5, "min_daily_spend": "1", "projection_hours": 0}"#)
        try F.steadyWeek(plugin, perDay: 4 * dollar)
        try F.spend(plugin, 20 * dollar, at: F.time(day: 8, hour: 12))  // 5x = 2 x 2.5x
        XCTAssertEqual(plugin.host.alerts.map(\.severity), [.critical])
        XCTAssertEqual(plugin.host.alerts.first?.details?["factor"], .number("2.5"))
    }

    func testColdStartRaisesNothingUntilMinHistoryDays() throws {
        let plugin = try F.load(#"{"factor": 3, "min_daily_spend": "1", "min_history_days": 3, "projection_hours": 0}"#)
        try F.spend(plugin, 1 * dollar, at: F.time(day: 1))
        try F.spend(plugin, 1 * dollar, at: F.time(day: 2))
        try F.spend(plugin, 100 * dollar, at: F.time(day: 3))  // 2 days of history: cold start
        XCTAssertEqual(plugin.host.alerts, [])
        // Day 4 has 3 complete days behind it (days 1-3, baseline $34/day).
        try F.spend(plugin, 101 * dollar, at: F.time(day: 4))
        XCTAssertEqual(plugin.host.alerts, [])
        try F.spend(plugin, 1 * dollar, at: F.time(day: 4, hour: 13))  // $102 = 3 x $34
        XCTAssertEqual(plugin.host.alerts.map(\.kind), ["spend_spike"])
        XCTAssertEqual(plugin.host.alerts.first?.details?["baseline_days"], .int(3))
    }

    func testTinyTeamsBelowMinDailySpendPageNobody() throws {
        let plugin = try F.load(#"{"factor": 3, "min_daily_spend": "5"}"#)
        try F.steadyWeek(plugin, perDay: 400_000_000)  // $0.40/day
        try F.spend(plugin, 1 * dollar, at: F.time(day: 8, hour: 21))  // 2.5x, projected $1.40
        try F.spend(plugin, 3 * dollar, at: F.time(day: 8, hour: 22))  // 10x, projected $4.x: both under $5
        XCTAssertEqual(plugin.host.alerts, [])
    }

    func testTheProjectionWarnsBeforeTheSpikeAndTheSpikeStillFollows() throws {
        let plugin = try F.load(#"{"factor": 3, "min_daily_spend": "5", "projection_hours": 3}"#)
        try F.steadyWeek(plugin, perDay: 10 * dollar)
        // Hours 00-02 usually see nothing; their floor is the flat share of
        // the baseline, $10 x 3 / 24 = $1.25. $4 there is 3.2x that, carried
        // over the usual rest of the day ($10): $4 + $32 = $36 >= $30, while
        // $4 spent is far from $30. At 00:10, $2 projects $2 + $16 = $18.
        try F.spend(plugin, 2 * dollar, at: F.time(day: 8, hour: 0, minute: 10))
        XCTAssertEqual(plugin.host.alerts, [], "a projection needs the factor reached")
        try F.spend(plugin, 2 * dollar, at: F.time(day: 8, hour: 2, minute: 30))
        let projection = try XCTUnwrap(plugin.host.alerts.first)
        XCTAssertEqual(plugin.host.alerts.count, 1)
        XCTAssertEqual(projection.kind, "spend_projection")
        XCTAssertEqual(projection.dedupeKey, "spend_projection:team/acme/payments:\(F.date(day: 8))")
        XCTAssertEqual(projection.details?["projected_nanos"], .int(36 * dollar))
        XCTAssertEqual(projection.details?["today_nanos"], .int(4 * dollar))
        try F.spend(plugin, 1 * dollar, at: F.time(day: 8, hour: 3))
        XCTAssertEqual(plugin.host.alerts.count, 1, "the same projection is not raised twice")
        try F.spend(plugin, 30 * dollar, at: F.time(day: 8, hour: 12))
        XCTAssertEqual(plugin.host.alerts.map(\.kind), ["spend_projection", "spend_spike"])
    }

    func testEachDimensionIsItsOwnSubject() throws {
        let plugin = try F.load(#"{"factor": 3, "min_daily_spend": "1", "dimensions": ["team", "key"], "projection_hours": 0}"#)
        try F.steadyWeek(plugin, perDay: 8 * dollar, key: "payments-prod")
        try F.steadyWeek(plugin, perDay: 8 * dollar, key: "payments-batch")
        // The batch key triples its own baseline; the team ($16/day) does not.
        try F.spend(plugin, 25 * dollar, at: F.time(day: 8), key: "payments-batch")
        XCTAssertEqual(plugin.host.alerts.map(\.subject), ["key/payments-batch"])
        // A key never seen before is a cold start, even when it pushes the team over.
        try F.spend(plugin, 30 * dollar, at: F.time(day: 8, hour: 13), key: "payments-new")
        XCTAssertEqual(plugin.host.alerts.map(\.subject), ["key/payments-batch", "team/acme/payments"])
    }

    func testSeededHistorySkipsTheColdStart() throws {
        var seeds: [String] = []
        for day in 1...7 {
            seeds.append(#"{"subject": "team/acme/payments", "date": "\#(F.date(day: day))", "spend": "10"}"#)
        }
        let plugin = try F.load(#"{"min_daily_spend": "5", "projection_hours": 0, "history": [\#(seeds.joined(separator: ","))]}"#)
        try F.spend(plugin, 29 * dollar, at: F.time(day: 8, hour: 10))
        XCTAssertEqual(plugin.host.alerts, [])
        try F.spend(plugin, 1 * dollar, at: F.time(day: 8, hour: 11))
        XCTAssertEqual(plugin.host.alerts.map(\.subject), ["team/acme/payments"])
    }

    /// `days_ago` seeds count back from the day of the plugin's first call,
    /// whatever day that is: a config that does not go stale.
    func testRelativeHistoryCountsBackFromTheFirstCallsDay() throws {
        let seeds = (1...7).map { #"{"subject": "team/acme/payments", "days_ago": \#($0), "spend": "10"}"# }
        let config = #"{"min_daily_spend": "5", "projection_hours": 0, "history": [\#(seeds.joined(separator: ","))]}"#
        for day in [8, 40] {
            let plugin = try F.load(config)
            try F.spend(plugin, 29 * dollar, at: F.time(day: day, hour: 10))
            XCTAssertEqual(plugin.host.alerts, [], "day \(day): 29 is below 3 x 10")
            try F.spend(plugin, 1 * dollar, at: F.time(day: day, hour: 11))
            XCTAssertEqual(plugin.host.alerts.map(\.dedupeKey), ["spend_spike:team/acme/payments:\(F.date(day: day))"])
            XCTAssertEqual(plugin.host.alerts.first?.details?["baseline_nanos_per_day"], .int(10 * dollar))
            XCTAssertEqual(plugin.host.alerts.first?.details?["baseline_days"], .int(7))
        }
    }

    func testRelativeHistoryIsPlacedOnceAndAddsToDatedHistory() throws {
        // Three days back from day 8 are days 5-7; a dated seed on day 4 makes four days of history.
        let seeds = (1...3).map { #"{"subject": "team/acme/payments", "days_ago": \#($0), "spend": "10"}"# }
            + [#"{"subject": "team/acme/payments", "date": "\#(F.date(day: 4))", "spend": "10"}"#]
        let plugin = try F.load(#"{"min_daily_spend": "5", "min_history_days": 4, "projection_hours": 0, "history": [\#(seeds.joined(separator: ","))]}"#)
        try F.spend(plugin, 30 * dollar, at: F.time(day: 8, hour: 10))
        XCTAssertEqual(plugin.host.alerts.first?.details?["baseline_days"], .int(4))
        XCTAssertEqual(plugin.host.alerts.first?.details?["baseline_nanos_per_day"], .int(10 * dollar))
        // The next day the seeds stay where the first call put them (days 5-7): no new seeding.
        try F.spend(plugin, 1 * dollar, at: F.time(day: 9, hour: 10))
        XCTAssertEqual(plugin.host.alerts.count, 1)
        // Baseline of day 9, days 4-8: 10+10+10+10+30 over 5 days = $14/day, so $42 is a spike.
        // (Seeds placed again from day 9 would make it $20/day, and $45 no spike.)
        try F.spend(plugin, 44 * dollar, at: F.time(day: 9, hour: 11))
        XCTAssertEqual(plugin.host.alerts.count, 2)
        XCTAssertEqual(plugin.host.alerts.last?.details?["baseline_nanos_per_day"], .int(14 * dollar))
        XCTAssertEqual(plugin.host.alerts.last?.details?["baseline_days"], .int(5))
    }

    func testARestartKeepsTheBaselineAndTheRaisedAlerts() throws {
        let dir = NSTemporaryDirectory() + "anomaly-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = #"{"min_daily_spend": "5", "database": "\#(dir)/anomaly.sqlite"}"#

        let first = try F.load(config, memoryOnly: false)
        try F.steadyWeek(first, perDay: 10 * dollar)
        first.destroy()  // commits and closes the file

        let second = try F.load(config, memoryOnly: false)
        try F.spend(second, 31 * dollar, at: F.time(day: 8))
        XCTAssertEqual(second.host.alerts.map(\.dedupeKey), ["spend_spike:team/acme/payments:\(F.date(day: 8))"],
                       "the baseline came back from disk")
        XCTAssertEqual(second.host.alerts.first?.details?["baseline_nanos_per_day"], .int(10 * dollar))
        second.destroy()

        let third = try F.load(config, memoryOnly: false)
        try F.spend(third, 50 * dollar, at: F.time(day: 8, hour: 13))
        XCTAssertEqual(third.host.alerts, [], "already raised today, before the restart")
        third.destroy()
    }

    func testCallsWithoutCostAreIgnored() throws {
        let plugin = try F.load(#"{"min_daily_spend": "0"}"#)
        try F.steadyWeek(plugin, perDay: 0)
        try F.spend(plugin, 0, at: F.time(day: 8))
        XCTAssertEqual(plugin.host.alerts, [])
        XCTAssertEqual(plugin.host.callsAwaitingPostCall, 0)
    }
}
