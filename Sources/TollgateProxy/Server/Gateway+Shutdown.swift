import Foundation
import NIOCore
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// Stopping: SIGTERM/SIGINT through GatewayService, or check-config after
/// loading.
extension Gateway {
    /// Stops accepting; lets the calls in flight finish, waiting until the
    /// last one ends (InFlightCalls tells the moment it does) or `grace`
    /// passes, whichever comes first; cuts the calls still running then;
    /// destroys the plugins (they flush what they hold); closes the counter
    /// store and the alert sinks. Call once.
    package func shutdown(grace: TimeAmount) async {
        await listener.close()
        await reloader.close()
        expiryTask.withLockedValue { $0?.cancel() }
        sharedStateRefresher.stop()
        let drained = (try? await inFlight.drained(by: .now() + grace, on: group.any()).get()) ?? false
        if !drained {
            logger.warning("shutdown grace period over; cutting the calls still in flight",
                           metadata: ["in_flight": .string(String(inFlight.value))])
        }
        // Calls still in flight are cut: each ends as "aborted", decided by
        // "core" (not as an upstream failure or a client disconnect, which
        // is not what happened), with its post_call. Upstreams first (no
        // more callbacks), then the connections, then the plugins.
        inFlight.cut()
        await Self.blocking {
            self.transports.shutdown()
            // While the event loops still run: outcomes being committed get
            // their answer; one arriving later is refused (503), not lost.
            self.services.outcomes.close()
        }
        try? await group.shutdownGracefully()
        // Nothing pins the serving generation any more.
        await reloader.destroyServing()
        await Self.blocking {
            self.services.counters.close()  // after the plugins: their last settles are committed
            self.services.ledger?.close()  // after the plugins: their last rows are committed (and shipped)
            self.services.alerts.close(timeoutMs: 2_000)  // after the plugins: alerts raised while they stop go out too
            self.database?.close()  // last: the stores above no longer use it
        }
    }

    /// Runs work that blocks its thread (it waits on event loops, on disk
    /// or on the network) on a thread of its own, off Swift concurrency's
    /// few shared threads.
    private static func blocking(_ work: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                work()
                continuation.resume()
            }
        }
    }
}
