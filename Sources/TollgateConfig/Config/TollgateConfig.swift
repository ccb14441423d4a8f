import Foundation
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects

/// A config file, loaded and validated. Built only by `ConfigLoader`, which
/// guarantees the cross-references hold (every key's models exist, names
/// and ids are unique, paths are absolute).
public struct TollgateConfig: Sendable {
    /// Absolute path of the YAML file.
    public var sourcePath: String
    public var server: ServerConfig
    public var storage: StorageConfig
    public var catalog: ModelCatalog
    public var keys: KeyStore
    public var orgs: [OrgConfig]
    /// In pre-call order.
    public var plugins: [PluginEntry]
    public var alerts: [AlertSinkConfig]

    /// The admin master key from `server.master_key_env`; nil when that is
    /// not configured or the variable is unset or empty (admin endpoints off).
    public func masterKey(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let name = server.masterKeyEnv, let value = environment[name], !value.isEmpty else { return nil }
        return value
    }
}

public struct UpstreamTimeouts: Sendable, Equatable {
    public var connectMs: Int64 = 5_000
    public var firstByteMs: Int64 = 120_000
    public var idleMs: Int64 = 120_000

    public init(connectMs: Int64 = 5_000, firstByteMs: Int64 = 120_000, idleMs: Int64 = 120_000) {
        self.connectMs = connectMs
        self.firstByteMs = firstByteMs
        self.idleMs = idleMs
    }
}

/// How the core retries before the first byte and rests failing
/// deployments.
public struct UpstreamRetries: Sendable, Equatable {
    /// Upstream calls per request at most (the first one included).
    public var maxAttempts = 3
    /// Consecutive failures that put a deployment in cool-down.
    public var cooldownAfterFailures = 3
    public var cooldownSeconds: Int64 = 30

    public init(maxAttempts: Int = 3, cooldownAfterFailures: Int = 3, cooldownSeconds: Int64 = 30) {
        self.maxAttempts = maxAttempts
        self.cooldownAfterFailures = cooldownAfterFailures
        self.cooldownSeconds = cooldownSeconds
    }
}

/// How the gateway treats its own clients' connections (not the
/// upstream's): how long a connection may hold a slot without a request in
/// progress, and how many may be open at once.
public struct ClientConnectionLimits: Sendable, Equatable {
    /// From accept (or from the first byte of a kept-alive connection's
    /// next request) until the request head is complete.
    public var headerTimeoutMs: Int64 = 10_000
    /// A kept-alive connection waiting for its next request, and the
    /// longest silence while a request body is being received. Never while
    /// a response is produced or streamed.
    public var idleTimeoutMs: Int64 = 60_000
    /// Open client connections at most; one more is closed at accept.
    public var maxConnections = 10_000

    public init(headerTimeoutMs: Int64 = 10_000, idleTimeoutMs: Int64 = 60_000, maxConnections: Int = 10_000) {
        self.headerTimeoutMs = headerTimeoutMs
        self.idleTimeoutMs = idleTimeoutMs
        self.maxConnections = maxConnections
    }
}

public struct ServerConfig: Sendable, Equatable {
    /// Without brackets for IPv6 ("::1").
    public var host: String = "127.0.0.1"
    /// 0 asks the OS for a free port.
    public var port: Int = 4000
    public var masterKeyEnv: String?
    public var maxBodyBytes: Int = 10 * 1024 * 1024
    public var timeouts = UpstreamTimeouts()
    public var retries = UpstreamRetries()
    public var clients = ClientConnectionLimits()

    public init(host: String = "127.0.0.1", port: Int = 4000, masterKeyEnv: String? = nil,
                maxBodyBytes: Int = 10 * 1024 * 1024, timeouts: UpstreamTimeouts = UpstreamTimeouts()) {
        self.host = host
        self.port = port
        self.masterKeyEnv = masterKeyEnv
        self.maxBodyBytes = maxBodyBytes
        self.timeouts = timeouts
    }
}

public struct StorageConfig: Sendable, Equatable {
    /// Absolute.
    public var dir: String
    public init(dir: String) { self.dir = dir }
}

public struct TeamConfig: Sendable, Equatable {
    public var name: String
    public var owner: String?
    /// Ids of the team's keys, in file order.
    public var keyIds: [String]
    public init(name: String, owner: String?, keyIds: [String]) {
        self.name = name
        self.owner = owner
        self.keyIds = keyIds
    }
}

public struct OrgConfig: Sendable, Equatable {
    public var name: String
    public var teams: [TeamConfig]
    public init(name: String, teams: [TeamConfig]) {
        self.name = name
        self.teams = teams
    }
}

public enum FailPolicy: String, Sendable, Equatable, CaseIterable {
    /// A failing plugin is skipped and the request goes on.
    case open
    /// A failing plugin fails the request.
    case closed
}

public struct PluginEntry: Sendable, Equatable {
    /// A first-party plugin's name (loads libtollgate_NAME.so); nil when `path` is set.
    public var name: String?
    /// Absolute path of a plugin library; nil when `name` is set.
    public var path: String?
    /// Unique among the file's plugins: `id`, else `name`, else the file name stem.
    public var instanceName: String
    /// nil = the plugin's own default.
    public var fail: FailPolicy?
    /// The `config:` block as JSON; an empty object when absent.
    public var config: JSONValue
    /// Where the entry starts, for errors reported later (e.g. by `create`).
    public var location: SourceLocation

    public init(name: String?, path: String?, instanceName: String, fail: FailPolicy?, config: JSONValue,
                location: SourceLocation) {
        self.name = name
        self.path = path
        self.instanceName = instanceName
        self.fail = fail
        self.config = config
        self.location = location
    }
}

public enum AlertSinkConfig: Sendable, Equatable {
    case log
    /// A JSON POST per alert; see WebhookAlertSink. Headers are sent as
    /// written (e.g. a routing token the receiver expects).
    case webhook(url: String, timeoutMs: Int, retries: Int, backoffMs: Int = 500, queueSize: Int = 1_000,
                 headers: [String: String] = [:])
}
