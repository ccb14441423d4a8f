import Foundation
import TollgateConfig

/// Which egress proxy a request takes: the deployment's `proxy:` if it has
/// one, else the standard environment — `https_proxy`/`HTTPS_PROXY` for
/// https URLs, `http_proxy`/`HTTP_PROXY` for http ones, `all_proxy`/
/// `ALL_PROXY` for both — unless `no_proxy`/`NO_PROXY` names the host.
/// The proxy's credentials come from the environment only: the variable
/// `proxy_auth_env` names, or the user part of an environment proxy URL.
package struct EgressProxy: Sendable, Equatable {
    /// The proxy's URL as curl takes it.
    package var url: String
    /// `user:password`, or nil.
    package var credentials: String?
    /// The hosts that bypass an environment proxy (curl matches them); nil
    /// for a configured proxy, which applies to every call of its deployment.
    package var noProxy: String?

    /// The process's environment, read once: every outbound call consults it.
    package static let processEnvironment = ProcessInfo.processInfo.environment

    /// The proxy for `url` under `options`, or nil: go direct.
    package static func resolve(url: String, options: UpstreamOptions,
                                environment: [String: String] = processEnvironment) -> EgressProxy? {
        func env(_ name: String) -> String? {
            for key in [name.lowercased(), name.uppercased()] {
                if let value = environment[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return value }
            }
            return nil
        }
        // Read at each call, like the API keys: rotating them needs no restart.
        let credentials = options.proxyAuthEnv.flatMap { environment[$0] ?? getenv($0).map { String(cString: $0) } }
            .flatMap { $0.isEmpty ? nil : $0 }
        if let configured = options.proxy {
            return EgressProxy(url: configured, credentials: credentials, noProxy: nil)
        }
        let https = url.lowercased().hasPrefix("https://")
        guard let fromEnvironment = env(https ? "https_proxy" : "http_proxy") ?? env("all_proxy") else { return nil }
        let noProxy = env("no_proxy")
        if let noProxy, bypasses(host: host(of: url), noProxy: noProxy) { return nil }
        return EgressProxy(url: fromEnvironment, credentials: credentials, noProxy: noProxy)
    }

    /// `NO_PROXY` as curl reads it: comma-separated names; `*` is every
    /// host; a name matches itself and its subdomains (a leading dot is
    /// ignored); an IP address matches itself.
    static func bypasses(host: String, noProxy: String) -> Bool {
        let host = host.lowercased()
        for raw in noProxy.split(separator: ",") {
            var entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if entry == "*" { return true }
            if entry.hasPrefix(".") { entry.removeFirst() }
            if entry.hasPrefix("["), entry.hasSuffix("]") { entry = String(entry.dropFirst().dropLast()) }
            guard !entry.isEmpty else { continue }
            if host == entry || host.hasSuffix("." + entry) { return true }
        }
        return false
    }

    /// The host of an absolute URL (without brackets for IPv6).
    static func host(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "" }
        var authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.first == "[", let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        return String(authority.prefix { $0 != ":" })
    }
}
