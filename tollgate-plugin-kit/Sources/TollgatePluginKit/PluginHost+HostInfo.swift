/// Facts about the host and this instance (ABI 1.2).
extension PluginHost {
    /// One host property; nil on a host older than 1.2 or when unset.
    public func hostString(_ property: Int32) -> String? {
        guard hostAPI.provides(\.get_host_string), let get = hostAPI.pointee.get_host_string else { return nil }
        var out = tollgate_type_str()
        guard get(handle, property, &out) == TOLLGATE_STATUS_OK else { return nil }
        return String(tollgate: out)
    }

    /// The configured storage directory (absolute; the host created it).
    /// Keep files under it, named after `instanceName`.
    public var storageDirectory: String? { hostString(TOLLGATE_HOST_PROP_STORAGE_DIR) }
    /// The instance's name from the config (`id`, else the plugin's name).
    public var instanceName: String? { hostString(TOLLGATE_HOST_PROP_INSTANCE_NAME) }
    public var hostVersion: String? { hostString(TOLLGATE_HOST_PROP_HOST_VERSION) }
    public var configPath: String? { hostString(TOLLGATE_HOST_PROP_CONFIG_PATH) }
}
