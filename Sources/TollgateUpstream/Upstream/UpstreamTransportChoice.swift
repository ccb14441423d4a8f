import TollgateConfig

/// Which transport carries a deployment's calls: the one its settings
/// name (else `UpstreamTransportKind.default`), except that a deployment
/// whose calls need what only libcurl does — HTTP/2, a proxy (its own, or
/// one the environment sets for its host), a client certificate — takes
/// curl whatever it says: a user who sets `HTTPS_PROXY` expects every
/// outbound byte to take that path.
package enum UpstreamTransportChoice {
    /// Whether the environment names any proxy at all (read once): when it
    /// does not, the choice needs no look at the URL.
    static let environmentHasProxy: Bool = ["https_proxy", "http_proxy", "all_proxy"].contains { name in
        [name, name.uppercased()].contains { !(EgressProxy.processEnvironment[$0] ?? "").isEmpty }
    }

    package static func kind(for deployment: Deployment, environment: [String: String]? = nil) -> UpstreamTransportKind {
        let options = deployment.connection
        if options.needsCurl { return .curl }
        let hasProxy = environment.map { env in
            ["https_proxy", "http_proxy", "all_proxy"].contains { [$0, $0.uppercased()].contains { !(env[$0] ?? "").isEmpty } }
        } ?? environmentHasProxy
        if hasProxy, let url = deployment.baseURL,
           EgressProxy.resolve(url: url, options: options, environment: environment ?? EgressProxy.processEnvironment) != nil {
            return .curl
        }
        return options.transport ?? .default
    }
}
