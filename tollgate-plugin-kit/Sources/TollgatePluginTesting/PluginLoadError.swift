import TollgatePluginKit

/// Why `PluginUnderTest` could not load a plugin; the description says what
/// was wrong and what to check.
public enum PluginLoadError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case openFailed(path: String, reason: String)
    case missingEntrySymbol(path: String)
    /// The entry returned NULL: the plugin refused this host version.
    case refused(path: String, hostMajor: UInt16, hostMinor: UInt16)
    case badDescriptor(path: String, reason: String)
    /// on_create failed; `message` is what the plugin wrote.
    case createFailed(path: String, status: HostStatus, message: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "plugin \(path): no such file; build it first (swift build / cc -shared) and check the path"
        case .openFailed(let path, let reason):
            return "plugin \(path): dlopen failed: \(reason)"
        case .missingEntrySymbol(let path):
            return "plugin \(path): does not export \(TOLLGATE_PLUGIN_ENTRY_SYMBOL); "
                + "a Swift plugin needs `@_cdecl(\"\(TOLLGATE_PLUGIN_ENTRY_SYMBOL)\") public func ...`"
        case .refused(let path, let major, let minor):
            return "plugin \(path): refused host ABI \(major).\(minor) (the entry returned NULL)"
        case .badDescriptor(let path, let reason):
            return "plugin \(path): invalid descriptor: \(reason)"
        case .createFailed(let path, let status, let message):
            return "plugin \(path): create failed (\(status)): \(message)"
        }
    }
}

/// A test drove the harness in a way the real host never would.
public struct HarnessMisuse: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
