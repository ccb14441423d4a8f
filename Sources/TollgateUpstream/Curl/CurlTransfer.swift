import CCurl
import Foundation
import NIOCore

/// One exchange on a loop's multi handle. Curl calls its header, write and
/// pre-request callbacks from inside `curl_multi_socket_action` on the
/// loop, and they hand the answer to the delegate as it arrives: the head
/// at the blank line that ends the final (non-1xx) header block, body bytes
/// as curl reads them. Confined to the loop; the public methods hop there
/// when called from elsewhere.
final class CurlTransfer: UpstreamTransfer, @unchecked Sendable {
    let request: UpstreamRequest
    let gate: UpstreamDelegateGate
    private let multi: CurlMulti
    private(set) var easy: CurlEasy?
    private var clock: UpstreamPhaseClock!
    private var eventLoop: EventLoop { gate.eventLoop }
    private let allocator = ByteBufferAllocator()

    /// The header block being read.
    private var status = 0
    private var headers: [(String, String)] = []
    private var headDelivered = false
    /// Any byte of an answer arrived.
    private var answered = false
    /// Requests sent on a connection (curl re-sends once on a fresh one
    /// when a kept-alive connection dies before answering).
    private var sends = 0
    private var sentAt = NIODeadline.now()
    private var paused = false
    /// Why a callback stopped the transfer.
    private var abortedBecause: UpstreamFailure?

    init(request: UpstreamRequest, gate: UpstreamDelegateGate, multi: CurlMulti) {
        self.request = request
        self.gate = gate
        self.multi = multi
        clock = UpstreamPhaseClock(request: request, eventLoop: gate.eventLoop) { [weak self] failure in self?.expired(failure) }
    }

    /// Sets `easy` up for this exchange (called by the multi, on the loop).
    func attach(_ easy: CurlEasy) throws {
        self.easy = easy
        try easy.configure(request, maxIdleSeconds: multi.maxIdleSeconds)
        let me = Unmanaged.passUnretained(self).toOpaque()
        let handle = easy.handle
        _ = tg_easy_setopt_ptr(handle, CURLOPT_PRIVATE, me)
        _ = tg_easy_setopt_ptr(handle, CURLOPT_HEADERDATA, me)
        _ = tg_easy_setopt_ptr(handle, CURLOPT_WRITEDATA, me)
        _ = tg_easy_setopt_ptr(handle, CURLOPT_PREREQDATA, me)
        _ = tg_easy_setopt_header_callback(handle) { bytes, size, count, user in
            Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
                .headerLine(UnsafeRawBufferPointer(start: bytes, count: size * count))
        }
        _ = tg_easy_setopt_write_callback(handle) { bytes, size, count, user in
            Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
                .bodyBytes(UnsafeRawBufferPointer(start: bytes, count: size * count))
        }
        _ = tg_easy_setopt_prereq_callback(handle) { user, _, _, _, _ in
            Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue().aboutToSend()
        }
        clock.start()
    }

    func detach() { easy = nil }

    // MARK: curl's callbacks (inside curl_multi_socket_action, on the loop)

    /// CURLOPT_PREREQFUNCTION: connected (or a kept-alive connection
    /// reused), the request about to go out.
    private func aboutToSend() -> Int32 {
        if sends > 0 && NIODeadline.now() - sentAt >= HTTP1Transfer.staleRetryWindow {
            // curl would send it again on a new connection, but the provider
            // held it past the stale-close window: it may have done the work.
            abortedBecause = .transport("connection closed by upstream before it answered (\(request.url))")
            return tg_prereqfunc_abort()
        }
        sends += 1
        sentAt = .now()
        clock.enter(.awaitingHead)
        return tg_prereqfunc_ok()
    }

    private func headerLine(_ line: UnsafeRawBufferPointer) -> Int {
        if !answered {
            answered = true
            clock.enter(.receiving)
        } else {
            clock.touch()
        }
        guard !headDelivered, !gate.isClosed else { return line.count }  // trailers, or nobody listening
        if line.starts(with: "HTTP/".utf8) {
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 2)
            status = fields.count > 1 ? Int(String(decoding: fields[1], as: UTF8.self)) ?? 0 : 0
            headers.removeAll(keepingCapacity: true)
        } else if line.allSatisfy({ $0 == 13 || $0 == 10 }) {
            // The end of a header block: interim answers (100 Continue...) are not the response.
            if status >= 200 || status == 101 { deliverHead() } else { status = 0 }
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            headers.append((name, value))
        }
        return line.count
    }

    private func bodyBytes(_ bytes: UnsafeRawBufferPointer) -> Int {
        if gate.isClosed { return 0 }  // cancelled: stop the transfer
        if paused { return tg_writefunc_pause() }  // curl keeps these bytes until resume()
        if !headDelivered { deliverHead() }
        clock.touch()
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        gate.body(buffer)
        return bytes.count
    }

    private func deliverHead() {
        headDelivered = true
        if status == 0, let easy {
            var code = 0
            _ = tg_easy_getinfo_long(easy.handle, CURLINFO_RESPONSE_CODE, &code)
            status = code
        }
        let list = headers
        headers = []
        gate.head(status: status, headers: list)
    }

    // MARK: The end

    /// Curl finished the transfer with `code` (outside its callbacks).
    func completed(_ code: CURLcode) {
        clock.stop()
        let failure = code == CURLE_OK ? nil : describe(code)
        if failure == nil && !headDelivered && !gate.isClosed { deliverHead() }
        multi.remove(self)
        gate.finish(failure)
    }

    func finish(_ failure: UpstreamFailure?) {
        clock.stop()
        gate.finish(failure)
    }

    private func expired(_ failure: UpstreamFailure) {
        multi.remove(self)
        gate.finish(failure)
    }

    private func describe(_ code: CURLcode) -> UpstreamFailure {
        if let abortedBecause { return abortedBecause }
        let message = easy?.message(for: code) ?? CurlGlobal.describe(code)
        if sends == 0 {
            // Nothing was sent: DNS, TCP, TLS or the proxy failed.
            if code == CURLE_OPERATION_TIMEDOUT { return .connectTimeout }
            let place = (try? UpstreamEndpoint.parse(request.url).get()).map { "\($0.0.host):\($0.0.port)" } ?? request.url
            return .connectFailed("\(place): \(message)")
        }
        if !answered {
            return .transport("\(code == CURLE_GOT_NOTHING ? "connection closed by upstream" : message) before it answered (\(request.url))")
        }
        return .transport("\(message) (\(request.url))")
    }

    // MARK: UpstreamTransfer

    func cancel() {
        guard gate.cancel() else { return }
        onLoop { [self] in
            clock.stop()
            multi.remove(self)
        }
    }

    func pause() {
        onLoop { [self] in
            paused = true
            clock.isPaused = true
        }
    }

    func resume() {
        onLoop { [self] in
            guard paused else { return }
            paused = false
            clock.isPaused = false
            clock.touch()
            // Later in this loop turn, not inside the caller: unpausing hands
            // curl's held bytes to the delegate at once.
            eventLoop.execute { [self] in multi.pause(self, tg_pause_cont()) }
        }
    }

    private func onLoop(_ body: @escaping () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }
}
