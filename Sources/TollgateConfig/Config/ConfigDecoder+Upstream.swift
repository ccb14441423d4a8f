import TollgateSupport

extension ConfigDecoder {
    /// The connection keys a provider, a model or a deployment may carry.
    static let upstreamKeys = ["transport", "http2", "proxy", "proxy_auth_env", "client_certificate", "client_key", "ca_bundle"]

    /// Reads the connection keys present in `f` (each optional).
    func decodeUpstreamOptions(_ f: Fields, context: String) -> UpstreamOptions {
        var options = UpstreamOptions()
        options.transport = f["transport"].flatMap { choice($0, UpstreamTransportKind.self, what: "transport") }
        options.http2 = f["http2"].flatMap { boolean($0, what: "http2") }
        if let node = f["proxy"], let url = proxyURL(node) { options.proxy = url }
        options.proxyAuthEnv = f["proxy_auth_env"].flatMap { environmentName($0, what: "proxy_auth_env") }
        options.clientCertificate = f["client_certificate"].flatMap { path($0, what: "client_certificate") }
        options.clientKey = f["client_key"].flatMap { path($0, what: "client_key") }
        options.caBundle = f["ca_bundle"].flatMap { path($0, what: "ca_bundle") }
        if let node = f["client_key"], f["client_certificate"] == nil {
            fail(node, "client_key in \(context) needs client_certificate (the certificate the key belongs to)")
        }
        if let node = f["transport"], options.transport == .nio {
            let curlOnly = ["http2", "proxy", "client_certificate"].filter { key in
                key == "http2" ? options.http2 == true : f[key] != nil
            }
            if !curlOnly.isEmpty {
                fail(node, "transport nio cannot carry \(curlOnly.joined(separator: ", ")) in \(context); use transport: curl (or remove the transport line)")
            }
        }
        return options
    }

    /// `providers:` — connection defaults per provider kind (`openai:`,
    /// `anthropic:`), under every model of that provider.
    func decodeProviders(_ node: YAMLNode?) -> [String: UpstreamOptions] {
        guard let node else { return [:] }
        let names = ProviderKind.allCases.filter { $0 != .mock }.map(\.rawValue)
        guard let f = fields(node, context: "providers", expected: "a mapping of provider names (\(names.joined(separator: ", "))) to connection settings",
                             allowed: names) else { return [:] }
        var result: [String: UpstreamOptions] = [:]
        for name in names {
            guard let entry = f[name],
                  let e = fields(entry, context: "provider '\(name)'", expected: "connection settings (transport, http2, proxy, ...)",
                                 allowed: Self.upstreamKeys) else { continue }
            result[name] = decodeUpstreamOptions(e, context: "provider '\(name)'")
        }
        return result
    }

    func boolean(_ node: YAMLNode, what: String) -> Bool? {
        switch node.scalar?.text {
        case "true"?: return true
        case "false"?: return false
        default:
            fail(node, "expected \(what) (true or false), got \(node.scalar.map { "'\($0.text)'" } ?? node.kindDescription)")
            return nil
        }
    }

    /// An http(s) proxy URL with no credentials in it (they belong in the
    /// environment: `proxy_auth_env`).
    private func proxyURL(_ node: YAMLNode) -> String? {
        guard let text = string(node, expected: "proxy (an http:// or https:// URL)") else { return nil }
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), text.count > 8, !text.contains(" ") else {
            fail(node, "proxy must be an http:// or https:// URL such as http://proxy.internal:3128, got '\(text)'")
            return nil
        }
        let authority = text.drop { $0 != "/" }.dropFirst(2).prefix { $0 != "/" }
        if authority.contains("@") {
            fail(node, "proxy credentials do not belong in the config file; put 'user:password' in an environment variable and name it with proxy_auth_env")
            return nil
        }
        return text
    }
}
