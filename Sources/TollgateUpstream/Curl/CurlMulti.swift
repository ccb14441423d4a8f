import CCurl
import NIOCore

/// One libcurl multi handle per event loop, driven in event-driven mode:
/// curl's socket callback puts its sockets in the loop's `CurlSocketWatch`,
/// its timer callback schedules `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)`
/// on the loop, and every curl call and every delegate call happens on the
/// loop's thread. Connections (HTTP/1.1 keep-alive, HTTP/2 multiplexed) are
/// cached per multi, so per loop. Confined to `eventLoop`.
final class CurlMulti {
    let eventLoop: EventLoop
    let handle: UnsafeMutableRawPointer
    private let watch: CurlSocketWatch
    private var timer: Scheduled<Void>?
    private var timerDue: NIODeadline?
    private var transfers: [ObjectIdentifier: CurlTransfer] = [:]
    /// > 0 while inside a curl call: curl forbids adding or removing handles
    /// from its callbacks, so those wait in `deferred` until it returns.
    private var depth = 0
    private var deferred: [() -> Void] = []
    private(set) var isShutDown = false
    /// Easy handles kept for the next transfers (their buffers stay allocated).
    private var spareHandles: [CurlEasy] = []

    /// How long a cached connection may sit unused and still be reused.
    let maxIdleSeconds: Int

    init(eventLoop: EventLoop, maxIdleSeconds: Int = 60) {
        CurlGlobal.initialiseOnce()
        self.eventLoop = eventLoop
        self.maxIdleSeconds = maxIdleSeconds
        guard let handle = curl_multi_init() else { fatalError("curl_multi_init failed (out of memory)") }
        self.handle = handle
        watch = CurlSocketWatch(eventLoop: eventLoop)
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = tg_multi_setopt_ptr(handle, CURLMOPT_SOCKETDATA, me)
        _ = tg_multi_setopt_ptr(handle, CURLMOPT_TIMERDATA, me)
        _ = tg_multi_setopt_socket_callback(handle) { _, socket, what, user, _ in
            Unmanaged<CurlMulti>.fromOpaque(user!).takeUnretainedValue().watch.watch(socket, what: what)
            return 0
        }
        _ = tg_multi_setopt_timer_callback(handle) { _, timeoutMs, user in
            Unmanaged<CurlMulti>.fromOpaque(user!).takeUnretainedValue().setTimer(timeoutMs)
            return 0
        }
        _ = tg_multi_setopt_long(handle, CURLMOPT_PIPELINING, tg_pipe_multiplex())
        // Idle connections kept across bursts (the NIO pool keeps as many).
        _ = tg_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, 1024)
        watch.onReady = { [unowned self] ready in
            for (fd, bits) in ready { socketAction(fd, bits) }
        }
    }

    // MARK: Transfers

    func add(_ transfer: CurlTransfer) {
        outsideCallbacks { [self] in
            guard !transfer.gate.isClosed else { return }
            guard !isShutDown else { return transfer.finish(.transport("the gateway is shutting down")) }
            let easy = spareHandles.popLast() ?? CurlEasy()
            do {
                try transfer.attach(easy)
            } catch {
                transfer.detach()
                spareHandles.append(easy)
                return transfer.finish(error as? UpstreamFailure ?? .transport("\(error)"))
            }
            guard curl_multi_add_handle(handle, easy.handle) == CURLM_OK else {
                transfer.detach()
                return transfer.finish(.transport("curl refused the transfer"))
            }
            transfers[ObjectIdentifier(transfer)] = transfer
        }
    }

    /// Takes the transfer's handle out of the multi (its connection closes
    /// if the answer was not complete) and keeps the handle for reuse.
    func remove(_ transfer: CurlTransfer) {
        outsideCallbacks { [self] in
            guard transfers.removeValue(forKey: ObjectIdentifier(transfer)) != nil, let easy = transfer.easy else { return }
            _ = curl_multi_remove_handle(handle, easy.handle)
            transfer.detach()
            if spareHandles.count < 64 { spareHandles.append(easy) }
        }
    }

    /// `curl_easy_pause`, outside curl's callbacks.
    func pause(_ transfer: CurlTransfer, _ bits: Int32) {
        outsideCallbacks { [self] in
            guard transfers[ObjectIdentifier(transfer)] != nil, let easy = transfer.easy else { return }
            enter()
            _ = curl_easy_pause(easy.handle, bits)
            leave()
        }
    }

    /// Runs `body` now, or when the curl call under way returns.
    private func outsideCallbacks(_ body: @escaping () -> Void) {
        if depth == 0 { body() } else { deferred.append(body) }
    }

    private func enter() { depth += 1 }

    private func leave() {
        depth -= 1
        guard depth == 0 else { return }
        collectFinished()
        while !deferred.isEmpty {
            let work = deferred
            deferred.removeAll()
            for body in work { body() }
        }
    }

    // MARK: Driving curl

    private func socketAction(_ fd: Int32, _ bits: Int32) {
        guard !isShutDown else { return }
        var running: Int32 = 0
        enter()
        _ = curl_multi_socket_action(handle, fd, bits, &running)
        leave()
    }

    /// CURLMOPT_TIMERFUNCTION: -1 cancels, 0 means as soon as possible
    /// (never from inside the callback: curl forbids that).
    private func setTimer(_ timeoutMs: Int) {
        guard timeoutMs >= 0 else {
            timer?.cancel()
            timer = nil
            timerDue = nil
            return
        }
        let due = NIODeadline.now() + .milliseconds(Int64(timeoutMs))
        // Already set for about then: keep it (curl re-sets it often).
        if let timerDue, timer != nil, timerDue <= due, due - timerDue < .milliseconds(1) { return }
        timer?.cancel()
        timerDue = due
        timer = eventLoop.scheduleTask(deadline: due) { [self] in
            timer = nil
            timerDue = nil
            socketAction(tg_socket_timeout(), 0)
        }
    }

    /// Transfers curl has finished: their results to their delegates.
    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(handle, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var pointer: UnsafeMutableRawPointer?
            _ = tg_easy_getinfo_ptr(easy, CURLINFO_PRIVATE, &pointer)
            guard let pointer else { continue }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(pointer).takeUnretainedValue()
            guard transfers[ObjectIdentifier(transfer)] != nil else { continue }
            transfer.completed(code)
        }
    }

    /// Fails every transfer and frees curl's state. On the loop.
    func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        for transfer in Array(transfers.values) {
            transfers[ObjectIdentifier(transfer)] = nil
            if let easy = transfer.easy { _ = curl_multi_remove_handle(handle, easy.handle) }
            transfer.detach()
            transfer.finish(.transport("the gateway is shutting down"))
        }
        timer?.cancel()
        timer = nil
        spareHandles.removeAll()
        _ = curl_multi_cleanup(handle)
        watch.close()
    }
}
