import NIOCore

/// The connect, first-byte and idle timeouts of one exchange, whichever
/// transport carries it: one timer, re-armed lazily — activity only moves
/// `lastActivity`, and the timer, when it fires early, sleeps again for
/// what is left. The idle limit is not counted while the exchange is
/// paused (the client is the slow side then). On the exchange's event loop.
final class UpstreamPhaseClock {
    enum Phase { case connecting, awaitingHead, receiving }

    private let eventLoop: EventLoop
    private let connectMs: Int64, firstByteMs: Int64, idleMs: Int64
    private let expired: (UpstreamFailure) -> Void
    private var timer: Scheduled<Void>?
    private(set) var phase = Phase.connecting
    /// When the running limit started counting (reset by each read).
    private var lastActivity = NIODeadline.now()
    var isPaused = false

    /// `expired` runs on the loop when a limit passes (once; the clock is
    /// stopped then).
    init(request: UpstreamRequest, eventLoop: EventLoop, expired: @escaping (UpstreamFailure) -> Void) {
        self.eventLoop = eventLoop
        connectMs = request.connectTimeoutMs
        firstByteMs = request.firstByteTimeoutMs
        idleMs = request.idleTimeoutMs
        self.expired = expired
    }

    func start() {
        var first = Int64.max
        for limit in [connectMs, firstByteMs, idleMs] where limit > 0 { first = min(first, limit) }
        guard first < .max else { return }
        lastActivity = .now()
        timer = eventLoop.scheduleTask(in: .milliseconds(first)) { [self] in fired() }
    }

    func enter(_ phase: Phase) {
        self.phase = phase
        lastActivity = .now()
    }

    func touch() { lastActivity = .now() }

    func stop() {
        timer?.cancel()
        timer = nil
    }

    /// The limit of the current phase, and what passing it means.
    private var currentLimit: (TimeAmount, UpstreamFailure)? {
        switch phase {
        case .connecting: return connectMs > 0 ? (.milliseconds(connectMs), .connectTimeout) : nil
        case .awaitingHead: return firstByteMs > 0 ? (.milliseconds(firstByteMs), .firstByteTimeout) : nil
        case .receiving: return idleMs > 0 ? (.milliseconds(idleMs), .idleTimeout) : nil
        }
    }

    private func fired() {
        guard timer != nil else { return }
        timer = nil
        guard let (limit, failure) = currentLimit else {
            // No limit in this phase: look again in a second, in case the phase moves on.
            timer = eventLoop.scheduleTask(in: .seconds(1)) { [self] in fired() }
            return
        }
        if isPaused && phase == .receiving {
            timer = eventLoop.scheduleTask(in: limit) { [self] in fired() }
            return
        }
        let due = lastActivity + limit
        if due <= .now() { return expired(failure) }
        timer = eventLoop.scheduleTask(deadline: due) { [self] in fired() }
    }
}
