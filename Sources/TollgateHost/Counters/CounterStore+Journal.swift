import Foundation
import Logging
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// The gateway's counter store: spent persisted in `storage.dir/counters.db`
/// (SpentJournal), so budgets survive a restart. Built once at start; a
/// reload keeps it.
extension CounterStore {
    package static let journalFileName = "counters.db"

    package static func journaled(config: TollgateConfig, logger: Logger) throws -> CounterStore {
        let dir = config.storage.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let journal = try SpentJournal(path: dir + "/" + journalFileName, onError: { error in
            logger.error("counter journal write failed: \(error)")
        })
        return CounterStore(persistence: journal)
    }
}
