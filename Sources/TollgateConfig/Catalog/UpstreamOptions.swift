import TollgateSupport

/// Which HTTP client carries a deployment's calls.
package enum UpstreamTransportKind: String, Sendable, Equatable, CaseIterable {
    /// libcurl's multi interface on the gateway's event loops: HTTP/2,
    /// egress proxies, client certificates.
    case curl
    /// The gateway's own HTTP/1.1 client on SwiftNIO's codec.
    case nio

    /// What a deployment uses when neither it, its model nor its provider
    /// says — and nothing needs libcurl (a proxy, from the config or the
    /// environment; HTTP/2; a client certificate): the NIO client, the
    /// faster of the two in the two-transport run (bench/RESULTS.md,
    /// "libcurl or NIO": 35–55% less gateway CPU per request, well outside
    /// the noise).
    package static let `default` = UpstreamTransportKind.nio
}

/// How the gateway connects to a deployment: transport, HTTP version,
/// egress proxy, client certificate, CA bundle. Each field is optional so a
/// deployment's setting overrides its model's, which overrides its
/// provider's (`providers:` in the config).
package struct UpstreamOptions: Sendable, Equatable, Hashable {
    package var transport: UpstreamTransportKind?
    /// true: HTTP/2 (over TLS by ALPN; to an http:// URL with prior
    /// knowledge, h2c); false: HTTP/1.1 only; nil: HTTP/2 where a TLS
    /// server offers it, HTTP/1.1 otherwise.
    package var http2: Bool?
    /// The egress proxy's URL (no credentials: those come from
    /// `proxyAuthEnv`); nil: the standard environment (`HTTPS_PROXY`,
    /// `HTTP_PROXY`, `NO_PROXY`).
    package var proxy: String?
    /// The environment variable that holds the proxy's `user:password`.
    package var proxyAuthEnv: String?
    /// PEM client certificate and key for mTLS (absolute paths).
    package var clientCertificate: String?
    package var clientKey: String?
    /// PEM bundle of CA certificates to trust instead of the system's.
    package var caBundle: String?

    package init(transport: UpstreamTransportKind? = nil, http2: Bool? = nil, proxy: String? = nil, proxyAuthEnv: String? = nil,
                 clientCertificate: String? = nil, clientKey: String? = nil, caBundle: String? = nil) {
        self.transport = transport
        self.http2 = http2
        self.proxy = proxy
        self.proxyAuthEnv = proxyAuthEnv
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.caBundle = caBundle
    }

    /// These settings, with `fallback`'s where these leave one unset.
    package func over(_ fallback: UpstreamOptions) -> UpstreamOptions {
        UpstreamOptions(transport: transport ?? fallback.transport, http2: http2 ?? fallback.http2,
                        proxy: proxy ?? fallback.proxy, proxyAuthEnv: proxyAuthEnv ?? fallback.proxyAuthEnv,
                        clientCertificate: clientCertificate ?? fallback.clientCertificate,
                        clientKey: clientKey ?? fallback.clientKey, caBundle: caBundle ?? fallback.caBundle)
    }

    /// Settings only libcurl carries: asking for any of them puts the
    /// deployment on the curl transport whatever `transport` says.
    package var needsCurl: Bool {
        http2 == true || proxy != nil || clientCertificate != nil
    }
}
