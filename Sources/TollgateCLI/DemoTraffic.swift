import TollgateJSON
import TollgateUnits

/// `tollgate demo traffic`: a few minutes of an org's traffic against the
/// demo gateway (`config/demo.yaml`), so that within a minute the product
/// has something to show — grants filling, the recs carousel drifting to its
/// cap, a search burst the anomaly plugin alerts on, a pending exception and
/// a burst draw.
///
/// Everything here is the *plan*: which request goes at which offset, with
/// which key, API, model, tags and prompt. It is drawn from a seeded
/// generator and nothing else (no clock, no system randomness), so the same
/// settings and seed give the same plan, request for request. Playing it
/// (HTTP, timing, Ctrl-C) is the command's business.
package enum DemoTraffic {
    // MARK: The demo's secrets (config/demo.yaml's header lists them)

    package struct Key: Equatable, Sendable {
        package var secret: String
        package var id: String
        package var team: String
        /// nil: every model; else the only ones it may use.
        package var models: [String]?
    }

    package static let platformProd = Key(secret: "tg-demo-key-0001", id: "demo-prod", team: "platform", models: nil)
    package static let platformLab = Key(secret: "tg-demo-key-0002", id: "demo-lab", team: "platform", models: [small])
    package static let searchProd = Key(secret: "tg-demo-key-0003", id: "search-prod", team: "search", models: nil)
    package static let recsProd = Key(secret: "tg-demo-key-0004", id: "recs-prod", team: "recs", models: nil)
    package static let recsLab = Key(secret: "tg-demo-key-0005", id: "recs-lab", team: "recs", models: [small])
    package static let keys = [platformProd, platformLab, searchProd, recsProd, recsLab]

    /// Team admin of demo/recs: files the exception request and draws from the burst pool.
    package static let recsAdminCredential = "tg-demo-recs-admin"
    /// Viewer of org demo: reads the allocation table for the progress lines.
    package static let financeViewerCredential = "tg-demo-finance-viewer"

    package static let small = "demo-small"
    package static let large = "demo-large"

    // MARK: The arithmetic of the carousel's drift to its cap
    //
    // demo-large costs $2.00 input and $8.00 output per million tokens
    // (config/demo.yaml): 2,000 and 8,000 nano-dollars a token. Its mock
    // answers 64 output tokens; the mock counts ceil(prompt bytes / 4) input
    // tokens. A carousel request carries a 2,976-byte prompt (the candidate
    // items to rank): 744 input tokens.
    //
    //   one carousel request = 744 x $0.000002 + 64 x $0.000008
    //                        = $0.001488 + $0.000512 = $0.002
    //
    // recs-carousel is $0.20/day, production, failing open at the cap (the
    // default), so its tiers are:
    //   warn  80%  = $0.16  after  80 requests
    //   cap  100%  = $0.20  after 100 requests
    //   hard 150%  = $0.30: the ceiling. A request is admitted while what is
    //   spent plus its pessimistic reservation fits under $0.30. The
    //   reservation is the body's bytes as input tokens (~3,090 + 16) x
    //   $0.000002 plus max_tokens 128 x $0.000008 ~= $0.0073, so 147 requests
    //   are served (146 x $0.002 + $0.0073 <= $0.30) and the 148th on are
    //   refused: 429 grant_exceeded.
    //
    // The carousel's share of the steady traffic rises from 10% to 60% over
    // the first 90 s. At the default 4 requests/s that is, by time T (s,
    // T <= 90), 4 x (0.10 T + 0.25 T^2 / 90) requests: 80 (warn) near 67 s,
    // 100 (cap) near 76 s, 148 (refusals) near 100 s. Then 2.4 carousel
    // requests a second keep hitting the ceiling: some 429s every second.
    // (The daily counter persists: a second run the same day starts at the
    // ceiling.)

    package static let largeInputNanosPerToken: Int64 = 2_000
    package static let largeOutputNanosPerToken: Int64 = 8_000
    /// demo-large's `mock: {output_tokens: 64}`.
    package static let largeOutputTokens: Int64 = 64
    /// demo-large's `max_output_tokens`.
    package static let largeCatalogMaxOutput: Int64 = 8_192
    package static let carouselPromptBytes = 2_976
    package static let carouselMaxTokens = 128
    /// The grant's amount ($0.20) and tiers (budget's defaults).
    package static let carouselGrantNanos: Int64 = 200_000_000
    package static let warnPercent: Int64 = 80
    package static let hardPercent: Int64 = 150

    /// What a demo-large request costs once settled, from its prompt bytes.
    package static func largeCostNanos(promptBytes: Int) -> Int64 {
        Int64((promptBytes + 3) / 4) * largeInputNanosPerToken + largeOutputTokens * largeOutputNanosPerToken
    }

    package static var carouselCostNanos: Int64 { largeCostNanos(promptBytes: carouselPromptBytes) }

    /// The gateway's pessimistic reservation for a request (the plugin kit's
    /// ReservationEstimate): input tokens bounded by the larger of the body's
    /// bytes and the prompt's bytes plus 8 per message, plus 16; output by
    /// max_tokens (within the catalog's maximum).
    package static func reservationNanos(_ request: Request) -> Int64 {
        let promptBound = Int64(request.prompt.utf8.count) + 8
        let input = max(Int64(request.body.count), promptBound) + 16
        let output = min(Int64(request.maxTokens), largeCatalogMaxOutput)
        return input * largeInputNanosPerToken + output * largeOutputNanosPerToken
    }

    /// Carousel requests served before the first 429 grant_exceeded, from
    /// `spentNanos` already spent today: the largest n with
    /// spent + (n - 1) x cost + reservation <= the hard ceiling.
    package static func carouselRequestsServed(reservationNanos: Int64, spentNanos: Int64 = 0) -> Int {
        let room = carouselGrantNanos * hardPercent / 100 - max(0, spentNanos)
        guard reservationNanos <= room else { return 0 }
        return Int((room - reservationNanos) / carouselCostNanos) + 1
    }

    /// Carousel requests that take the grant to warn (80%) from `spentNanos`
    /// (0: it is there already).
    package static func carouselRequestsToWarn(spentNanos: Int64 = 0) -> Int {
        let missing = carouselGrantNanos * warnPercent / 100 - max(0, spentNanos)
        return missing <= 0 ? 0 : Int((missing + carouselCostNanos - 1) / carouselCostNanos)
    }

    // MARK: The search burst and the anomaly plugin
    //
    // A burst request (search's re-ranking agent stuck in a loop) is
    // demo-large with a 976-byte prompt: 244 x $0.000002 + 64 x $0.000008 =
    // $0.001. At the default rate the burst is 3 x 4 = 12 requests/s for
    // 20 s: 240 requests, $0.24. config/demo.yaml seeds team/demo/search
    // with $0.03 on each of the last 7 days (anomaly `history`, `days_ago`),
    // so its baseline is $0.03/day and `spend_spike` fires at 3 x $0.03 =
    // $0.09 today: some 85 requests into the burst (search's steady traffic
    // before it is about $0.005). A run the day before adds its own ~$0.3
    // to that day: the baseline is then ~$0.07 and the threshold ~$0.21,
    // still inside the burst.

    package static let spikePromptBytes = 976
    package static let spikeMaxTokens = 128
    /// What config/demo.yaml seeds per day for team/demo/search.
    package static let searchSeededDailyNanos: Int64 = 30_000_000
    package static let seededDays: Int64 = 7
    /// The anomaly plugin's `factor` in config/demo.yaml.
    package static let anomalyFactor: Int64 = 3

    // MARK: Settings

    package struct Settings: Equatable, Sendable {
        package var durationMillis: Int
        /// Steady requests a second.
        package var rate: Double
        package var seed: UInt64
        package var spikeStartMillis = 40_000
        package var spikeMillis = 20_000
        /// The burst's rate, as a multiple of `rate` (on top of it).
        package var spikeFactor = 3.0
        /// The carousel's share of the steady traffic rises linearly from
        /// `carouselStartShare` to `carouselPeakShare` over this, then stays.
        package var carouselRampMillis = 90_000
        package var carouselStartShare = 0.10
        package var carouselPeakShare = 0.60

        package init(durationMillis: Int = 300_000, rate: Double = 4, seed: UInt64 = 1) {
            self.durationMillis = durationMillis
            self.rate = rate
            self.seed = seed
        }

        package var spikeEndMillis: Int { min(spikeStartMillis + spikeMillis, durationMillis) }

        /// The carousel's share of the steady requests at `millis`.
        package func carouselShare(atMillis millis: Int) -> Double {
            let progress = carouselRampMillis <= 0 ? 1 : min(1, max(0, Double(millis) / Double(carouselRampMillis)))
            return carouselStartShare + (carouselPeakShare - carouselStartShare) * progress
        }
    }

    // MARK: Requests

    package enum API: String, Equatable, Sendable { case openai, anthropic }

    package enum Purpose: String, Equatable, Sendable {
        /// The org's everyday mix.
        case steady
        /// recs, feature=carousel, demo-large: draws on the recs-carousel grant.
        case carousel
        /// search's burst.
        case spike
    }

    package struct Request: Equatable, Sendable {
        /// When to send it, from the start of the run.
        package var atMillis: Int
        package var purpose: Purpose
        package var key: Key
        package var api: API
        package var model: String
        package var stream: Bool
        package var feature: String?
        package var environment: String?
        package var prompt: String
        package var maxTokens: Int

        package var path: String { api == .openai ? "/v1/chat/completions" : "/v1/messages" }

        /// The key as each API's SDK sends it, the tags as headers.
        package var headers: [(String, String)] {
            var headers: [(String, String)] = [("Content-Type", "application/json")]
            switch api {
            case .openai: headers.append(("Authorization", "Bearer " + key.secret))
            case .anthropic:
                headers.append(("x-api-key", key.secret))
                headers.append(("anthropic-version", "2023-06-01"))
            }
            if let feature { headers.append(("x-tollgate-feature", feature)) }
            if let environment { headers.append(("x-tollgate-environment", environment)) }
            return headers
        }

        package var body: [UInt8] {
            var object = JSONObject()
            object["model"] = .string(model)
            object["max_tokens"] = .int(maxTokens)
            object["messages"] = .array([.object(JSONObject([("role", .string("user")), ("content", .string(prompt))]))])
            if stream { object["stream"] = .bool(true) }
            return JSONValue.object(object).serialized()
        }

        /// What the end of a complete stream looks like in each API.
        package var streamEnd: String { api == .openai ? "data: [DONE]" : "event: message_stop" }
    }

    // MARK: The plan

    /// The requests of a run, in the order they are sent.
    package static func plan(_ settings: Settings) -> [Request] {
        var rng = SplitMix64(seed: settings.seed)
        var requests: [Request] = []
        let duration = settings.durationMillis
        guard duration > 0, settings.rate > 0 else { return [] }

        // Steady: one request per slot of 1/rate s, at a random point of the slot.
        let interval = 1_000 / settings.rate
        var slot = 0
        while Double(slot) * interval < Double(duration) {
            let at = Int(Double(slot) * interval + rng.unit() * interval * 0.9)
            slot += 1
            guard at < duration else { continue }
            if rng.unit() < settings.carouselShare(atMillis: at) {
                requests.append(carousel(at: at, rng: &rng))
            } else {
                requests.append(steady(at: at, rng: &rng))
            }
        }

        // The burst: search at spikeFactor x rate on top, for its window.
        if settings.spikeFactor > 0, settings.spikeEndMillis > settings.spikeStartMillis {
            let spikeInterval = 1_000 / (settings.rate * settings.spikeFactor)
            let span = Double(settings.spikeEndMillis - settings.spikeStartMillis)
            var k = 0
            while Double(k) * spikeInterval < span {
                let at = settings.spikeStartMillis + Int(Double(k) * spikeInterval + rng.unit() * spikeInterval * 0.9)
                k += 1
                guard at < settings.spikeEndMillis else { continue }
                requests.append(spike(at: at, rng: &rng))
            }
        }
        // Stable by time: Swift's sort is not stable, so the index breaks ties.
        return requests.enumerated().sorted { a, b in
            a.element.atMillis != b.element.atMillis ? a.element.atMillis < b.element.atMillis : a.offset < b.offset
        }.map(\.element)
    }

    /// A steady stream: whose key, which features and environments, how
    /// much of it goes to the large model, how long its prompts are.
    struct Profile {
        var key: Key
        var weight: Double
        var features: [String]
        var environments: [String]
        var largeShare: Double
        var promptBytes: ClosedRange<Int>
        var lead: [String]
    }

    /// The org's everyday mix. recs' steady features avoid "carousel" (its
    /// own stream) and "email" (the README tour mints a grant for it).
    static let profiles: [Profile] = [
        Profile(key: platformProd, weight: 0.25, features: ["support-bot", "code-review"], environments: ["prod", "prod", "staging"],
                largeShare: 0.25, promptBytes: 200...900,
                lead: ["Summarise this support ticket for the on-call engineer:", "Review this diff and list risky changes:"]),
        Profile(key: platformLab, weight: 0.07, features: ["prompt-lab"], environments: ["dev"],
                largeShare: 0, promptBytes: 100...400, lead: ["Try a shorter system prompt for the ticket summariser:"]),
        Profile(key: searchProd, weight: 0.28, features: ["query-rewrite", "snippets"], environments: ["prod"],
                largeShare: 0.15, promptBytes: 150...600,
                lead: ["Rewrite this search query for recall:", "Write a two-line snippet for this result:"]),
        Profile(key: recsProd, weight: 0.25, features: ["homepage", "similar-items"], environments: ["prod", "staging"],
                largeShare: 0.2, promptBytes: 200...800,
                lead: ["Explain why these items suit this shopper:", "Find items similar to this one:"]),
        Profile(key: recsLab, weight: 0.15, features: ["ranking-experiment"], environments: ["dev"],
                largeShare: 0, promptBytes: 100...500, lead: ["Score this ranking variant against the control:"]),
    ]

    static func steady(at millis: Int, rng: inout SplitMix64) -> Request {
        let total = profiles.reduce(0) { $0 + $1.weight }
        var pick = rng.unit() * total
        var profile = profiles[profiles.count - 1]
        for candidate in profiles {
            if pick < candidate.weight {
                profile = candidate
                break
            }
            pick -= candidate.weight
        }
        let large = profile.key.models == nil && rng.unit() < profile.largeShare
        let bytes = profile.promptBytes.lowerBound + rng.below(profile.promptBytes.count)
        return Request(atMillis: millis, purpose: .steady, key: profile.key, api: rng.unit() < 0.5 ? .openai : .anthropic,
                       model: large ? DemoTraffic.large : small, stream: rng.unit() < 0.4,
                       feature: rng.pick(profile.features), environment: rng.pick(profile.environments),
                       prompt: prose(lead: rng.pick(profile.lead), bytes: bytes, rng: &rng),
                       maxTokens: large ? 128 : 64)
    }

    static func carousel(at millis: Int, rng: inout SplitMix64) -> Request {
        let shopper = 1_000 + rng.below(9_000)
        var prompt = "Rank these candidates for the homepage carousel of shopper s-\(shopper); "
            + "return the 8 best item ids, each with a one-line reason.\nCandidates:\n"
        while prompt.utf8.count < carouselPromptBytes {
            prompt += "item-\(10_000 + rng.below(90_000)) \(rng.pick(colours)) \(rng.pick(products)), "
                + "\(rng.pick(["3.9", "4.2", "4.5", "4.7", "4.9"])) stars, \(rng.below(400)) sold last week\n"
        }
        return Request(atMillis: millis, purpose: .carousel, key: recsProd, api: rng.unit() < 0.5 ? .openai : .anthropic,
                       model: large, stream: rng.unit() < 0.5, feature: "carousel", environment: "prod",
                       prompt: exactly(prompt, bytes: carouselPromptBytes), maxTokens: carouselMaxTokens)
    }

    static func spike(at millis: Int, rng: inout SplitMix64) -> Request {
        let lead = "Re-rank the results for query q-\(rng.below(100_000)) again; the previous ranking was rejected:"
        return Request(atMillis: millis, purpose: .spike, key: searchProd, api: rng.unit() < 0.7 ? .openai : .anthropic,
                       model: large, stream: rng.unit() < 0.3, feature: "rerank-agent", environment: "prod",
                       prompt: prose(lead: lead, bytes: spikePromptBytes, rng: &rng), maxTokens: spikeMaxTokens)
    }

    static let colours = ["navy", "olive", "rust", "charcoal", "cream", "teal", "burgundy", "sand", "forest", "slate"]
    static let products = ["wool scarf", "rain jacket", "desk lamp", "trail shoes", "ceramic mug", "linen shirt",
                           "backpack", "throw blanket", "chef knife", "yoga mat", "bluetooth speaker", "plant pot"]
    static let words = ["the", "customer", "order", "results", "page", "query", "latency", "ranking", "session", "click",
                        "price", "category", "shipping", "return", "review", "summary", "context", "history", "items",
                        "recent", "weekly", "account", "policy", "release", "feature", "request", "update", "search",
                        "score", "model", "answer", "draft", "team", "notes", "issue", "steps", "error", "checkout"]

    /// `lead`, then words, cut to exactly `bytes` (ASCII throughout).
    static func prose(lead: String, bytes: Int, rng: inout SplitMix64) -> String {
        var text = lead
        while text.utf8.count < bytes { text += " " + rng.pick(words) }
        return exactly(text, bytes: bytes)
    }

    static func exactly(_ text: String, bytes: Int) -> String {
        String(decoding: Array(text.utf8.prefix(bytes)), as: UTF8.self)
    }

    // MARK: Setting the scene: the exception request and the burst draw

    /// The recs team's exception request on grant `recs` (production): a
    /// written reason, ending 7 days after `now` (Unix seconds).
    package static func exceptionBody(now: Int64) -> JSONValue {
        .object(JSONObject([
            ("grant", .string("recs")), ("class", .string("production")), ("amount", .string("3")),
            ("ends", .string(UTCCalendar.day(now + 7 * 86_400))),
            ("reason", .string("carousel A/B test goes to 50% of homepage traffic next week")),
            ("use_case", .string("launch")),
        ]))
    }

    /// A draw within recs' borrowing limit ($4) and the pool's room ($10):
    /// granted at once, for 2 days.
    package static func burstBody(now: Int64) -> JSONValue {
        .object(JSONObject([
            ("grant", .string("recs")), ("class", .string("production")), ("amount", .string("2")),
            ("ends", .string(UTCCalendar.day(now + 2 * 86_400))),
            ("reason", .string("carousel launch week: homepage traffic doubles")),
            ("use_case", .string("launch")),
        ]))
    }

    /// A pending exception request on `recs` already in the log: a second
    /// run does not file another.
    package static func pendingException(in log: ExceptionLog) -> ExceptionEntry? {
        log.entries.first { $0.kind == "exception" && $0.grant == "recs" && $0.status == "pending" }
    }

    /// A burst draw on `recs` that is still lent (or waiting for an approver).
    package static func openDraw(in log: ExceptionLog) -> ExceptionEntry? {
        log.entries.first { $0.isBurst && $0.grant == "recs" && ["active", "approved", "pending"].contains($0.status ?? "") }
    }
}
