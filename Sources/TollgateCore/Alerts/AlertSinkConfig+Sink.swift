import Logging

/// The sinks a config's `alerts:` describes: built at start and again on
/// every reload (AlertRouter.replaceSinks).
extension AlertSinkConfig {
    func makeSink(logger: Logger) -> AlertSink {
        switch self {
        case .log:
            return LogAlertSink(logger: logger)
        case let .webhook(url, timeoutMs, retries, backoffMs, queueSize, headers):
            return WebhookAlertSink(settings: .init(url: url, timeoutMs: timeoutMs, retries: retries, backoffMs: backoffMs,
                                                    queueSize: queueSize, headers: headers),
                                    logger: logger)
        }
    }
}

extension AlertRouter {
    /// `alerts: []` turns alerts off; no `alerts` key decodes as [log].
    static func sinks(for config: TollgateConfig, logger: Logger) -> [AlertSink] {
        config.alerts.map { $0.makeSink(logger: logger) }
    }
}
