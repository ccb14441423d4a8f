import NIOCore
import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// Carries out ClientConnectionClock on one client connection, with one
/// timer. It sits after NIO's pipelining handler, where it sees request
/// parts in order and the response's end; `byteWatcher`, placed first in
/// the pipeline, tells it when raw bytes arrive (the start of a head,
/// a trickling body). A connection past its deadline is closed without an
/// answer: a client that sent nothing whole has nothing to read one.
package final class ClientTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    private var clock: ClientConnectionClock
    /// Time is the loop's (an embedded loop's in tests).
    private let eventLoop: EventLoop
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    /// When `timer` fires. A deadline that moved later leaves the timer
    /// alone (it fires, finds time left, and re-arms): no cancel and
    /// reschedule per request.
    private var timerDeadline: NIODeadline?
    private let onExpiry: (ClientConnectionClock.Expiry) -> Void

    init(eventLoop: EventLoop, headerTimeout: TimeAmount, idleTimeout: TimeAmount,
         onExpiry: @escaping (ClientConnectionClock.Expiry) -> Void) {
        self.eventLoop = eventLoop
        clock = ClientConnectionClock(now: eventLoop.now, headerTimeout: headerTimeout, idleTimeout: idleTimeout)
        self.onExpiry = onExpiry
    }

    /// Goes first in the pipeline, before the HTTP decoder.
    var byteWatcher: any ChannelInboundHandler & RemovableChannelHandler { ByteWatcher(owner: self) }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        arm()
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        self.context = nil
    }

    package func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: clock.headReceived(now: eventLoop.now)
        case .body: break  // the raw bytes under it already moved the deadline
        case .end: clock.requestEnded(now: eventLoop.now)
        }
        arm()
        context.fireChannelRead(data)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            // Before passing it on: the pipelining handler hands over the
            // next buffered request while this write goes through it.
            clock.responseEnded(now: eventLoop.now)
            arm()
        }
        context.write(data, promise: promise)
    }

    fileprivate func bytesReceived() {
        switch clock.phase {
        case .waitingForRequest, .readingBody:
            clock.bytesReceived(now: eventLoop.now)
            arm()
        case .readingHead, .responding:
            break
        }
    }

    private func arm() {
        guard let deadline = clock.deadline, context != nil else { return }
        if let timerDeadline, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = eventLoop.scheduleTask(deadline: deadline) { [weak self] in
            self?.timerFired()
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let context else { return }
        if let expiry = clock.expiry(now: eventLoop.now) {
            onExpiry(expiry)
            context.close(promise: nil)
        } else {
            arm()
        }
    }

    /// Reports every read from the socket to the owner, unchanged.
    private final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        let owner: ClientTimeoutHandler

        init(owner: ClientTimeoutHandler) { self.owner = owner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            owner.bytesReceived()
            context.fireChannelRead(data)
        }
    }
}
