import TollgateSupport
import TollgateHost
import TollgateUpstream

/// A blocking POST through libcurl (`CurlOneRequest`), on the alert
/// sink's own worker thread: never on an event loop, so a slow receiver
/// never shares a thread with provider traffic. The same options as the
/// upstream calls — the egress proxy from the environment (`HTTPS_PROXY`,
/// `HTTP_PROXY`, `NO_PROXY`), `SSL_CERT_FILE` — and the receiver's
/// connection is kept alive between deliveries.
package final class HTTPWebhookPoster: WebhookPoster {
    private var client: CurlOneRequest?

    package init() {}

    package func post(url: String, body: [UInt8], headers: [(String, String)], timeoutMs: Int) -> WebhookAttemptResult {
        var fields: [(String, String)] = [("content-type", "application/json"), ("user-agent", "tollgate-alerts")]
        for (name, value) in headers {
            fields.removeAll { $0.0.lowercased() == name.lowercased() }
            fields.append((name, value))
        }
        let bound = Int64(max(1, timeoutMs))
        let client = self.client ?? CurlOneRequest(maxBodyBytes: 64 << 10)
        self.client = client
        let request = UpstreamRequest(url: url, method: "POST", headers: fields, body: body,
                                      connectTimeoutMs: bound, firstByteTimeoutMs: bound, idleTimeoutMs: bound)
        do {
            return .status(try client.perform(request, timeoutMs: Int(bound)).status)
        } catch let failure as UpstreamFailure {
            switch failure {
            case .connectTimeout, .firstByteTimeout, .idleTimeout: return .transportError("no answer within \(timeoutMs) ms")
            default: return .transportError(failure.description)
            }
        } catch {
            return .transportError("\(error)")
        }
    }

    package func close() {
        client = nil
    }
}
