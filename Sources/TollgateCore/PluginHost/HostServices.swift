import Logging

/// What the host offers every plugin instance whatever its generation:
/// metrics, alert delivery, logging. Survives reloads.
public final class HostServices: @unchecked Sendable {
    public let metrics: GatewayMetrics
    public let alerts: AlertRouter
    public let logger: Logger
    public let libraries: PluginLibraryCache

    public init(metrics: GatewayMetrics, alerts: AlertRouter, logger: Logger, libraries: PluginLibraryCache) {
        self.metrics = metrics
        self.alerts = alerts
        self.logger = logger
        self.libraries = libraries
    }
}

/// The host's side of one plugin instance: what `tollgate_type_host_ptr`
/// points to.
final class HostContext: @unchecked Sendable {
    let instanceName: String
    let services: HostServices
    let catalog: ModelCatalog
    var logger: Logger

    init(instanceName: String, services: HostServices, catalog: ModelCatalog) {
        self.instanceName = instanceName
        self.services = services
        self.catalog = catalog
        var logger = services.logger
        logger[metadataKey: "plugin"] = .string(instanceName)
        self.logger = logger
    }

    var pointer: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ pointer: OpaquePointer?) -> HostContext? {
        guard let pointer else { return nil }
        return Unmanaged<HostContext>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}
