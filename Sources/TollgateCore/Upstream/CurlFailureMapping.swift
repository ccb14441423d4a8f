import CCurl

/// Turns a curl result into the failure the gateway reasons about.
enum CurlFailureMapping {
    static func failure(code: CURLcode, transfer: CurlTransfer) -> UpstreamFailure {
        let detail = String(cString: transfer.errorBuffer)
        let summary = String(cString: curl_easy_strerror(code))
        let message = "\(detail.isEmpty ? summary : detail) (curl error \(code.rawValue), \(transfer.request.url))"
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
             CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .connectFailed(message)
        case CURLE_OPERATION_TIMEDOUT:
            // No overall timeout is set, so curl only times out connecting;
            // our own deadlines cover the rest.
            return transfer.receivedFirstByte ? .transport(message) : .connectTimeout
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .transport("the upstream closed the connection before the response was complete: \(message)")
        default:
            return .transport(message)
        }
    }
}
