import Logging
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// The sinks a config's `alerts:` describes: built at start and again on
/// every reload (AlertRouter.replaceSinks). Webhooks go out through a
/// poster the caller supplies (the host has no HTTP client of its own: the
/// server passes one built on its upstream client).
extension AlertSinkConfig {
    func makeSink(logger: Logger, poster: () -> WebhookPoster) -> AlertSink {
        switch self {
        case .log:
            return LogAlertSink(logger: logger)
        case let .webhook(url, timeoutMs, retries, backoffMs, queueSize, headers):
            return WebhookAlertSink(settings: .init(url: url, timeoutMs: timeoutMs, retries: retries, backoffMs: backoffMs,
                                                    queueSize: queueSize, headers: headers),
                                    logger: logger, poster: poster(), pause: nil)
        }
    }
}

extension AlertRouter {
    /// `alerts: []` turns alerts off; no `alerts` key decodes as [log].
    package static func sinks(for config: TollgateConfig, logger: Logger, poster: () -> WebhookPoster) -> [AlertSink] {
        config.alerts.map { $0.makeSink(logger: logger, poster: poster) }
    }
}
