import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// Where an upstream request goes: the connection part of its URL (the
/// pool key) and the request target.
package struct UpstreamEndpoint: Hashable, Sendable {
    var tls: Bool
    /// Without brackets for an IPv6 literal.
    var host: String
    var port: Int
    /// The `host` header: the URL's authority as written.
    var authority: String

    /// The name to send in TLS SNI: none for an IP literal.
    var serverName: String? {
        if host.contains(":") { return nil }
        if host.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }) { return nil }
        return host
    }

    /// Splits an absolute http(s) URL. The error says what is wrong with it.
    static func parse(_ url: String) -> Result<(UpstreamEndpoint, target: String), UpstreamConnectionError> {
        let tls: Bool
        let rest: Substring
        // "://" by bytes (String.range(of:) goes through Foundation: ~30k instructions).
        let utf8 = url.utf8
        var separator: String.Index?
        var i = utf8.startIndex
        while i < utf8.endIndex {
            if utf8[i] == UInt8(ascii: ":") {
                let slash1 = utf8.index(after: i)
                if slash1 < utf8.endIndex, utf8[slash1] == UInt8(ascii: "/") {
                    let slash2 = utf8.index(after: slash1)
                    if slash2 < utf8.endIndex, utf8[slash2] == UInt8(ascii: "/") { separator = i }
                }
                break
            }
            i = utf8.index(after: i)
        }
        guard let separator else { return .failure(.init("it is not an absolute http(s) URL")) }
        switch url[url.startIndex..<separator].lowercased() {
        case "http": tls = false
        case "https": tls = true
        case let other: return .failure(.init("the scheme '\(other)' is not supported (http or https)"))
        }
        rest = url[utf8.index(separator, offsetBy: 3)...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if let hash = target.firstIndex(of: "#") { target = String(target[target.startIndex..<hash]) }
        if target.isEmpty { target = "/" } else if target.first == "?" { target = "/" + target }
        if authority.contains("@") { return .failure(.init("credentials in the URL are not supported; send them as a header")) }

        var host: Substring
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return .failure(.init("the IPv6 address has no closing ']'")) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { return .failure(.init("unexpected text after the IPv6 address")) }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[authority.startIndex..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return .failure(.init("it has no host")) }
        var port = tls ? 443 : 80
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                return .failure(.init("the port '\(portText)' is not a number from 1 to 65535"))
            }
            port = value
        }
        let endpoint = UpstreamEndpoint(tls: tls, host: String(host), port: port, authority: String(authority))
        return .success((endpoint, target))
    }
}

/// Why a connection could not be had, in words: an unusable URL, TLS not
/// set up, the pool shutting down, a close during the handshake.
package struct UpstreamConnectionError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
