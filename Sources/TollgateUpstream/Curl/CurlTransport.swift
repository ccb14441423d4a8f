import NIOConcurrencyHelpers
import NIOCore

/// Upstream HTTP through libcurl's multi interface, on the gateway's own
/// event loops: one multi handle per loop (`CurlMulti`), its sockets
/// watched by that loop (`CurlSocketWatch`), so a call and every chunk of
/// its answer stay on the thread that serves its client. Brings what the
/// NIO client lacks: HTTP/2 (one connection per provider carrying many
/// concurrent streams), egress proxies with authentication, client
/// certificates; and curl's connection cache, DNS cache and happy eyeballs.
package final class CurlTransport: UpstreamTransport, @unchecked Sendable {
    private let multis: [ObjectIdentifier: CurlMulti]
    /// Multis for loops outside the group (tests): made on first use.
    private let foreignMultis = NIOLockedValueBox<[ObjectIdentifier: CurlMulti]>([:])

    private let maxIdleSeconds: Int

    /// `maxIdleSeconds`: how long an unused connection stays reusable (curl
    /// closes it at its next look at the cache after that).
    package init(group: EventLoopGroup, maxIdleSeconds: Int = 60) {
        self.maxIdleSeconds = maxIdleSeconds
        var multis: [ObjectIdentifier: CurlMulti] = [:]
        for loop in group.makeIterator() {
            multis[ObjectIdentifier(loop)] = CurlMulti(eventLoop: loop, maxIdleSeconds: maxIdleSeconds)
        }
        self.multis = multis
    }

    private func multi(for eventLoop: EventLoop) -> CurlMulti {
        if let multi = multis[ObjectIdentifier(eventLoop)] { return multi }
        return foreignMultis.withLockedValue { multis in
            if let multi = multis[ObjectIdentifier(eventLoop)] { return multi }
            let multi = CurlMulti(eventLoop: eventLoop, maxIdleSeconds: maxIdleSeconds)
            multis[ObjectIdentifier(eventLoop)] = multi
            return multi
        }
    }

    package func start(_ request: UpstreamRequest, on eventLoop: EventLoop, delegate: UpstreamDelegate) -> UpstreamTransfer {
        let multi = multi(for: eventLoop)
        let transfer = CurlTransfer(request: request, gate: UpstreamDelegateGate(eventLoop: eventLoop, delegate: delegate),
                                    multi: multi)
        if eventLoop.inEventLoop {
            multi.add(transfer)
        } else {
            eventLoop.execute { multi.add(transfer) }
        }
        return transfer
    }

    /// Fails running transfers, closes every connection and frees curl's
    /// state. Blocks; never call it on an event loop thread.
    package func shutdown() {
        let all = Array(multis.values) + foreignMultis.withLockedValue { Array($0.values) }
        for multi in all {
            try? multi.eventLoop.submit { multi.shutdown() }.wait()
        }
    }
}
