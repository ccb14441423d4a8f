import CCurl
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Upstream HTTP over the libcurl multi interface. One dedicated thread
/// drives every transfer (curl_multi_poll); other threads talk to it through
/// a locked command queue and curl_multi_wakeup. Connections stay in the
/// multi's cache for reuse, and HTTP/2 is used where a TLS provider offers
/// it (several streams multiplexed on one connection).
public final class CurlTransport: UpstreamTransport, @unchecked Sendable {
    enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case pause(CurlTransfer)
        case resume(CurlTransfer)
    }

    let multi: UnsafeMutableRawPointer
    private let lock = NIOLock()
    private var commands: [Command] = []
    private var shutdownRequested = false
    private let threadExited = DispatchSemaphore(value: 0)

    // Owned by the curl thread.
    var transfers: [ObjectIdentifier: CurlTransfer] = [:]
    /// Transfers that read body bytes this loop turn.
    var bodiesToFlush: [CurlTransfer] = []
    let allocator = ByteBufferAllocator()

    public init() {
        CurlGlobal.initialiseOnce()
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed (out of memory)") }
        self.multi = multi
        _ = tg_multi_setopt_long(multi, CURLMOPT_PIPELINING, tg_pipe_multiplex())
        // Keep idle keep-alive connections around through bursts.
        _ = tg_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 512)
        let thread = Thread { [self] in
            runLoop()
            threadExited.signal()
        }
        thread.name = "tollgate-curl"
        thread.start()
    }

    public func start(_ request: UpstreamRequest, on eventLoop: EventLoop, delegate: UpstreamDelegate) -> UpstreamTransfer {
        let transfer = CurlTransfer(request: request, transport: self,
                                    gate: UpstreamDelegateGate(eventLoop: eventLoop, delegate: delegate))
        if !enqueue(.add(transfer)) {
            eventLoop.execute { transfer.gate.finish(.transport("the upstream transport was shut down")) }
        }
        return transfer
    }

    /// Fails every running transfer, stops the curl thread and frees curl's
    /// state. Blocks until done; never call it on an event loop thread that
    /// must keep running, nor twice concurrently.
    public func shutdown() {
        let alreadyStopped: Bool = lock.withLock {
            let was = shutdownRequested
            shutdownRequested = true
            return was
        }
        if alreadyStopped { return }
        curl_multi_wakeup(multi)
        threadExited.wait()
        lock.withLock { _ = curl_multi_cleanup(multi) }
    }

    /// False once shut down.
    @discardableResult
    func enqueue(_ command: Command) -> Bool {
        // Wake under the lock so the wakeup can never race curl_multi_cleanup.
        lock.withLock {
            if shutdownRequested { return false }
            commands.append(command)
            curl_multi_wakeup(multi)
            return true
        }
    }

    /// Everything still queued (used once the loop has stopped).
    func drainAll() -> [Command] {
        lock.withLock {
            defer { commands.removeAll() }
            return commands
        }
    }

    /// Takes the queued commands; nil means shut down now.
    func takeCommands() -> [Command]? {
        lock.withLock {
            if shutdownRequested { return nil }
            if commands.isEmpty { return [] }
            defer { commands.removeAll(keepingCapacity: true) }
            return commands
        }
    }
}

enum CurlGlobal {
    private static let initialised: Bool = {
        curl_global_init(tg_global_all()) == CURLE_OK
    }()

    static func initialiseOnce() {
        precondition(initialised, "curl_global_init failed")
    }
}
