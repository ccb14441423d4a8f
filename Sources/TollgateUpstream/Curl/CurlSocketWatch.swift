import CCurl
import Glibc
import NIOCore
import NIOPosix

/// Watches curl's sockets from the event loop itself. SwiftNIO has no
/// public way to watch a file descriptor it does not read, so the sockets
/// go into an epoll set of their own, and that set's descriptor — readable
/// whenever one of the sockets is ready — is handed to the loop as a NIO
/// datagram channel's socket. NIO's `recvmsg` on an epoll descriptor fails
/// (ENOTSOCK): that failure *is* the readiness signal. (A pipe channel's
/// `read` fails with EINVAL, which NIO treats as a programming error and
/// traps on; `recvmsg`'s errors are reported.) The handler then asks
/// the set which sockets are ready and hands them to curl, and NIO closes
/// the channel; a fresh one (over a new `dup` of the set) is registered
/// while curl still has sockets. Everything happens on the loop's thread:
/// no helper thread, no hand-off per request or per chunk (docs/architecture.md,
/// "the libcurl transport", has the measurements behind the choice).
final class CurlSocketWatch {
    let eventLoop: EventLoop
    private let epollFD: Int32
    /// Sockets in the set, and what curl waits for on each.
    private var watched: [Int32: Int32] = [:]
    private var armed = false
    private var closed = false
    private var readyFDs = [Int32](repeating: 0, count: 64)
    private var readyBits = [Int32](repeating: 0, count: 64)
    /// Called on the loop with the ready sockets (curl's CURL_CSELECT_* bits).
    var onReady: (([(Int32, Int32)]) -> Void)?
    /// Channels registered since the start (a metric for the bench).
    private(set) var rearms = 0

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        epollFD = tg_epoll_create()
        precondition(epollFD >= 0, "epoll_create1 failed: errno \(errno)")
    }

    /// curl's socket callback: watch `fd` for `what` (CURL_POLL_*), or stop.
    func watch(_ fd: Int32, what: Int32) {
        if what == CURL_POLL_REMOVE {
            if watched.removeValue(forKey: fd) != nil { _ = tg_epoll_set(epollFD, EPOLL_CTL_DEL, fd, 0) }
            return
        }
        let known = watched[fd] != nil
        watched[fd] = what
        if tg_epoll_set(epollFD, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, what) != 0 {
            // A closed socket's number, reused: the set dropped the old one.
            _ = tg_epoll_set(epollFD, known ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, what)
        }
        arm()
    }

    /// Registers a channel over the set while curl has sockets to watch.
    private func arm() {
        guard !armed, !closed, !watched.isEmpty else { return }
        armed = true
        rearms += 1
        let copy = dup(epollFD)
        guard copy >= 0 else { return fallBack() }
        DatagramBootstrap(group: eventLoop)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture(withResultOf: { try channel.pipeline.syncOperations.addHandler(Signal(watch: self)) })
            }
            .withBoundSocket(copy)
            .whenFailure { [self] _ in fallBack() }
    }

    /// Without a channel (NIO refused the descriptor): look every
    /// millisecond while there are sockets. Never seen; kept so a NIO change
    /// degrades the transport rather than stopping it.
    private func fallBack() {
        eventLoop.scheduleTask(in: .milliseconds(1)) { [self] in
            armed = false
            signalled()
            arm()
        }
    }

    fileprivate func signalled() {
        guard !closed else { return }
        // Up to 64 at a time; the set is level-triggered, so any more are
        // still ready when the next channel registers.
        let n = tg_epoll_ready(epollFD, &readyFDs, &readyBits, 64)
        guard n > 0 else { return }
        onReady?((0..<Int(n)).map { (readyFDs[$0], readyBits[$0]) })
    }

    fileprivate func channelClosed() {
        armed = false
        arm()
    }

    func close() {
        closed = true
        watched = [:]
        Glibc.close(epollFD)
    }

    /// The channel's only handler: a read error means "ready".
    private final class Signal: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let watch: CurlSocketWatch
        init(watch: CurlSocketWatch) { self.watch = watch }

        func errorCaught(context: ChannelHandlerContext, error: Error) { watch.signalled() }
        func channelInactive(context: ChannelHandlerContext) { watch.channelClosed() }
    }
}
