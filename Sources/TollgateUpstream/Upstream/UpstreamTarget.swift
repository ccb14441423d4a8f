import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// Turns a catalog entry and a request into the HTTP request the provider
/// expects: its URL, its auth header, its version header.
package struct UpstreamTarget {
    package var request: UpstreamRequest

    /// Headers from the client that providers need to see as sent: every
    /// dialect's, whichever the call (as they always were).
    static let forwardedClientHeaders = APIDialect.allCases.flatMap { $0.wire.forwardedClientHeaders }

    package static func make(entry: ModelEntry, deployment: Deployment, dialect: APIDialect, request: CanonicalRequest,
                     clientHeaders: HTTPHeaders, timeouts: UpstreamTimeouts) throws -> UpstreamTarget {
        // The provider's own dialect (the call's: ProxyCall checks); nil for
        // the in-process mock, which speaks the call's and takes a bearer
        // token.
        let providerWire = entry.provider.dialect?.wire
        let base: String
        if entry.provider == .mock {
            base = "http://in-process.mock/v1"
        } else {
            guard var url = deployment.baseURL, !url.isEmpty else {
                throw GatewayError.internalError("Deployment '\(deployment.name)' of model '\(entry.name)' has no base_url in the catalog.")
            }
            while url.hasSuffix("/") { url.removeLast() }
            base = url
        }
        let path = dialect.wire.upstreamPath(base: base)
        var headers: [(String, String)] = [
            ("content-type", "application/json"),
            ("accept", request.stream ? "text/event-stream" : "application/json"),
            ("user-agent", "tollgate/\(TollgateVersion.string)"),
        ]
        if let env = deployment.apiKeyEnv {
            guard let key = deployment.apiKey(), !key.isEmpty else {
                throw GatewayError(status: 500, type: "api_error", code: "upstream_credentials_missing",
                                   message: "The gateway has no credentials for model '\(entry.name)': environment variable \(env) is not set.")
            }
            guard HTTPHeaderValidation.isValidValue(key) else {
                throw GatewayError(status: 500, type: "api_error", code: "upstream_credentials_invalid",
                                   message: "The gateway's credentials for model '\(entry.name)' cannot be sent: environment variable \(env) holds a control character.")
            }
            headers.append(providerWire?.credentialHeader(key: key) ?? ("authorization", "Bearer \(key)"))
        }
        for name in forwardedClientHeaders {
            if let value = clientHeaders.first(name: name) { headers.append((name, value)) }
        }
        // The mock provider's header directives (docs/mock-provider.md) reach
        // the in-process mock and a mock on this machine; they never leave it.
        if entry.provider == .mock || Self.isLoopback(base) {
            for header in clientHeaders where header.name.utf8.count > 7 && header.name.lowercased().hasPrefix("x-mock-") {
                headers.append((header.name.lowercased(), header.value))
            }
        }
        for (name, value) in providerWire?.defaultUpstreamHeaders ?? [] where clientHeaders.first(name: name) == nil {
            headers.append((name, value))
        }
        let upstream = UpstreamRequest(url: base + path, method: "POST", headers: headers,
                                       body: request.upstreamBody(upstreamModel: deployment.upstreamModel),
                                       connectTimeoutMs: timeouts.connectMs, firstByteTimeoutMs: timeouts.firstByteMs,
                                       idleTimeoutMs: timeouts.idleMs, connection: deployment.connection)
        return UpstreamTarget(request: upstream)
    }
}

extension UpstreamTarget {
    /// A URL whose host is this machine: localhost, 127.0.0.0/8 or [::1].
    static func isLoopback(_ url: String) -> Bool {
        guard let schemeEnd = url.range(of: "://") else { return false }
        let rest = url[schemeEnd.upperBound...]
        if rest.hasPrefix("[::1]") { return true }
        let host = rest.prefix { $0 != ":" && $0 != "/" }.lowercased()
        return host == "localhost" || (host.hasPrefix("127.") && host.allSatisfy { $0 == "." || ("0"..."9").contains($0) })
    }
}
