import Foundation
import TollgateCLI
import TollgateConfig
import TollgateJSON
import TollgateUnits
import XCTest

/// `tollgate demo traffic`'s plan: deterministic from its seed, the whole
/// demo org in it, the carousel drifting to its cap by the arithmetic, the
/// search burst where it belongs, and config/demo.yaml agreeing with the
/// numbers the plan is built on.
final class DemoTrafficTests: XCTestCase {
    typealias D = DemoTraffic
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    let defaults = D.Settings()
    lazy var plan = D.plan(defaults)

    func testTheSameSeedGivesTheSamePlan() {
        XCTAssertEqual(D.plan(D.Settings(seed: 42)), D.plan(D.Settings(seed: 42)))
        XCTAssertNotEqual(D.plan(D.Settings(seed: 42)), D.plan(D.Settings(seed: 43)))
        XCTAssertEqual(plan, D.plan(D.Settings(durationMillis: 300_000, rate: 4, seed: 1)), "the defaults: 5 minutes, 4/s, seed 1")
        // 4/s for 300 s, plus the burst: 3 x 4/s for 20 s.
        XCTAssertEqual(plan.filter { $0.purpose != .spike }.count, 1_200)
        XCTAssertEqual(plan.filter { $0.purpose == .spike }.count, 240)
        XCTAssertEqual(plan.map(\.atMillis), plan.map(\.atMillis).sorted(), "in the order they are sent")
        XCTAssertTrue(plan.allSatisfy { (0..<300_000).contains($0.atMillis) })
    }

    func testTheWholeOrgIsInIt() {
        XCTAssertEqual(Set(plan.map(\.key.secret)), Set(D.keys.map(\.secret)))
        XCTAssertEqual(Set(plan.map(\.model)), [D.small, D.large])
        XCTAssertEqual(Set(plan.map(\.api)), [.openai, .anthropic])
        XCTAssertEqual(Set(plan.map(\.stream)), [true, false])
        XCTAssertEqual(Set(plan.map(\.path)), ["/v1/chat/completions", "/v1/messages"])
        XCTAssertTrue(plan.allSatisfy { $0.feature != nil && $0.environment != nil }, "every request is tagged")
        XCTAssertTrue(Set(plan.compactMap(\.environment)).isSuperset(of: ["prod", "staging", "dev"]))
        for request in plan where request.key.models != nil {
            XCTAssertTrue(request.key.models!.contains(request.model), "\(request.key.id) may not use \(request.model)")
        }
        for request in plan where request.purpose == .steady {
            XCTAssertNotEqual(request.feature, "carousel")
            XCTAssertNotEqual(request.feature, "email", "the README tour mints a grant for recs' email feature")
        }
        for request in plan where request.purpose == .carousel {
            XCTAssertEqual(request.key, D.recsProd)
            XCTAssertEqual(request.model, D.large)
            XCTAssertEqual(request.feature, "carousel", "draws on the recs-carousel grant")
            XCTAssertEqual(request.prompt.utf8.count, D.carouselPromptBytes)
        }
        let lab = plan.filter { $0.key == D.platformLab }
        XCTAssertLessThan(lab.count, 60 * 5 / 2, "demo-lab has a 60 rpm limit: well under it")
    }

    func testRequestsAreWhatEachAPIExpects() throws {
        for request in plan.prefix(200) {
            let body = try JSONValue.parse(request.body)
            XCTAssertEqual(body["model"]?.stringValue, request.model)
            XCTAssertEqual(body["max_tokens"]?.int64Value, Int64(request.maxTokens))
            XCTAssertEqual(body["messages"]?[0]?["content"]?.stringValue, request.prompt)
            XCTAssertEqual(body["stream"]?.boolValue, request.stream ? true : nil)
            XCTAssertTrue(request.prompt.utf8.allSatisfy { $0 >= 0x0A && $0 < 0x80 }, "ASCII prompts: bytes are what the mock counts")
            XCTAssertFalse(request.prompt.contains("@"), "no e-mail addresses for pii-guard to redact")
            let headers = Dictionary(request.headers, uniquingKeysWith: { a, _ in a })
            switch request.api {
            case .openai:
                XCTAssertEqual(headers["Authorization"], "Bearer " + request.key.secret)
                XCTAssertEqual(request.streamEnd, "data: [DONE]")
            case .anthropic:
                XCTAssertEqual(headers["x-api-key"], request.key.secret)
                XCTAssertEqual(headers["anthropic-version"], "2023-06-01")
                XCTAssertEqual(request.streamEnd, "event: message_stop")
            }
            XCTAssertEqual(headers["x-tollgate-feature"], request.feature)
            XCTAssertEqual(headers["x-tollgate-environment"], request.environment)
        }
    }

    func testTheCarouselShareRises() {
        func share(_ range: Range<Int>) -> Double {
            let steady = plan.filter { $0.purpose != .spike && range.contains($0.atMillis) }
            return Double(steady.filter { $0.purpose == .carousel }.count) / Double(steady.count)
        }
        let early = share(0..<30_000), middle = share(45_000..<90_000), late = share(90_000..<300_000)
        XCTAssertLessThan(early, 0.3, "it starts small")
        XCTAssertLessThan(early, middle)
        XCTAssertLessThan(middle, late)
        XCTAssertEqual(late, 0.6, accuracy: 0.08, "then holds at its peak")
        XCTAssertEqual(defaults.carouselShare(atMillis: 0), 0.10, accuracy: 1e-9)
        XCTAssertEqual(defaults.carouselShare(atMillis: 45_000), 0.35, accuracy: 1e-9)
        XCTAssertEqual(defaults.carouselShare(atMillis: 200_000), 0.60, accuracy: 1e-9)
    }

    func testTheBurstIsSearchFromFortyToSixtySeconds() {
        let spike = plan.filter { $0.purpose == .spike }
        XCTAssertTrue(spike.allSatisfy { (40_000..<60_000).contains($0.atMillis) })
        XCTAssertLessThan(spike.first!.atMillis, 41_000)
        XCTAssertGreaterThan(spike.last!.atMillis, 59_000)
        XCTAssertTrue(spike.allSatisfy { $0.key == D.searchProd && $0.model == D.large && $0.prompt.utf8.count == D.spikePromptBytes })
        func searchPerSecond(_ range: Range<Int>) -> Double {
            Double(plan.filter { $0.key == D.searchProd && range.contains($0.atMillis) }.count) / Double(range.count / 1_000)
        }
        XCTAssertGreaterThan(searchPerSecond(40_000..<60_000), 10 * searchPerSecond(0..<40_000), "a burst, not a bump")
        XCTAssertGreaterThanOrEqual(searchPerSecond(40_000..<60_000), 3 * defaults.rate, "several times the rate")

        // A run shorter than 40 s has none; one ending inside the window is cut at its end.
        XCTAssertTrue(D.plan(D.Settings(durationMillis: 30_000)).allSatisfy { $0.purpose != .spike })
        let cut = D.plan(D.Settings(durationMillis: 50_000)).filter { $0.purpose == .spike }
        XCTAssertTrue(cut.allSatisfy { (40_000..<50_000).contains($0.atMillis) })
        XCTAssertEqual(cut.count, 120)
    }

    /// The comment in DemoTraffic.swift, checked.
    func testTheArithmeticTakesTheCarouselToItsCapInOneToTwoMinutes() throws {
        XCTAssertEqual(D.carouselCostNanos, 2_000_000, "744 x $0.000002 + 64 x $0.000008 = $0.002")
        XCTAssertEqual(D.carouselRequestsToWarn(), 80, "80% of $0.20 is $0.16: 80 requests")
        XCTAssertEqual(D.carouselRequestsToWarn(spentNanos: 150_000_000), 5)
        XCTAssertEqual(D.carouselRequestsToWarn(spentNanos: 170_000_000), 0, "past it already")
        let carousel = plan.filter { $0.purpose == .carousel }
        let reservation = try XCTUnwrap(carousel.map(D.reservationNanos).max())
        XCTAssertEqual(Double(reservation) / 1e9, 0.0073, accuracy: 0.0002)
        let served = D.carouselRequestsServed(reservationNanos: reservation)
        XCTAssertEqual(served, 147, "146 x $0.002 + the reservation fits under 150% of $0.20; the 148th does not")
        XCTAssertLessThanOrEqual(Int64(served - 1) * D.carouselCostNanos + reservation, 300_000_000)
        XCTAssertGreaterThan(Int64(served) * D.carouselCostNanos + reservation, 300_000_000)

        XCTAssertEqual(D.carouselRequestsServed(reservationNanos: reservation, spentNanos: 294_000_000), 0,
                       "a second run the same day: refused from the first")
        XCTAssertEqual(D.carouselRequestsServed(reservationNanos: reservation, spentNanos: 200_000_000), 47)
        XCTAssertGreaterThan(carousel.count, served + 100, "plenty of refusals in a default run")
        let warnAt = carousel[D.carouselRequestsToWarn() - 1].atMillis
        let capAt = carousel[100 - 1].atMillis
        let refusedAt = carousel[served].atMillis
        XCTAssertTrue((45_000...90_000).contains(warnAt), "warn after the start, within the first minute and a half: \(warnAt)")
        XCTAssertTrue((60_000...100_000).contains(capAt), "the cap: \(capAt)")
        XCTAssertTrue((60_000...120_000).contains(refusedAt), "429s from within 1-2 minutes: \(refusedAt)")
        // The same holds for other seeds: the share, not the dice, sets the pace.
        for seed: UInt64 in [2, 3, 99] {
            let other = D.plan(D.Settings(seed: seed)).filter { $0.purpose == .carousel }
            XCTAssertTrue((60_000...120_000).contains(other[served].atMillis), "seed \(seed): \(other[served].atMillis)")
        }
    }

    /// The burst against the seeded history: spend_spike fires inside it.
    func testTheBurstCrossesTheAnomalyThreshold() {
        let threshold = D.anomalyFactor * D.searchSeededDailyNanos
        func cost(_ r: D.Request) -> Int64 {
            r.model == D.large ? D.largeCostNanos(promptBytes: r.prompt.utf8.count)
                : Int64((r.prompt.utf8.count + 3) / 4) * 100 + 16 * 400  // demo-small: $0.10 / $0.40 per Mtok, 16 tokens out
        }
        let search = plan.filter { $0.key == D.searchProd }
        let before = search.filter { $0.atMillis < 40_000 }.map(cost).reduce(0, +)
        let burst = search.filter { $0.purpose == .spike }.map(cost).reduce(0, +)
        XCTAssertEqual(D.largeCostNanos(promptBytes: D.spikePromptBytes), 1_000_000, "$0.001 a burst request")
        XCTAssertLessThan(before, threshold / 5, "no spike before the burst")
        XCTAssertGreaterThan(before + burst, 2 * threshold, "the burst crosses 3x the baseline, with room")
        // A run the day before (its whole search spend) raises the baseline; the burst still crosses it.
        let yesterday = search.map(cost).reduce(0, +)
        let raised = (D.searchSeededDailyNanos * (D.seededDays - 1) + D.searchSeededDailyNanos + yesterday) / D.seededDays
        XCTAssertGreaterThan(before + burst, D.anomalyFactor * raised)
    }

    /// config/demo.yaml holds the numbers the plan is built on.
    func testTheDemoConfigAgreesWithThePlan() throws {
        let config = try ConfigLoader.load(path: Self.repoRoot.appendingPathComponent("config/demo.yaml").path)
        let large = try XCTUnwrap(config.catalog.model(named: D.large))
        XCTAssertEqual(large.price.inputPerMTokNanos, D.largeInputNanosPerToken * 1_000_000)
        XCTAssertEqual(large.price.outputPerMTokNanos, D.largeOutputNanosPerToken * 1_000_000)
        XCTAssertEqual(Int64(large.mock.outputTokens), D.largeOutputTokens)
        XCTAssertEqual(large.maxOutputTokens, D.largeCatalogMaxOutput)
        XCTAssertGreaterThanOrEqual(Int64(D.carouselMaxTokens), D.largeOutputTokens, "max_tokens does not cut the answer")

        let carousel = try XCTUnwrap(config.grants.first { $0.id == "recs-carousel" })
        XCTAssertEqual(carousel.buckets.map(\.amountNanos), [D.carouselGrantNanos])
        XCTAssertEqual(carousel.period, .daily)
        XCTAssertEqual(carousel.scope.description, "feature/demo/recs/carousel")
        XCTAssertEqual(Int64(carousel.warnPercent), D.warnPercent)
        XCTAssertEqual(Int64(carousel.hardPercent), D.hardPercent)
        XCTAssertEqual(carousel.productionAtCap, .open, "production goes on to the hard tier")

        for key in D.keys {
            guard case .authenticated(let identity) = config.keys.authenticate(presentedKey: key.secret, now: 0) else {
                return XCTFail("\(key.secret) should authenticate")
            }
            XCTAssertEqual(identity.keyId, key.id)
            XCTAssertEqual(identity.team, key.team)
            XCTAssertEqual(identity.allowedModels, key.models.map(Set.init))
        }
        for secret in [D.recsAdminCredential, D.financeViewerCredential] {
            XCTAssertTrue(config.credentials.contains { $0.sha256Hex == KeyStore.sha256Hex(secret) })
        }

        let anomaly = try XCTUnwrap(config.plugins.first { $0.instanceName == "anomaly" }).config
        XCTAssertEqual(anomaly["factor"]?.int64Value, D.anomalyFactor)
        let history = try XCTUnwrap(anomaly["history"]?.arrayValue)
        XCTAssertEqual(history.count, Int(D.seededDays))
        XCTAssertEqual(history.compactMap { $0["days_ago"]?.int64Value }, Array(1...D.seededDays))
        for entry in history {
            XCTAssertEqual(entry["subject"]?.stringValue, "team/demo/search")
            XCTAssertEqual(entry["spend"]?.stringValue.flatMap(Money.parseUSD), D.searchSeededDailyNanos)
            XCTAssertNil(entry["date"], "relative days: the demo config never goes stale")
        }
        let minDaily = try XCTUnwrap(anomaly["min_daily_spend"]?.stringValue.flatMap(Money.parseUSD))
        XCTAssertLessThanOrEqual(minDaily, D.anomalyFactor * D.searchSeededDailyNanos)
    }

    func testTheSceneBodiesAndWhatASecondRunSkips() throws {
        let now: Int64 = 1_796_083_200  // 2026-12-01T00:00:00Z
        let exception = D.exceptionBody(now: now)
        XCTAssertEqual(exception["grant"]?.stringValue, "recs")
        XCTAssertEqual(exception["class"]?.stringValue, "production")
        XCTAssertEqual(exception["ends"]?.stringValue, "2026-12-08")
        XCTAssertGreaterThanOrEqual(exception["reason"]?.stringValue?.count ?? 0, 20, "exceptions.min_reason_length")
        let draw = D.burstBody(now: now)
        XCTAssertEqual(draw["ends"]?.stringValue, "2026-12-03")
        XCTAssertLessThanOrEqual(Money.parseUSD(draw["amount"]?.stringValue ?? "") ?? .max, 4 * 1_000_000_000,
                                 "within recs' borrowing limit: granted at once")

        func log(_ entries: [(String, String, String, String)]) throws -> ExceptionLog {
            try ExceptionLog(json: .object(JSONObject([("exceptions", .array(entries.map { id, kind, grant, status in
                .object(JSONObject([("id", .string(id)), ("kind", .string(kind)), ("grant", .string(grant)), ("status", .string(status))]))
            }))])))
        }
        let first = try log([("exc-0001", "exception", "recs", "denied"), ("burst-0002", "burst", "recs", "lapsed"),
                             ("exc-0003", "exception", "search", "pending")])
        XCTAssertNil(D.pendingException(in: first))
        XCTAssertNil(D.openDraw(in: first))
        let second = try log([("exc-0004", "exception", "recs", "pending"), ("burst-0005", "burst", "recs", "active")])
        XCTAssertEqual(D.pendingException(in: second)?.id, "exc-0004")
        XCTAssertEqual(D.openDraw(in: second)?.id, "burst-0005")
    }

    func testTheSummarySaysWhenTheCarouselWillBeRefused() {
        let fresh = D.summary(plan, settings: defaults)
        XCTAssertEqual(fresh.count, 3)
        XCTAssertEqual(fresh[0], "playing 5:00 of demo traffic: 1440 requests, 4 a second steady (seed 1)")
        XCTAssertTrue(fresh[1].hasPrefix("search burst: 240 requests from 0:40 to 1:00"), fresh[1])
        XCTAssertTrue(fresh[2].contains("passes warn (80%) at ~1:"), fresh[2])
        XCTAssertTrue(fresh[2].contains("refuses at ~1:"), fresh[2])
        let again = D.summary(plan, settings: defaults, start: D.Standing(carouselSpentNanos: 294_000_000))
        XCTAssertTrue(again[2].contains("$0.294 spent today already) refuses from the start"), again[2])
    }

    func testTheProgressLine() {
        var tally = D.Tally()
        let carousel = plan.first { $0.purpose == .carousel }!
        let steady = plan.first { $0.purpose == .steady }!
        for _ in 0..<3 { tally.sending(carousel) }
        tally.sending(steady)
        tally.finished(carousel, .answered(status: 200, code: nil))
        tally.finished(carousel, .answered(status: 429, code: "grant_exceeded"))
        tally.finished(carousel, .answered(status: 429, code: "grant_exceeded"))
        tally.finished(steady, .failed)
        XCTAssertEqual(tally.byPurpose[.carousel], D.Tally.Counts(sent: 3, served: 1))
        let start = D.Standing(orgSpentNanos: 1_000_000_000)
        let now = D.Standing(orgSpentNanos: 1_250_000_000, carouselSpentNanos: 170_000_000, carouselAmountNanos: 200_000_000,
                             carouselPercent: "85%", carouselTier: "warn")
        XCTAssertEqual(D.progressLine(elapsedSeconds: 70, tally: tally, start: start, now: now, settings: defaults),
                       "1:10  sent 4: 429 grant_exceeded x2, 200 x1, no answer x1 | spent $0.25 this run"
                           + " | recs-carousel $0.17 of $0.20 (85%, warn)")
        XCTAssertEqual(D.progressLine(elapsedSeconds: 10, tally: D.Tally(), start: nil, now: nil, settings: defaults),
                       "0:10  sent 0: none answered yet | spend: allocation table not readable | search burst at 0:40")
        XCTAssertTrue(D.progressLine(elapsedSeconds: 50, tally: tally, start: nil, now: nil, settings: defaults).hasSuffix("search burst on"))
        XCTAssertEqual(D.dollars(9_905_800), "$0.0099")
        XCTAssertEqual(D.dollars(412_578_400), "$0.4126")
        XCTAssertEqual(D.dollars(294_000_000), "$0.294")
        XCTAssertEqual(D.Outcome.cutShort.label, "stream cut short")
        XCTAssertEqual(D.Outcome.answered(status: 503, code: nil).label, "503")
    }
}
