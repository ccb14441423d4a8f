import Foundation
import Logging
import TollgateConfig
import TollgateHost
import TollgatePostgres

/// Where the gateway keeps the state several gateways can share, picked by
/// `storage.backend`: governance.sqlite, outcomes.sqlite and counters.db in
/// the storage directory, or PostgreSQL (docs/operations.md#postgresql),
/// where the counters keep only their outbox (settles waiting for the
/// database) in the directory. The ledger is the ledger file either way,
/// shipped to PostgreSQL with postgres (LedgerReading.openStore). The
/// anomaly history stays in the storage directory either way.
package struct GatewayStorage: Sendable {
    package var governance: GovernanceStore
    package var outcomes: OutcomeStore
    package var counters: CounterStore
    /// The chargeback ledger plugins append to (nil: the config keeps none).
    package var ledger: LedgerStore? = nil
    /// The connection pool, closed after the stores at shutdown (postgres).
    package var database: PostgresStorage?

    /// Opens the configured stores. With postgres: connects (an unset URL
    /// variable or an unreachable database is an error that says so) and,
    /// when `migrate` is set, brings the schema up to date first.
    package static func open(_ config: TollgateConfig, logger: Logger, migrate: Bool = true, metrics: GatewayMetrics? = nil,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GatewayStorage {
        switch config.storage.backend {
        case .sqlite:
            return GatewayStorage(governance: try SQLiteGovernanceStore(directory: config.storage.dir),
                                  outcomes: try SQLiteOutcomeStore(directory: config.storage.dir),
                                  counters: try CounterStore.journaled(config: config, logger: logger),
                                  ledger: try LedgerReading.openStore(config, database: nil, metrics: metrics, logger: logger),
                                  database: nil)
        case .postgres:
            let database = try PostgresStorage.open(config.storage, logger: logger, migrate: migrate, environment: environment)
            do {
                return GatewayStorage(governance: PostgresGovernanceStore(storage: database),
                                      outcomes: PostgresOutcomeStore(storage: database),
                                      counters: try sharedCounters(config, database: database),
                                      ledger: try LedgerReading.openStore(config, database: database, metrics: metrics, logger: logger),
                                      database: database)
            } catch {
                database.close()
                throw error
            }
        }
    }

    /// Counters in the database, with their outbox in storage.dir; the
    /// first heartbeat is sent now, so a gateway is known before it holds
    /// anything, and the closes a previous run left waiting are applied.
    static func sharedCounters(_ config: TollgateConfig, database: PostgresStorage) throws -> CounterStore {
        try FileManager.default.createDirectory(atPath: config.storage.dir, withIntermediateDirectories: true)
        let outbox = try SQLiteCloseOutbox(path: config.storage.dir + "/" + CounterStore.journalFileName)
        let counters = CounterStore(shared: PostgresCounters(storage: database), outbox: outbox)
        try counters.refreshShared(reclaimAfterMs: Int64(config.storage.reclaimAfterSeconds) * 1000)
        return counters
    }

    /// What check-config looks at: the configured stores, never changed —
    /// with postgres, the database when the URL variable is set (it must
    /// answer) and its schema is current; otherwise nothing, with a warning
    /// saying why (serve would refuse an unset variable; it applies
    /// pending migrations itself).
    package static func openForCheck(_ config: TollgateConfig, logger: Logger, metrics: GatewayMetrics? = nil,
                                     environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> (GatewayStorage, warnings: [String]) {
        guard config.storage.backend == .postgres else { return (try open(config, logger: logger, metrics: metrics), []) }
        guard config.storage.databaseURL(environment: environment) != nil else {
            return (.memory, ["storage.url_env: \(config.storage.urlEnv) is unset or empty here, so the database was not "
                + "checked; serve refuses to start without it"])
        }
        let database = try PostgresStorage.open(config.storage, logger: logger, migrate: false, environment: environment)
        let applied = Set(try PostgresMigrator.appliedVersions(database))
        let pending = PostgresMigration.all.filter { !applied.contains($0.version) }
        guard pending.isEmpty else {
            database.close()
            return (.memory, ["\(database.target): \(pending.count) schema migration(s) not applied yet "
                + "(serve applies them at start, or run `tollgate migrate --config FILE`)"])
        }
        return (GatewayStorage(governance: PostgresGovernanceStore(storage: database), outcomes: PostgresOutcomeStore(storage: database),
                               counters: CounterStore(), database: database), [])
    }

    /// Nothing kept: check-config without a database to look at.
    package static var memory: GatewayStorage {
        GatewayStorage(governance: MemoryGovernanceStore(), outcomes: MemoryOutcomeStore(), counters: CounterStore(), database: nil)
    }
}
