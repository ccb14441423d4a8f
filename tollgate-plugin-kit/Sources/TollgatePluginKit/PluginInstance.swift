/// The kit's side of one instance: the plugin with its hooks resolved once
/// at create, so a hook call costs no dynamic cast. Passed to the host as an
/// Unmanaged pointer (the instance_plugin_ptr), released by on_destroy.
final class PluginInstance {
    let plugin: any TollgatePlugin
    let host: PluginHost
    let preCallHook: (any PreCallHook)?
    let chunkHook: (any ChunkHook)?
    let postCallHook: (any PostCallHook)?
    let shutdownHook: (any ShutdownHook)?
    let routeHook: (any RouteHook)?

    init(plugin: any TollgatePlugin, host: PluginHost) {
        self.plugin = plugin
        self.host = host
        preCallHook = plugin as? any PreCallHook
        chunkHook = plugin as? any ChunkHook
        postCallHook = plugin as? any PostCallHook
        shutdownHook = plugin as? any ShutdownHook
        routeHook = plugin as? any RouteHook
    }

    /// A hook threw: the error stays on this side of the C boundary and is
    /// logged through the host.
    func report(_ error: any Error, in hook: String, call: Call) {
        host.log(.error, "\(hook) failed: \(error)", call: call)
    }
}
