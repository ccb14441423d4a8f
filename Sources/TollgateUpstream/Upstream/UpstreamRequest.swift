import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// One HTTP request to a provider.
package struct UpstreamRequest: Sendable {
    package var url: String
    /// "POST" or "GET" (anything else is sent as a custom method).
    package var method: String
    /// Sent as given, except the framing headers the transport owns
    /// (content-length, transfer-encoding, connection, expect).
    package var headers: [(String, String)]
    package var body: [UInt8]
    package var connectTimeoutMs: Int64
    /// From the request being sent to the first response byte (headers count).
    package var firstByteTimeoutMs: Int64
    /// The longest gap allowed between two body reads (not counted while paused).
    package var idleTimeoutMs: Int64
    /// Proxy, HTTP version, certificates (the curl transport reads them;
    /// the registry sends a call that needs them to curl).
    package var connection: UpstreamOptions

    package init(url: String, method: String = "POST", headers: [(String, String)] = [], body: [UInt8] = [],
                connectTimeoutMs: Int64 = 10_000, firstByteTimeoutMs: Int64 = 120_000, idleTimeoutMs: Int64 = 60_000,
                connection: UpstreamOptions = UpstreamOptions()) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.connectTimeoutMs = connectTimeoutMs
        self.firstByteTimeoutMs = firstByteTimeoutMs
        self.idleTimeoutMs = idleTimeoutMs
        self.connection = connection
    }
}

/// Why an upstream exchange did not complete.
package enum UpstreamFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Refused, DNS, TLS...: nothing was sent, so a retry elsewhere is safe.
    case connectFailed(String)
    case connectTimeout, firstByteTimeout, idleTimeout
    /// The connection broke mid-response, etc.
    case transport(String)

    package var description: String {
        switch self {
        case .connectFailed(let why): return "could not connect to the upstream: \(why)"
        case .connectTimeout: return "timed out connecting to the upstream"
        case .firstByteTimeout: return "the upstream did not start answering in time"
        case .idleTimeout: return "the upstream stopped sending mid-response"
        case .transport(let why): return "upstream transfer failed: \(why)"
        }
    }
}
