import TollgateJSON
import TollgateUnits

/// What `tollgate demo traffic` prints while it plays the plan: how the
/// requests ended, where the carousel grant stands, one line every ~10 s,
/// and the summary before it starts.
extension DemoTraffic {
    /// How one request ended, as the progress lines count it.
    package enum Outcome: Equatable, Sendable {
        /// An HTTP answer; `code` from `x-tollgate-error-code` or the error body.
        case answered(status: Int, code: String?)
        /// 200, but the stream stopped before its end.
        case cutShort
        /// No HTTP answer (connection refused or broken, timeout).
        case failed

        package var label: String {
            switch self {
            case .answered(let status, let code?) where !(200..<300).contains(status): return "\(status) \(code)"
            case .answered(let status, _): return String(status)
            case .cutShort: return "stream cut short"
            case .failed: return "no answer"
            }
        }
    }

    /// What was sent and how it ended, by outcome and by purpose.
    package struct Tally: Equatable, Sendable {
        package struct Counts: Equatable, Sendable {
            package var sent = 0
            /// Answered 2xx.
            package var served = 0

            package init(sent: Int = 0, served: Int = 0) {
                self.sent = sent
                self.served = served
            }
        }

        package var sent = 0
        package var finished = 0
        package var byOutcome: [String: Int] = [:]
        package var byPurpose: [Purpose: Counts] = [:]

        package init() {}

        package mutating func sending(_ request: Request) {
            sent += 1
            byPurpose[request.purpose, default: Counts()].sent += 1
        }

        package mutating func finished(_ request: Request, _ outcome: Outcome) {
            finished += 1
            byOutcome[outcome.label, default: 0] += 1
            if case .answered(let status, _) = outcome, (200..<300).contains(status) {
                byPurpose[request.purpose, default: Counts()].served += 1
            }
        }

        /// "200 x120, 429 grant_exceeded x3": the most frequent first.
        package var outcomes: String {
            guard !byOutcome.isEmpty else { return "none answered yet" }
            return byOutcome.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
        }
    }

    /// What the allocation table says, for the progress lines.
    package struct Standing: Equatable, Sendable {
        /// The org grant's spend (all its buckets).
        package var orgSpentNanos: Int64?
        package var carouselSpentNanos: Int64?
        package var carouselAmountNanos: Int64?
        package var carouselPercent: String?
        package var carouselTier: String?

        package init(orgSpentNanos: Int64? = nil, carouselSpentNanos: Int64? = nil, carouselAmountNanos: Int64? = nil,
                     carouselPercent: String? = nil, carouselTier: String? = nil) {
            self.orgSpentNanos = orgSpentNanos
            self.carouselSpentNanos = carouselSpentNanos
            self.carouselAmountNanos = carouselAmountNanos
            self.carouselPercent = carouselPercent
            self.carouselTier = carouselTier
        }

        package init(_ allocation: Allocation, org: String = "demo", carousel: String = "recs-carousel") {
            func sum(_ buckets: [Allocation.Bucket], _ field: (Allocation.Bucket) -> Int64?) -> Int64? {
                let values = buckets.compactMap(field)
                return values.isEmpty ? nil : values.reduce(0, &+)
            }
            if let grant = allocation.grants.first(where: { $0.id == org }) {
                orgSpentNanos = sum(grant.buckets, \.spentNanos)
            }
            if let grant = allocation.grants.first(where: { $0.id == carousel }) {
                carouselSpentNanos = sum(grant.buckets, \.spentNanos)
                carouselAmountNanos = sum(grant.buckets, \.amountNanos)
                carouselPercent = grant.buckets.first?.usedPercent
                carouselTier = grant.buckets.first?.tier
            }
        }
    }

    /// "m:ss" of a number of seconds.
    package static func clock(_ seconds: Int) -> String {
        let s = max(0, seconds)
        return "\(s / 60):" + (s % 60 < 10 ? "0" : "") + String(s % 60)
    }

    /// One progress line:
    /// `1:10  sent 281: 200 x262, 429 grant_exceeded x19 | spent $0.41 this run | recs-carousel $0.30 of $0.20 (150%, hard) | search burst on`
    package static func progressLine(elapsedSeconds: Int, tally: Tally, start: Standing?, now: Standing?,
                                     settings: Settings) -> String {
        var parts = ["\(clock(elapsedSeconds))  sent \(tally.sent): \(tally.outcomes)"]
        if let before = start?.orgSpentNanos, let after = now?.orgSpentNanos {
            parts.append("spent \(dollars(max(0, after - before))) this run")
        } else {
            parts.append("spend: allocation table not readable")
        }
        if let spent = now?.carouselSpentNanos, let amount = now?.carouselAmountNanos {
            var text = "recs-carousel \(dollars(spent)) of \(Money.format(nanos: amount))"
            let details = [now?.carouselPercent, now?.carouselTier].compactMap { $0 }
            if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
            parts.append(text)
        }
        let millis = elapsedSeconds * 1_000
        if settings.spikeFactor > 0, settings.spikeEndMillis > settings.spikeStartMillis {
            if millis >= settings.spikeStartMillis && millis < settings.spikeEndMillis + 1_000 {
                parts.append("search burst on")
            } else if millis < settings.spikeStartMillis {
                parts.append("search burst at \(clock(settings.spikeStartMillis / 1_000))")
            }
        }
        return parts.joined(separator: " | ")
    }

    /// Dollars to the 1/100 of a cent: "$0.0099", "$0.41".
    package static func dollars(_ nanos: Int64) -> String {
        Money.format(nanos: (nanos + 50_000) / 100_000 * 100_000)
    }

    /// What the run is about to do, before it starts; `start` is where the
    /// allocation table stands (a second run the same day finds the
    /// carousel's daily grant spent already).
    package static func summary(_ plan: [Request], settings: Settings, start: Standing? = nil) -> [String] {
        let seconds = settings.durationMillis / 1_000
        var lines = ["playing \(clock(seconds)) of demo traffic: \(plan.count) requests, "
            + "\(settings.rate.formatted) a second steady (seed \(settings.seed))"]
        let spikes = plan.filter { $0.purpose == .spike }.count
        if spikes > 0 {
            lines.append("search burst: \(spikes) requests from \(clock(settings.spikeStartMillis / 1_000)) to "
                + "\(clock(settings.spikeEndMillis / 1_000)) (anomaly alert spend_spike expected in the gateway's log)")
        }
        let carousel = plan.filter { $0.purpose == .carousel }
        if let first = carousel.first {
            let spent = start?.carouselSpentNanos ?? 0
            let served = carouselRequestsServed(reservationNanos: reservationNanos(first), spentNanos: spent)
            let warn = carouselRequestsToWarn(spentNanos: spent)
            func at(_ n: Int) -> String { n <= carousel.count ? "at ~" + clock(carousel[n - 1].atMillis / 1_000) : "after this run" }
            var text = "recs carousel: \(carousel.count) demo-large requests at \(Money.format(nanos: carouselCostNanos)) each, "
                + "rising from \(Int(settings.carouselStartShare * 100))% to \(Int(settings.carouselPeakShare * 100))% of the traffic; "
                + "grant recs-carousel (\(Money.format(nanos: carouselGrantNanos))/day"
            if spent > 0 { text += ", \(dollars(spent)) spent today already" }
            text += ")" + (warn > 0 ? " passes warn (80%) \(at(warn))," : "")
                + " refuses \(served == 0 ? "from the start" : at(served + 1)) (429 grant_exceeded: expected)"
            lines.append(text)
        }
        return lines
    }
}

extension Double {
    /// "4", "2.5": without a trailing ".0".
    fileprivate var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
