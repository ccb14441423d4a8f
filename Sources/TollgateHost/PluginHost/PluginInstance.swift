import CTollgatePlugin
import Foundation
import Prometheus
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// One configured plugin: a library, the instance its on_create returned,
/// and its fail policy.
package final class PluginInstance: @unchecked Sendable {
    package let instanceName: String
    package let library: PluginLibrary
    package let failClosed: Bool
    let host: HostContext
    let instance: UnsafeMutableRawPointer?
    package let preCall: tollgate_on_pre_call?
    package let onChunk: tollgate_on_chunk?
    package let postCall: tollgate_on_post_call?
    /// ABI 1.4; nil for a descriptor whose struct_size ends before it.
    package let onRoute: tollgate_on_route?
    /// The routes on_create declared (ABI 1.4).
    package var routes: [PluginRoute] { host.declaredRoutes }
    /// tollgate_plugin_hook_duration_seconds{plugin, hook}, one per hook,
    /// in HookTimers.Hook order; nil for a hook the plugin left NULL (no
    /// series is exported for a hook that never runs).
    private let hookDurations: [ValueHistogram?]
    private var destroyed = false

    /// Calls on_create; throws PluginLoadError with the plugin's own reason.
    init(instanceName: String, library: PluginLibrary, failClosed: Bool?, config: JSONValue,
         services: HostServices, catalog: ModelCatalog, storageDirectory: String = "", configPath: String = "") throws {
        self.instanceName = instanceName
        self.library = library
        self.failClosed = failClosed ?? library.defaultFailClosed
        let d = library.descriptor.pointee
        self.preCall = d.on_pre_call
        self.onChunk = d.on_chunk
        self.postCall = d.on_post_call
        let onRoute = ABIStruct.contains(\tollgate_type_plugin_descriptor.on_route, size: d.struct_size) ? d.on_route : nil
        self.onRoute = onRoute
        let host = HostContext(instanceName: instanceName, services: services, catalog: catalog,
                               storageDirectory: storageDirectory, configPath: configPath, hasRouteHook: onRoute != nil)
        self.host = host
        let implemented: [HookTimers.Hook: Bool] = [.preCall: d.on_pre_call != nil, .chunk: d.on_chunk != nil,
                                                     .postCall: d.on_post_call != nil, .route: onRoute != nil]
        self.hookDurations = HookTimers.Hook.allCases.map { hook in
            guard implemented[hook] == true else { return nil }
            return services.metrics.registry.makeValueHistogram(
                name: "tollgate_plugin_hook_duration_seconds", labels: [("plugin", instanceName), ("hook", hook.rawValue)],
                buckets: GatewayMetrics.latencyBuckets, help: "Time spent in plugin hooks.")
        }

        let configBytes = config.serialized()
        var instanceOut: UnsafeMutableRawPointer? = nil
        let capacity = 1024
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
        defer { errorBuffer.deallocate() }
        var errorLength = 0
        host.phase = .create
        let status = configBytes.withUnsafeBytes { raw -> tollgate_type_status in
            let json = tollgate_type_str(ptr: raw.baseAddress?.assumingMemoryBound(to: CChar.self), len: raw.count)
            return d.on_create(HostAPI.table, host.pointer, json, &instanceOut, errorBuffer, capacity, &errorLength)
        }
        host.phase = .idle
        guard status == TOLLGATE_STATUS_OK else {
            let length = min(max(errorLength, 0), capacity)
            let message = errorBuffer.withMemoryRebound(to: UInt8.self, capacity: capacity) {
                String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
            }
            throw PluginLoadError(plugin: instanceName, file: library.sourcePath,
                                  reason: "create failed (\(HostStatusName.of(status)))" + (message.isEmpty ? "" : ": \(message)"))
        }
        self.instance = instanceOut
    }

    /// Only asked for a hook the plugin implements (HookChain runs no other).
    func hookDuration(_ hook: HookTimers.Hook) -> ValueHistogram {
        hookDurations[HookTimers.Hook.allCases.firstIndex(of: hook)!]!
    }

    /// Calls on_destroy once. The generation guarantees no hook is running.
    func destroy() {
        guard !destroyed else { return }
        destroyed = true
        library.descriptor.pointee.on_destroy(instance)
    }
}
