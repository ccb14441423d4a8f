import CCurl
import Foundation
import NIOConcurrencyHelpers

/// A blocking request through libcurl, for what is not on the hot path:
/// webhook deliveries and the reconciliation command's report pulls. The
/// options come from the same `CurlEasy.configure` as the upstream
/// transport's (egress proxy, CA bundle, client certificate), and the
/// handle is kept between requests, so its connections are reused.
/// Thread-safe: one request at a time.
package final class CurlOneRequest: @unchecked Sendable {
    package struct Answer: Sendable {
        package var status: Int
        package var headers: [(String, String)]
        package var body: [UInt8]
    }

    private let lock = NIOLock()
    private var easy: CurlEasy?
    /// Bodies past this are cut (an answer we only read for its status or a
    /// report page): a bound, not a stream.
    private let maxBodyBytes: Int

    package init(maxBodyBytes: Int = 64 << 20) { self.maxBodyBytes = maxBodyBytes }

    /// Sends `request`, waiting at most `timeoutMs` for the whole exchange.
    /// Throws `UpstreamFailure`.
    package func perform(_ request: UpstreamRequest, timeoutMs: Int) throws -> Answer {
        try lock.withLock {
            let easy = self.easy ?? CurlEasy()
            self.easy = easy
            try easy.configure(request)
            let sink = Sink(limit: maxBodyBytes)
            let me = Unmanaged.passUnretained(sink).toOpaque()
            _ = tg_easy_setopt_long(easy.handle, CURLOPT_TIMEOUT_MS, max(1, timeoutMs))
            _ = tg_easy_setopt_ptr(easy.handle, CURLOPT_HEADERDATA, me)
            _ = tg_easy_setopt_ptr(easy.handle, CURLOPT_WRITEDATA, me)
            _ = tg_easy_setopt_header_callback(easy.handle) { bytes, size, count, user in
                Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue().header(UnsafeRawBufferPointer(start: bytes, count: size * count))
            }
            _ = tg_easy_setopt_write_callback(easy.handle) { bytes, size, count, user in
                Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue().body(UnsafeRawBufferPointer(start: bytes, count: size * count))
            }
            let code = withExtendedLifetime(sink) { curl_easy_perform(easy.handle) }
            guard code == CURLE_OK else {
                let message = easy.message(for: code)
                switch code {
                case CURLE_OPERATION_TIMEDOUT: throw UpstreamFailure.firstByteTimeout
                case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR,
                     CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE:
                    throw UpstreamFailure.connectFailed(message)
                default: throw UpstreamFailure.transport(message)
                }
            }
            var status = 0
            _ = tg_easy_getinfo_long(easy.handle, CURLINFO_RESPONSE_CODE, &status)
            return Answer(status: status, headers: sink.headers, body: sink.bytes)
        }
    }

    /// Collects one answer (the last header block's headers).
    private final class Sink {
        var headers: [(String, String)] = []
        var bytes: [UInt8] = []
        let limit: Int
        init(limit: Int) { self.limit = limit }

        func header(_ line: UnsafeRawBufferPointer) -> Int {
            if line.starts(with: "HTTP/".utf8) {
                headers.removeAll()
            } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                headers.append((String(decoding: line[..<colon], as: UTF8.self),
                                String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            return line.count
        }

        func body(_ chunk: UnsafeRawBufferPointer) -> Int {
            if bytes.count < limit { bytes.append(contentsOf: chunk.prefix(limit - bytes.count)) }
            return chunk.count
        }
    }
}
