import NIOCore
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// When a client connection that is not being served must be closed: the
/// deadline of each phase of a connection's life, and none while a
/// response is produced or streamed. No I/O: the handler tells it what
/// happened and when, and arms one timer for `deadline`.
///
/// - A new connection has `header` time for its first request head.
/// - A kept-alive connection between requests has `idle` time before the
///   first byte of the next one, then `header` time for that head.
/// - While a body arrives, `idle` bounds each silence.
/// - From the request's end to the response's end there is no deadline:
///   a long stream is never cut here (upstream timeouts bound upstream
///   silence).
package struct ClientConnectionClock {
    enum Phase: Equatable {
        /// Between requests, nothing of the next one received yet.
        case waitingForRequest
        /// Part of a request head received (or a new connection).
        case readingHead
        case readingBody
        /// The request is in; the response is not finished.
        case responding
    }

    /// Which limit a connection ran into, for logs and metrics.
    enum Expiry: String, Equatable {
        case header, idle, body
    }

    let headerTimeout: TimeAmount
    let idleTimeout: TimeAmount
    private(set) var phase = Phase.readingHead
    /// When the connection is closed unless something happens first; nil
    /// while there is no limit.
    private(set) var deadline: NIODeadline?
    /// The response ended before its request did (an early error answer):
    /// the request's end then goes straight back to waiting.
    private var responseEndedEarly = false

    init(now: NIODeadline, headerTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        deadline = now + headerTimeout
    }

    /// Bytes arrived from the client (before HTTP parsing).
    mutating func bytesReceived(now: NIODeadline) {
        switch phase {
        case .waitingForRequest:
            phase = .readingHead
            deadline = now + headerTimeout
        case .readingBody:
            deadline = now + idleTimeout
        case .readingHead, .responding:
            break  // a head's time runs from its first byte; pipelined bytes wait
        }
    }

    mutating func headReceived(now: NIODeadline) {
        phase = .readingBody
        responseEndedEarly = false
        deadline = now + idleTimeout
    }

    mutating func requestEnded(now: NIODeadline) {
        if responseEndedEarly {
            responseEndedEarly = false
            waitForNextRequest(now: now)
        } else {
            phase = .responding
            deadline = nil
        }
    }

    mutating func responseEnded(now: NIODeadline) {
        switch phase {
        case .responding:
            waitForNextRequest(now: now)
        case .readingBody:
            responseEndedEarly = true
        case .waitingForRequest, .readingHead:
            break
        }
    }

    private mutating func waitForNextRequest(now: NIODeadline) {
        phase = .waitingForRequest
        deadline = now + idleTimeout
    }

    /// Which limit the connection is past at `now`, if any.
    func expiry(now: NIODeadline) -> Expiry? {
        guard let deadline, now >= deadline else { return nil }
        switch phase {
        case .waitingForRequest: return .idle
        case .readingHead: return .header
        case .readingBody: return .body
        case .responding: return nil
        }
    }
}
