import Foundation
import Logging
import TollgateConfig
import TollgateHost

/// "Give me a SQLite ledger to read": the one answer every reader uses —
/// the reports and `tollgate reconcile` (here), the gateway's finance
/// routes, dashboard and plugins (`LedgerStore.readablePath()` of the store
/// the gateway holds, which this mirrors).
///
/// - storage.backend sqlite: the ledger file (config's `ledgerPath`).
/// - storage.backend postgres: the read copy, storage.dir/ledger-shared.sqlite,
///   synced from the shared database first (every gateway's shipped rows).
package enum LedgerReading {
    /// The read copy of a shared ledger: storage.dir/ledger-shared.sqlite.
    package static func readCopyPath(_ config: TollgateConfig) -> String {
        config.storage.dir + "/" + PostgresLedgerReadCopy.fileName
    }

    /// The ledger file a process that holds no ledger store (the CLI)
    /// reads for `config`; nil when the config keeps no ledger. On
    /// postgres it connects (`database`, or the config's URL), syncs the
    /// read copy and returns its path. Blocks; not from a Swift task.
    package static func path(for config: TollgateConfig, database: PostgresStorage? = nil, logger: Logger) throws -> String? {
        guard let ledger = config.ledgerPath else { return nil }
        guard config.storage.backend == .postgres else { return ledger }
        try FileManager.default.createDirectory(atPath: config.storage.dir, withIntermediateDirectories: true)
        let storage = try database ?? PostgresStorage.open(config.storage, logger: logger, migrate: false)
        defer { if database == nil { storage.close() } }
        let copy = try PostgresLedgerReadCopy(path: readCopyPath(config), storage: storage)
        try copy.sync()
        return copy.path
    }

    /// The ledger store a gateway keeps for `config` (nil: the config keeps
    /// no ledger): the ledger file, or with a database that file as the
    /// outbox shipped to it, read through the read copy.
    package static func openStore(_ config: TollgateConfig, database: PostgresStorage?, metrics: GatewayMetrics?,
                                  logger: Logger) throws -> LedgerStore? {
        guard let path = config.ledgerPath else { return nil }
        guard let database else { return try SQLiteLedgerStore.open(path: path, metrics: metrics, logger: logger) }
        try FileManager.default.createDirectory(atPath: config.storage.dir, withIntermediateDirectories: true)
        return try PostgresLedgerStore(path: path, readCopyPath: readCopyPath(config), storage: database, metrics: metrics,
                                       logger: logger)
    }
}
