/// Fallbacks and deployments (ABI 1.2). on_pre_call only.
extension Call {
    /// The models the core tries, in order, if the current one fails before
    /// the first byte. Each must be in the catalog and allowed for the key.
    @discardableResult
    public func setFallbackModels(_ models: [String]) -> HostStatus {
        guard hostAPI.provides(\.set_fallback_models), let set = hostAPI.pointee.set_fallback_models else {
            return .unavailable
        }
        return withTollgateStrs(models) { HostStatus(rawValue: set(handle, $0.baseAddress, $0.count)) }
    }

    /// Pins the deployment (of the current model) the first attempt goes to.
    @discardableResult
    public func setDeployment(_ name: String) -> HostStatus {
        guard hostAPI.provides(\.set_deployment), let set = hostAPI.pointee.set_deployment else { return .unavailable }
        return withTollgateStr(name) { HostStatus(rawValue: set(handle, $0)) }
    }
}
