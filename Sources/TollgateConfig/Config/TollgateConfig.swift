import Foundation
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects

/// A config file, loaded and validated. Built only by `ConfigLoader`, which
/// guarantees the cross-references hold (every key's models exist, names
/// and ids are unique, paths are absolute).
package struct TollgateConfig: Sendable {
    /// Absolute path of the YAML file.
    package var sourcePath: String
    package var server: ServerConfig
    package var storage: StorageConfig
    package var catalog: ModelCatalog
    package var keys: KeyStore
    package var orgs: [OrgConfig]
    /// In pre-call order.
    package var plugins: [PluginEntry]
    package var alerts: [AlertSinkConfig]
    /// The committee's grants (minted ones live in the state store).
    package var grants: [Grant] = []
    /// Team admins and viewers, by the SHA-256 of their secret.
    package var credentials: [(sha256Hex: String, credential: Credential)] = []
    package var capacity = CapacityConfig()
    package var exceptionPolicy = ExceptionPolicy()
    package var burstPools: [BurstPool] = []
    /// `finance:` the rules of the finance reports.
    package var finance = FinancePolicy()
    /// Where each configured key lives, for grant tables.
    package var keyPlacements: [String: KeyPlacement] = [:]
    /// Not errors, but worth a look (check-config prints them, serve logs
    /// them): capacity oversubscribed, grants with nothing to carve from.
    package var warnings: [ConfigError] = []

    /// The admin master key from `server.master_key_env`; nil when that is
    /// not configured or the variable is unset or empty (admin endpoints off).
    package func masterKey(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let name = server.masterKeyEnv, let value = environment[name], !value.isEmpty else { return nil }
        return value
    }
}

package struct UpstreamTimeouts: Sendable, Equatable {
    package var connectMs: Int64 = 5_000
    package var firstByteMs: Int64 = 120_000
    package var idleMs: Int64 = 120_000

    package init(connectMs: Int64 = 5_000, firstByteMs: Int64 = 120_000, idleMs: Int64 = 120_000) {
        self.connectMs = connectMs
        self.firstByteMs = firstByteMs
        self.idleMs = idleMs
    }
}

/// How the core retries before the first byte and rests failing
/// deployments.
package struct UpstreamRetries: Sendable, Equatable {
    /// Upstream calls per request at most (the first one included).
    package var maxAttempts = 3
    /// Consecutive failures that put a deployment in cool-down.
    package var cooldownAfterFailures = 3
    package var cooldownSeconds: Int64 = 30

    package init(maxAttempts: Int = 3, cooldownAfterFailures: Int = 3, cooldownSeconds: Int64 = 30) {
        self.maxAttempts = maxAttempts
        self.cooldownAfterFailures = cooldownAfterFailures
        self.cooldownSeconds = cooldownSeconds
    }
}

/// How the gateway treats its own clients' connections (not the
/// upstream's): how long a connection may hold a slot without a request in
/// progress, and how many may be open at once.
package struct ClientConnectionLimits: Sendable, Equatable {
    /// From accept (or from the first byte of a kept-alive connection's
    /// next request) until the request head is complete.
    package var headerTimeoutMs: Int64 = 10_000
    /// A kept-alive connection waiting for its next request, and the
    /// longest silence while a request body is being received. Never while
    /// a response is produced or streamed.
    package var idleTimeoutMs: Int64 = 60_000
    /// Open client connections at most; one more is closed at accept.
    package var maxConnections = 10_000

    package init(headerTimeoutMs: Int64 = 10_000, idleTimeoutMs: Int64 = 60_000, maxConnections: Int = 10_000) {
        self.headerTimeoutMs = headerTimeoutMs
        self.idleTimeoutMs = idleTimeoutMs
        self.maxConnections = maxConnections
    }
}

package struct ServerConfig: Sendable, Equatable {
    /// Without brackets for IPv6 ("::1").
    package var host: String = "127.0.0.1"
    /// 0 asks the OS for a free port.
    package var port: Int = 4000
    package var masterKeyEnv: String?
    package var maxBodyBytes: Int = 10 * 1024 * 1024
    package var timeouts = UpstreamTimeouts()
    package var retries = UpstreamRetries()
    package var clients = ClientConnectionLimits()

    package init(host: String = "127.0.0.1", port: Int = 4000, masterKeyEnv: String? = nil,
                maxBodyBytes: Int = 10 * 1024 * 1024, timeouts: UpstreamTimeouts = UpstreamTimeouts()) {
        self.host = host
        self.port = port
        self.masterKeyEnv = masterKeyEnv
        self.maxBodyBytes = maxBodyBytes
        self.timeouts = timeouts
    }
}

package struct StorageConfig: Sendable, Equatable {
    /// Where the shared state lives: SQLite files in `dir` (one gateway),
    /// or a PostgreSQL database that several gateways share.
    package enum Backend: String, Sendable, CaseIterable {
        case sqlite, postgres
    }

    /// Absolute. SQLite files: everything with `sqlite`; with `postgres`,
    /// what is not shared yet (the counters, the ledger, the anomaly history).
    package var dir: String
    package var backend: Backend = .sqlite
    /// postgres: the environment variable holding the connection URL (the
    /// URL has the password: it is never written in the file).
    package var urlEnv = StorageConfig.defaultURLEnv
    /// postgres: connections per gateway process, at most.
    package var poolSize = 10
    /// postgres: a gateway that has not been heard from for this long is
    /// taken for dead and its open reservations are given back
    /// (docs/operations.md#the-bound-across-replicas).
    package var reclaimAfterSeconds = 10

    package static let defaultURLEnv = "TOLLGATE_DATABASE_URL"

    package init(dir: String, backend: Backend = .sqlite, urlEnv: String = StorageConfig.defaultURLEnv, poolSize: Int = 10) {
        self.dir = dir
        self.backend = backend
        self.urlEnv = urlEnv
        self.poolSize = poolSize
    }

    /// The connection URL from `url_env`; nil when the variable is unset or empty.
    package func databaseURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let value = environment[urlEnv]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }
}

package struct TeamConfig: Sendable, Equatable {
    package var name: String
    package var owner: String?
    /// Ids of the team's keys, in file order.
    package var keyIds: [String]
    /// The one or two outcome metrics the team reports (`outcomes:`), from
    /// its org's `outcome_metrics`; cost per outcome is spend over these.
    package var outcomes: [String] = []
    /// The cost centre finance charges the team's spend to (`cost_center:`).
    package var costCenter: String?
    package init(name: String, owner: String?, keyIds: [String], outcomes: [String] = [], costCenter: String? = nil) {
        self.name = name
        self.owner = owner
        self.keyIds = keyIds
        self.outcomes = outcomes
        self.costCenter = costCenter
    }
}

package struct OrgConfig: Sendable, Equatable {
    package var name: String
    package var teams: [TeamConfig]
    /// The outcome metrics the org's teams may report (`outcome_metrics:`,
    /// e.g. resolved_ticket, merged_pr).
    package var outcomeMetrics: [String] = []
    package init(name: String, teams: [TeamConfig], outcomeMetrics: [String] = []) {
        self.name = name
        self.teams = teams
        self.outcomeMetrics = outcomeMetrics
    }

    package func team(_ name: String) -> TeamConfig? { teams.first { $0.name == name } }
}

package enum FailPolicy: String, Sendable, Equatable, CaseIterable {
    /// A failing plugin is skipped and the request goes on.
    case open
    /// A failing plugin fails the request.
    case closed
}

package struct PluginEntry: Sendable, Equatable {
    /// A first-party plugin's name (loads libtollgate_NAME.so); nil when `path` is set.
    package var name: String?
    /// Absolute path of a plugin library; nil when `name` is set.
    package var path: String?
    /// Unique among the file's plugins: `id`, else `name`, else the file name stem.
    package var instanceName: String
    /// nil = the plugin's own default.
    package var fail: FailPolicy?
    /// The `config:` block as JSON; an empty object when absent.
    package var config: JSONValue
    /// Where the entry starts, for errors reported later (e.g. by `create`).
    package var location: SourceLocation

    package init(name: String?, path: String?, instanceName: String, fail: FailPolicy?, config: JSONValue,
                location: SourceLocation) {
        self.name = name
        self.path = path
        self.instanceName = instanceName
        self.fail = fail
        self.config = config
        self.location = location
    }
}

package enum AlertSinkConfig: Sendable, Equatable {
    case log
    /// A JSON POST per alert; see WebhookAlertSink. Headers are sent as
    /// written (e.g. a routing token the receiver expects).
    case webhook(url: String, timeoutMs: Int, retries: Int, backoffMs: Int = 500, queueSize: Int = 1_000,
                 headers: [String: String] = [:])
}
