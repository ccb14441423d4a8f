import CCurl
import NIOCore

extension CurlTransport {
    /// The curl thread.
    func runLoop() {
        while true {
            guard let commands = takeCommands() else { break }
            for command in commands { apply(command) }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectCompletions()
            let now = CurlClock.nowMs()
            let nextDeadline = enforceDeadlines(now: now)
            for transfer in bodiesToFlush { transfer.flushBody() }
            bodiesToFlush.removeAll(keepingCapacity: true)
            // Wake up for our own deadlines; curl shortens the wait for its own.
            let waitMs = max(0, min(1_000, nextDeadline.map { $0 - now } ?? 1_000))
            _ = curl_multi_poll(multi, nil, 0, Int32(waitMs), nil)
        }
        // Shutting down: leftover queued transfers never started; fail them
        // and the running ones alike.
        let leftovers = drainAll()
        for case .add(let transfer) in leftovers { transfer.fail(.transport("the upstream transport was shut down")) }
        for transfer in Array(transfers.values) {
            detach(transfer)
            transfer.fail(.transport("the upstream transport was shut down"))
        }
    }

    private func apply(_ command: Command) {
        switch command {
        case .add(let transfer):
            guard !transfer.gate.isClosed else { return }  // cancelled before it started
            do {
                try transfer.makeEasyHandle(allocator: allocator)
            } catch {
                transfer.destroyEasyHandle()
                transfer.fail(error as? UpstreamFailure ?? .transport("\(error)"))
                return
            }
            guard let easy = transfer.easy, curl_multi_add_handle(multi, easy) == CURLM_OK else {
                transfer.destroyEasyHandle()
                transfer.fail(.transport("curl refused the transfer"))
                return
            }
            transfer.addedAtMs = CurlClock.nowMs()
            transfers[ObjectIdentifier(transfer)] = transfer
        case .cancel(let transfer):
            // The gate is already closed: tear down, no callback.
            detach(transfer)
        case .pause(let transfer):
            guard transfers[ObjectIdentifier(transfer)] != nil, let easy = transfer.easy, !transfer.paused else { return }
            transfer.paused = true
            _ = curl_easy_pause(easy, tg_pause_recv())
        case .resume(let transfer):
            guard transfers[ObjectIdentifier(transfer)] != nil, let easy = transfer.easy, transfer.paused else { return }
            transfer.paused = false
            transfer.lastActivityMs = CurlClock.nowMs()
            // May deliver buffered data to the write callback right here.
            _ = curl_easy_pause(easy, tg_pause_cont())
        }
    }

    /// Removes the transfer from the multi (closing its connection if the
    /// response was not complete) and frees it.
    func detach(_ transfer: CurlTransfer) {
        guard transfers.removeValue(forKey: ObjectIdentifier(transfer)) != nil else { return }
        if let easy = transfer.easy { curl_multi_remove_handle(multi, easy) }
        transfer.destroyEasyHandle()
    }

    private func collectCompletions() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var privatePointer: UnsafeMutableRawPointer?
            _ = tg_easy_getinfo_ptr(easy, CURLINFO_PRIVATE, &privatePointer)
            guard let privatePointer else { continue }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(privatePointer).takeUnretainedValue()
            let failure = code == CURLE_OK ? nil : CurlFailureMapping.failure(code: code, transfer: transfer)
            if failure == nil { transfer.deliverHeadIfMissing() }
            transfer.flushBody()
            detach(transfer)
            transfer.fail(failure)
        }
    }

    /// Fails transfers past their first-byte or idle deadline; returns the
    /// earliest deadline still pending.
    private func enforceDeadlines(now: Int64) -> Int64? {
        var next: Int64?
        var expired: [(CurlTransfer, UpstreamFailure)] = []
        for transfer in transfers.values {
            guard let (deadline, failure) = transfer.deadline(now: now) else { continue }
            if deadline <= now {
                expired.append((transfer, failure))
            } else {
                next = min(next ?? deadline, deadline)
            }
        }
        for (transfer, failure) in expired {
            transfer.flushBody()
            detach(transfer)
            transfer.fail(failure)
        }
        return next
    }
}

enum CurlClock {
    static func nowMs() -> Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000) }
}
