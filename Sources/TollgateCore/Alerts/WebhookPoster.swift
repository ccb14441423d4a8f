import CCurl

/// Sends one webhook POST and waits for the answer. The sink's worker
/// thread is its only caller; tests put a fake in its place.
public protocol WebhookPoster: AnyObject {
    func post(url: String, body: [UInt8], headers: [(String, String)], timeoutMs: Int) -> WebhookAttemptResult
}

/// A blocking POST with one curl easy handle, reused so a receiver's
/// keep-alive connection is reused too. Deliberately not the upstream
/// transport: alerts are rare, and a slow receiver must never share a
/// thread with provider traffic.
final class CurlWebhookPoster: WebhookPoster {
    private var easy: UnsafeMutableRawPointer?
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() {
        CurlGlobal.initialiseOnce()
        let size = Int(tg_error_size())
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
    }

    deinit {
        if let easy { curl_easy_cleanup(easy) }
        errorBuffer.deallocate()
    }

    func post(url: String, body: [UInt8], headers: [(String, String)], timeoutMs: Int) -> WebhookAttemptResult {
        if let easy {
            curl_easy_reset(easy)  // keeps the connection cache
        } else {
            easy = curl_easy_init()
        }
        guard let easy else { return .transportError("curl_easy_init failed (out of memory)") }
        errorBuffer[0] = 0
        guard tg_easy_setopt_str(easy, CURLOPT_URL, url) == CURLE_OK else {
            return .transportError("curl refused the url \(url)")
        }
        _ = tg_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = tg_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, timeoutMs))
        _ = tg_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, timeoutMs))
        _ = tg_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = tg_easy_setopt_write_cb(easy, { _, size, count, _ in size * count })  // the answer's body is ignored
        _ = tg_easy_setopt_long(easy, CURLOPT_POST, 1)
        _ = tg_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        let bytes = body.isEmpty ? [0] : body  // a valid pointer even when empty
        bytes.withUnsafeBufferPointer {
            _ = tg_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress!))
        }
        var list: UnsafeMutablePointer<curl_slist>?
        list = curl_slist_append(list, "Content-Type: application/json")
        list = curl_slist_append(list, "User-Agent: tollgate-alerts")
        list = curl_slist_append(list, "Expect:")  // no 100-continue round trip
        for (name, value) in headers { list = curl_slist_append(list, "\(name): \(value)") }
        defer { curl_slist_free_all(list) }
        _ = tg_easy_setopt_ptr(easy, CURLOPT_HTTPHEADER, list)

        let code = curl_easy_perform(easy)
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            return .transportError(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        var status = 0
        _ = tg_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .status(status)
    }
}

/// curl_global_init, once per process, before the first easy handle.
enum CurlGlobal {
    private static let initialised: Bool = {
        curl_global_init(tg_global_all()) == CURLE_OK
    }()

    static func initialiseOnce() {
        precondition(initialised, "curl_global_init failed")
    }
}
