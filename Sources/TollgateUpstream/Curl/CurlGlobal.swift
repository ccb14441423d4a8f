import CCurl

/// `curl_global_init`, once per process, before the first handle.
enum CurlGlobal {
    private static let initialised: Bool = curl_global_init(tg_global_all()) == CURLE_OK

    static func initialiseOnce() {
        precondition(initialised, "curl_global_init failed")
    }

    /// curl's message for a result code.
    static func describe(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }
}
