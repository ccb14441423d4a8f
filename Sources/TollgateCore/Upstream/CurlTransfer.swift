import CCurl
import NIOCore

/// One transfer. The public methods may be called from any thread; every
/// other member belongs to the curl thread.
final class CurlTransfer: UpstreamTransfer, @unchecked Sendable {
    let request: UpstreamRequest
    let gate: UpstreamDelegateGate
    /// Strong: a transfer may be cancelled after the caller dropped the transport.
    let transport: CurlTransport

    // Curl thread only.
    var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    let errorBuffer: UnsafeMutablePointer<CChar>
    var allocator = ByteBufferAllocator()
    var paused = false
    var addedAtMs: Int64 = 0
    var sentAtMs: Int64?
    var lastActivityMs: Int64 = 0
    var receivedFirstByte = false
    var headDelivered = false
    var status = 0
    var headers: [(String, String)] = []
    /// Body bytes read during this loop turn, hopped to the event loop at its
    /// end: at most one buffer and one hop per transfer per turn.
    var pendingBody: ByteBuffer?

    init(request: UpstreamRequest, transport: CurlTransport, gate: UpstreamDelegateGate) {
        self.request = request
        self.transport = transport
        self.gate = gate
        let size = Int(tg_error_size())
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
    }

    deinit {
        errorBuffer.deallocate()
    }

    // MARK: UpstreamTransfer (any thread)

    func cancel() {
        if gate.cancel() { transport.enqueue(.cancel(self)) }
    }

    func pause() {
        if !gate.isClosed { transport.enqueue(.pause(self)) }
    }

    func resume() {
        if !gate.isClosed { transport.enqueue(.resume(self)) }
    }

    // MARK: curl thread

    func makeEasyHandle(allocator: ByteBufferAllocator) throws {
        self.allocator = allocator
        guard let easy = curl_easy_init() else { throw UpstreamFailure.transport("curl_easy_init failed (out of memory)") }
        self.easy = easy
        let me = Unmanaged.passUnretained(self).toOpaque()
        func check(_ code: CURLcode, _ what: String) throws {
            if code != CURLE_OK {
                throw UpstreamFailure.transport("could not set \(what) on the upstream request: \(String(cString: curl_easy_strerror(code)))")
            }
        }
        try check(tg_easy_setopt_str(easy, CURLOPT_URL, request.url), "the URL \(request.url)")
        _ = tg_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = tg_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        // Wait for an HTTP/2 connection in progress rather than opening another.
        _ = tg_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1)
        _ = tg_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        _ = tg_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        if request.connectTimeoutMs > 0 {
            _ = tg_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeoutMs))
        }
        _ = tg_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = tg_easy_setopt_ptr(easy, CURLOPT_PRIVATE, me)
        _ = tg_easy_setopt_write_cb(easy, curlWriteCallback)
        _ = tg_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, me)
        _ = tg_easy_setopt_header_cb(easy, curlHeaderCallback)
        _ = tg_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, me)

        switch request.method.uppercased() {
        case "GET":
            _ = tg_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "POST":
            _ = tg_easy_setopt_long(easy, CURLOPT_POST, 1)
        default:
            try check(tg_easy_setopt_str(easy, CURLOPT_CUSTOMREQUEST, request.method), "the method \(request.method)")
        }
        if request.method.uppercased() != "GET" {
            _ = tg_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            // Curl keeps its own copy, so the request may go away.
            let body = request.body.isEmpty ? [0] : request.body  // a valid pointer even when empty
            try body.withUnsafeBufferPointer { body in
                try check(tg_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: body.baseAddress!)),
                          "the request body")
            }
        }

        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers {
            switch name.lowercased() {
            case "content-length", "transfer-encoding", "connection", "expect", "keep-alive", "te", "upgrade": continue
            default: list = curl_slist_append(list, "\(name): \(value)")
            }
        }
        // An empty Expect disables curl's 100-continue round trip.
        list = curl_slist_append(list, "Expect:")
        headerList = list
        _ = tg_easy_setopt_ptr(easy, CURLOPT_HTTPHEADER, list)
    }

    func destroyEasyHandle() {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        pendingBody = nil
    }

    /// The deadline that applies now, and the failure if it passes.
    func deadline(now: Int64) -> (Int64, UpstreamFailure)? {
        if !receivedFirstByte {
            guard request.firstByteTimeoutMs > 0 else { return nil }
            if sentAtMs == nil, let easy, requestWasSent(easy) { sentAtMs = now }
            if let sentAtMs { return (sentAtMs + request.firstByteTimeoutMs, .firstByteTimeout) }
            // Not connected yet: curl's connect timeout applies; this bound
            // only guards against missing the moment the request went out.
            let connect = request.connectTimeoutMs > 0 ? request.connectTimeoutMs : 300_000
            return (addedAtMs + connect + request.firstByteTimeoutMs, .firstByteTimeout)
        }
        guard !paused, request.idleTimeoutMs > 0 else { return nil }
        return (lastActivityMs + request.idleTimeoutMs, .idleTimeout)
    }

    private func requestWasSent(_ easy: UnsafeMutableRawPointer) -> Bool {
        var pretransfer: curl_off_t = 0
        _ = tg_easy_getinfo_off(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer)
        if pretransfer > 0 { return true }
        var requestSize = 0
        _ = tg_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestSize)
        return requestSize > 0
    }

    func flushBody() {
        guard let bytes = pendingBody else { return }
        pendingBody = nil
        let gate = gate
        gate.eventLoop.execute { gate.body(bytes) }
    }

    /// Last call for this transfer (nil = complete). Never called after cancel.
    func fail(_ failure: UpstreamFailure?) {
        let gate = gate
        gate.eventLoop.execute { gate.finish(failure) }
    }

    func deliverHeadIfMissing() {
        guard !headDelivered else { return }
        headDelivered = true
        if status == 0, let easy {
            var code = 0
            _ = tg_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
            status = code
        }
        let (gate, status, headers) = (gate, status, headers)
        gate.eventLoop.execute { gate.head(status: status, headers: headers) }
    }
}
