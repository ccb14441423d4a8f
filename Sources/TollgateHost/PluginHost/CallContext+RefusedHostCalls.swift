import CTollgatePlugin
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

extension CallContext {
    /// Counts a host call refused by the ABI's rules (a setter outside its
    /// phase, a write to a read-only map) against the plugin whose hook
    /// made it: the plugin only sees the status, the operator sees
    /// tollgate_plugin_host_call_refused_total{plugin, function, status}.
    func countRefusedHostCall(function: String, status: tollgate_type_status) {
        guard let plugin = runningPlugin else { return }
        plugin.host.services.metrics.record("tollgate_plugin_host_call_refused_total",
                                            labels: [plugin.instanceName, function, HostStatusName.of(status)], value: 1)
    }
}
