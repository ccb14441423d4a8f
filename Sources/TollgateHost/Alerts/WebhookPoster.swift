import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// Sends one webhook POST and waits for the answer. The sink's worker
/// thread is its only caller; tests put a fake in its place.
package protocol WebhookPoster: AnyObject {
    func post(url: String, body: [UInt8], headers: [(String, String)], timeoutMs: Int) -> WebhookAttemptResult
    /// The sink's worker is done with it: release connections and threads.
    func close()
}

extension WebhookPoster {
    package func close() {}
}
