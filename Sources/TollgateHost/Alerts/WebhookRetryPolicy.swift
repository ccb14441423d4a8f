import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// What one webhook POST came to.
package enum WebhookAttemptResult: Sendable, Equatable {
    /// The receiver answered with this HTTP status.
    case status(Int)
    /// No answer: connection refused, timeout, TLS or DNS failure.
    case transportError(String)
}

/// Decides after each attempt whether a webhook delivery is done, is tried
/// again after a pause, or is given up. No I/O, so the schedule is tested
/// without sockets; the sink's worker thread follows it.
package struct WebhookRetryPolicy: Sendable, Equatable {
    /// Attempts after the first one.
    package var retries: Int
    /// Pause before the first retry; doubles for each later one.
    package var backoffMs: Int
    package var maxBackoffMs: Int

    package enum Step: Sendable, Equatable {
        case delivered
        case retry(afterMs: Int)
        case giveUp(reason: String)
    }

    package init(retries: Int, backoffMs: Int, maxBackoffMs: Int = 30_000) {
        self.retries = retries
        self.backoffMs = backoffMs
        self.maxBackoffMs = maxBackoffMs
    }

    /// `attempt` is 1 for the first try.
    package func step(after result: WebhookAttemptResult, attempt: Int) -> Step {
        if case .status(let code) = result {
            if (200..<300).contains(code) { return .delivered }
            // A 400 or 404 says the request is wrong: asking again will not help.
            if !Self.isTransient(status: code) {
                return .giveUp(reason: "the receiver answered \(code); check the webhook url and headers")
            }
        }
        guard attempt <= retries else {
            return .giveUp(reason: "\(Self.describe(result)) on each of \(attempt) attempts")
        }
        return .retry(afterMs: pause(beforeRetry: attempt))
    }

    /// backoff x 2^(n-1), capped at maxBackoffMs.
    package func pause(beforeRetry n: Int) -> Int {
        var pause = backoffMs
        for _ in 1..<max(1, n) {
            pause = pause > maxBackoffMs / 2 ? maxBackoffMs : pause * 2
        }
        return min(pause, maxBackoffMs)
    }

    static func isTransient(status: Int) -> Bool {
        status == 408 || status == 429 || status >= 500 || status < 200
    }

    static func describe(_ result: WebhookAttemptResult) -> String {
        switch result {
        case .status(let code): return "HTTP \(code)"
        case .transportError(let detail): return detail
        }
    }
}
