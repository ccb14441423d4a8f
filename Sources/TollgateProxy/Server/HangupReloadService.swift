import Logging
import ServiceLifecycle
import UnixSignals
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// Reloads the gateway on each SIGHUP, one reload at a time, until the
/// group shuts down. The signal sequence is made by the caller before the
/// group runs, so SIGHUP is trapped before the gateway says it listens (a
/// SIGHUP that came first would otherwise end the process).
package struct HangupReloadService: Service {
    let gateway: Gateway
    let hangups: UnixSignalsSequence

    package init(gateway: Gateway, hangups: UnixSignalsSequence) {
        self.gateway = gateway
        self.hangups = hangups
    }

    /// The signals this service reloads on, trapped from now on.
    package static func trapHangups() async -> UnixSignalsSequence {
        await UnixSignalsSequence(trapping: .sighup)
    }

    package func run() async {
        for await _ in hangups.cancelOnGracefulShutdown() {
            gateway.logger.info("SIGHUP: reloading \(gateway.generations.generation.config.sourcePath)")
            await gateway.reloader.reload()
        }
    }
}
