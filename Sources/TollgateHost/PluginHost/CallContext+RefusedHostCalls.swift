import CTollgatePlugin
import TollgateABI
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

// The ABI's rules applied to the call behind a call handle. Refusals by the
// rules (WRONG_PHASE, READ_ONLY) are counted against the plugin whose hook
// made the call: the plugin only sees the status, the operator sees
// tollgate_plugin_host_call_refused_total{plugin, function, status}.
extension CallContext {
    /// nil when `function` may run in this call's phase with these
    /// out-parameters (see HostFunction.refusal); else the status, counted.
    func refusal(_ function: HostFunction, present first: Bool = true, _ second: Bool = true) -> tollgate_type_status? {
        counted(function, function.refusal(in: phase, present: first, second))
    }

    /// `status`, counted when it is a refusal by the ABI's rules.
    func counted(_ function: HostFunction, _ status: tollgate_type_status?) -> tollgate_type_status? {
        guard let status else { return nil }
        if status == TOLLGATE_STATUS_WRONG_PHASE || status == TOLLGATE_STATUS_READ_ONLY {
            countRefusedHostCall(function: function.name, status: status)
        }
        return status
    }

    /// The chunk functions need the event under the chunk hooks; in on_chunk
    /// there always is one (HookChain sets it), so this only guards the host.
    func eventRefusal(_ function: HostFunction) -> tollgate_type_status? {
        currentEvent == nil ? counted(function, TOLLGATE_STATUS_WRONG_PHASE) : nil
    }

    /// Counts a host call refused by the ABI's rules (a setter outside its
    /// phase, a write to a read-only map) against the plugin whose hook
    /// made it.
    func countRefusedHostCall(function: String, status: tollgate_type_status) {
        guard let plugin = runningPlugin else { return }
        plugin.host.services.metrics.record("tollgate_plugin_host_call_refused_total",
                                            labels: [plugin.instanceName, function, HostStatusName.of(status)], value: 1)
    }
}
