import CTollgatePlugin
import Logging
import TollgateABI
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// What the host offers every plugin instance whatever its generation:
/// metrics, alert delivery, logging, the counter store, the ledger.
/// Survives reloads.
package final class HostServices: @unchecked Sendable {
    package let metrics: GatewayMetrics
    package let alerts: AlertRouter
    package let logger: Logger
    package let libraries: PluginLibraryCache
    /// Shared by every plugin generation, so budgets survive a reload.
    package let counters: CounterStore
    /// Grants, credentials and what people minted: shared by every
    /// generation, replaced in part on reload.
    package let governance: GovernanceRegistry
    /// Outcomes teams reported (POST /v1/outcomes): what the chargeback
    /// divides spend by.
    package let outcomes: OutcomeStore
    /// The chargeback ledger plugins append to (ABI 1.6); nil when the
    /// config keeps none. Opened at start, kept across reloads.
    package let ledger: LedgerStore?

    package init(metrics: GatewayMetrics, alerts: AlertRouter, logger: Logger, libraries: PluginLibraryCache,
                counters: CounterStore = CounterStore(),
                governance: GovernanceRegistry = try! GovernanceRegistry(store: MemoryGovernanceStore()),
                outcomes: OutcomeStore = MemoryOutcomeStore(), ledger: LedgerStore? = nil) {
        self.metrics = metrics
        self.alerts = alerts
        self.logger = logger
        self.libraries = libraries
        self.counters = counters
        self.governance = governance
        self.outcomes = outcomes
        self.ledger = ledger
    }
}

/// The host's side of one plugin instance: what `tollgate_type_host_ptr`
/// points to. `@unchecked Sendable`: what is mutable (`phase`,
/// `declaredRoutes`) changes only while on_create runs on the control
/// thread, before the instance is published to any other thread.
final class HostContext: @unchecked Sendable {
    let instanceName: String
    let services: HostServices
    let catalog: ModelCatalog
    var logger: Logger
    /// `.create` while on_create runs, else `.idle`: the phase of the host
    /// handle (TollgateABI's rules; only declare_route depends on it).
    var phase: ABIPhase = .idle
    /// The descriptor has on_route: the instance may declare routes.
    let hasRouteHook: Bool
    /// The routes on_create declared (ABI 1.4), in order.
    var declaredRoutes: [PluginRoute] = []
    /// TOLLGATE_HOST_PROP_* values, in memory that stays put for the
    /// instance's life (the ABI lends them until on_destroy returns).
    private let hostStrings: [Int32: UnsafeMutableBufferPointer<UInt8>]

    init(instanceName: String, services: HostServices, catalog: ModelCatalog, storageDirectory: String = "",
         configPath: String = "", hasRouteHook: Bool = false) {
        self.instanceName = instanceName
        self.hasRouteHook = hasRouteHook
        self.services = services
        self.catalog = catalog
        var logger = services.logger
        logger[metadataKey: "plugin"] = .string(instanceName)
        self.logger = logger
        func stable(_ s: String) -> UnsafeMutableBufferPointer<UInt8> {
            let bytes = Array(s.utf8)
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            _ = buffer.initialize(from: bytes)
            return UnsafeMutableBufferPointer(rebasing: buffer[0..<bytes.count])
        }
        hostStrings = [
            TOLLGATE_HOST_PROP_STORAGE_DIR: stable(storageDirectory),
            TOLLGATE_HOST_PROP_INSTANCE_NAME: stable(instanceName),
            TOLLGATE_HOST_PROP_HOST_VERSION: stable(TollgateVersion.string),
            TOLLGATE_HOST_PROP_CONFIG_PATH: stable(configPath),
        ]
    }

    deinit {
        for buffer in hostStrings.values { buffer.baseAddress?.deallocate() }
    }

    func hostString(_ property: Int32) -> tollgate_type_str? {
        guard let buffer = hostStrings[property] else { return nil }
        return tollgate_type_str(ptr: buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                 len: buffer.count)
    }

    var pointer: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ pointer: OpaquePointer?) -> HostContext? {
        guard let pointer else { return nil }
        return Unmanaged<HostContext>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}
