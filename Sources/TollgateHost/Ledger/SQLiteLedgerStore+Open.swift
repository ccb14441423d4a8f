import Foundation
import Logging
import TollgateLedger

extension SQLiteLedgerStore {
    /// The metric every row the ledger could not commit counts on (the
    /// tagging plugin counts the rows the host refused on it too).
    package static let writeErrorsMetric = "tollgate_ledger_write_errors_total"

    /// Opens the ledger at `path` for the gateway: a failed commit is logged
    /// and counted on `tollgate_ledger_write_errors_total`; a migration of
    /// an older file is logged (what it did, every row kept).
    package static func open(path: String, metrics: GatewayMetrics?, logger: Logger) throws -> SQLiteLedgerStore {
        let errors = try metrics?.define(kind: .counter, name: writeErrorsMetric,
                                         help: "Ledger rows that could not be written (see the log)", labelNames: [])
        let store: SQLiteLedgerStore
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        do {
            store = try SQLiteLedgerStore(path: path, onError: { error in
                if let metrics, let errors { _ = metrics.record(id: errors, labelValues: [], value: 1) }
                logger.error("ledger write failed: \(error)", metadata: ["ledger": .string(path)])
            })
        } catch {
            throw LedgerStoreError("cannot open the ledger \(path): \(error)")
        }
        if let migration = store.migration {
            logger.info("ledger \(path) migrated to schema \(LedgerSchema.version) (\(migration.summary); every row kept)")
        }
        return store
    }
}
