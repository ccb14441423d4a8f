import CCurl
import TollgateConfig

/// One libcurl easy handle and what it must keep alive while a request is
/// on it (the header list, the body, the error buffer). `configure` is the
/// one code path that turns an `UpstreamRequest` into curl options —
/// method, headers, body, connect timeout, HTTP version, egress proxy, CA
/// bundle, client certificate — for the upstream transport and for the
/// one-off requests (webhooks, report pulls) alike. Not thread-safe: one
/// owner at a time.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var body: UnsafeMutableRawBufferPointer?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    /// Headers the transport owns (framing, hop-by-hop, the host).
    private static let transportHeaders: Set<String> = [
        "content-length", "transfer-encoding", "connection", "expect", "keep-alive", "te", "upgrade", "host",
    ]

    /// `SSL_CERT_FILE`, as the NIO transport honours it: a CA bundle to
    /// trust instead of the system's (curl itself would ignore it).
    static let environmentCABundle: String? = EgressProxy.processEnvironment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }

    init() {
        CurlGlobal.initialiseOnce()
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed (out of memory)") }
        self.handle = handle
        errorBuffer.initialize(to: 0)
    }

    deinit {
        curl_easy_cleanup(handle)
        releaseRequest()
        errorBuffer.deallocate()
    }

    /// curl's detailed message for the last failure, else its generic one.
    func message(for code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? CurlGlobal.describe(code) : detail
    }

    /// Sets the handle up for `request` from a clean slate (a reset keeps
    /// the handle's connections and DNS cache: a reused handle reuses them).
    /// Throws a failure whose words say what cannot be sent.
    /// `maxIdleSeconds`: a cached connection idle for longer is not reused (closed).
    func configure(_ request: UpstreamRequest, environment: [String: String] = EgressProxy.processEnvironment,
                   maxIdleSeconds: Int = 60) throws {
        curl_easy_reset(handle)
        releaseRequest()
        errorBuffer[0] = 0
        let url = request.url.lowercased()
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            let scheme = request.url.range(of: "://").map { String(request.url[..<$0.lowerBound]) }
            throw UpstreamFailure.connectFailed("the upstream URL \(request.url) is not usable: "
                + (scheme.map { "the scheme '\($0)' is not supported (http or https)" } ?? "it is not an absolute http(s) URL"))
        }
        if case .failure(let why) = UpstreamEndpoint.parse(request.url) {
            throw UpstreamFailure.connectFailed("the upstream URL \(request.url) is not usable: \(why)")
        }
        try check(tg_easy_setopt_str(handle, CURLOPT_URL, request.url), "the URL")
        _ = tg_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = tg_easy_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = tg_easy_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
        // The proxy's CONNECT reply is not the provider's answer.
        _ = tg_easy_setopt_long(handle, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        _ = tg_easy_setopt_long(handle, CURLOPT_MAXAGE_CONN, max(1, maxIdleSeconds))
        if request.connectTimeoutMs > 0 {
            _ = tg_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeoutMs))
        }

        // Method and body. The body's bytes stay ours until the handle is reconfigured.
        let method = request.method.uppercased()
        if method == "GET" && request.body.isEmpty {
            _ = tg_easy_setopt_long(handle, CURLOPT_HTTPGET, 1)
        } else {
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, request.body.count), alignment: 1)
            request.body.withUnsafeBytes { copy.copyMemory(from: $0) }
            body = copy
            _ = tg_easy_setopt_long(handle, CURLOPT_POST, 1)
            _ = tg_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            _ = tg_easy_setopt_ptr(handle, CURLOPT_POSTFIELDS, copy.baseAddress)
            if method != "POST" { try check(tg_easy_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method), "the method") }
        }

        // Headers, as given, less those the transport owns; no 100-continue round trip.
        for (name, value) in request.headers where !Self.transportHeaders.contains(name.lowercased()) {
            appendHeader(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        appendHeader("Expect:")
        _ = tg_easy_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList)

        try applyConnection(request, environment: environment)
    }

    /// HTTP version, proxy, TLS: the options a deployment's connection
    /// settings (`UpstreamOptions`) turn into.
    private func applyConnection(_ request: UpstreamRequest, environment: [String: String]) throws {
        let options = request.connection
        let https = request.url.lowercased().hasPrefix("https://")
        switch options.http2 {
        case false?:
            _ = tg_easy_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        case true? where !https:
            _ = tg_easy_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE))
            _ = tg_easy_setopt_long(handle, CURLOPT_PIPEWAIT, 1)
        default:
            // HTTP/2 where the TLS server offers it (ALPN), HTTP/1.1 otherwise;
            // a new transfer waits for a connection that may multiplex it.
            _ = tg_easy_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
            if https { _ = tg_easy_setopt_long(handle, CURLOPT_PIPEWAIT, 1) }
        }

        if let proxy = EgressProxy.resolve(url: request.url, options: options, environment: environment) {
            try check(tg_easy_setopt_str(handle, CURLOPT_PROXY, proxy.url), "the proxy URL")
            if let credentials = proxy.credentials {
                _ = tg_easy_setopt_str(handle, CURLOPT_PROXYUSERPWD, credentials)
            }
            _ = tg_easy_setopt_str(handle, CURLOPT_NOPROXY, proxy.noProxy ?? "")
        } else {
            // Not curl's own reading of the environment: ours above decides.
            _ = tg_easy_setopt_str(handle, CURLOPT_PROXY, "")
        }

        if let bundle = options.caBundle ?? Self.environmentCABundle {
            try check(tg_easy_setopt_str(handle, CURLOPT_CAINFO, bundle), "the CA bundle")
            _ = tg_easy_setopt_str(handle, CURLOPT_PROXY_CAINFO, bundle)
        }
        if let certificate = options.clientCertificate {
            try check(tg_easy_setopt_str(handle, CURLOPT_SSLCERT, certificate), "the client certificate")
            _ = tg_easy_setopt_str(handle, CURLOPT_SSLCERTTYPE, "PEM")
            if let key = options.clientKey {
                try check(tg_easy_setopt_str(handle, CURLOPT_SSLKEY, key), "the client key")
            }
        }
    }

    private func appendHeader(_ line: String) {
        if let appended = curl_slist_append(headerList, line) { headerList = appended }
    }

    private func check(_ code: CURLcode, _ what: String) throws {
        guard code == CURLE_OK else {
            throw UpstreamFailure.connectFailed("curl refused \(what): \(CurlGlobal.describe(code))")
        }
    }

    private func releaseRequest() {
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        body?.deallocate()
        body = nil
    }
}
