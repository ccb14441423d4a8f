/// A Tollgate plugin written in Swift: one type, created once per
/// `plugins:` entry in the configuration, that conforms to the hook
/// protocols it implements (`PreCallHook`, `ChunkHook`, `PostCallHook`,
/// `RouteHook`, `ShutdownHook`). The kit exports only the hooks the type
/// conforms to, so the host skips the rest.
///
/// Hooks of different requests run concurrently on different threads: the
/// instance must be thread-safe (`Locked` helps). Hooks of one request are
/// serialised and never nested.
public protocol TollgatePlugin {
    /// Name, version and default fail policy, put in the descriptor.
    static var info: PluginInfo { get }

    /// Builds an instance from the entry's `config:` block (an empty
    /// object when the entry has none, or an empty one). Throw `PluginError("...")` to refuse the configuration: the
    /// message becomes the host's create error. Runs on the control thread.
    init(host: PluginHost, config: JSONValue) throws
}

/// `on_pre_call`: before the request is forwarded, in configured order.
/// A thrown error is logged and becomes `.error` (the host applies the
/// plugin's fail policy).
public protocol PreCallHook: TollgatePlugin {
    func preCall(_ call: Call) throws -> PreCallVerdict
}

/// `on_chunk`: once per response event, in reverse configured order.
/// A thrown error is logged and becomes `.error`.
public protocol ChunkHook: TollgatePlugin {
    func onChunk(_ call: Call) throws -> ChunkVerdict
}

/// `on_post_call`: exactly once per request the plugin entered, after the
/// outcome is known, in reverse configured order. A thrown error is logged.
public protocol PostCallHook: TollgatePlugin {
    func postCall(_ call: Call) throws
}

/// Called from `on_destroy`, on the control thread, after the last hook of
/// the instance returned; then the instance is released.
public protocol ShutdownHook: TollgatePlugin {
    func shutdown()
}

/// What the descriptor says about the plugin.
public struct PluginInfo: Sendable {
    public var name: String
    public var version: String
    /// The default fail policy when the YAML does not say (`fail:`).
    public var failClosed: Bool
    /// The lowest host ABI minor version the plugin needs (1.N added the
    /// host functions it calls). The entry refuses older hosts.
    public var requiredMinor: UInt16

    public init(name: String, version: String, failClosed: Bool = false, requiredMinor: UInt16 = 0) {
        self.name = name
        self.version = version
        self.failClosed = failClosed
        self.requiredMinor = requiredMinor
    }
}

/// An error whose message a person reads: thrown from `init(host:config:)`
/// it becomes the create error the host logs; thrown from a hook it is
/// logged through the host.
public struct PluginError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
