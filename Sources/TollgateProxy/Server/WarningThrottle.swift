import Logging
import NIOConcurrencyHelpers
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// Logs a repeated warning at most once per interval per topic, saying how
/// many were left out.
package final class WarningThrottle: @unchecked Sendable {
    private let lock = NIOLock()
    private var last: [String: (at: UInt64, skipped: Int)] = [:]
    private let intervalNanos: UInt64

    init(intervalSeconds: UInt64 = 10) {
        intervalNanos = intervalSeconds * 1_000_000_000
    }

    func warn(_ topic: String, logger: Logger, _ message: @autoclosure () -> String) {
        let now = MonotonicClock.nanos()
        let skipped: Int? = lock.withLock {
            if let previous = last[topic], now - previous.at < intervalNanos {
                last[topic] = (previous.at, previous.skipped + 1)
                return nil
            }
            let skipped = last[topic]?.skipped ?? 0
            last[topic] = (now, 0)
            return skipped
        }
        guard let skipped else { return }
        logger.warning("\(message())\(skipped > 0 ? " (\(skipped) more since the last warning)" : "")")
    }
}
