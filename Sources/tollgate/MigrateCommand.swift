import ArgumentParser
import Foundation
import Logging
import TollgateConfig
import TollgateHost
import TollgatePostgres

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the PostgreSQL schema up to date (storage.backend: postgres); prints what it applied.",
        discussion: """
            Connects with the URL in the variable storage.url_env names and applies the schema migrations not applied yet, \
            each once, in order, in its own transaction, under an advisory lock (serve does the same at start). \
            With --from-sqlite DIR it then copies an embedded gateway's governance log (sequence numbers and hashes \
            kept, the chain verified after the copy) and its outcomes into the database, which must hold neither yet, \
            and ships DIR's ledger into it exactly once (run again, it adds only the rows written since).
            """)

    @Option(name: .long, help: "The YAML config file (its storage section names the database).")
    var config: String

    @Option(name: .customLong("from-sqlite"), help: ArgumentHelp("Copy this storage directory's governance log, outcomes and ledger.",
                                                                 valueName: "DIR"))
    var fromSQLite: String?

    /// The ledger's file name in the storage directory: the config's
    /// (tagging's `ledger.path`, when relative), else ledger.sqlite.
    static func ledgerFile(_ config: TollgateConfig) -> String {
        let prefix = config.storage.dir + "/"
        if let path = config.ledgerPath, path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
        return "ledger.sqlite"
    }

    func run() throws {
        let loaded = ConfigLoading.loadOrExit(config)
        guard loaded.storage.backend == .postgres else {
            ConfigLoading.printError("error: \(loaded.sourcePath): storage.backend is sqlite, and migrate works on PostgreSQL: "
                + "set storage.backend: postgres and storage.url_env (docs/config.md#storage)")
            throw ExitCode(1)
        }
        var logger = Logger(label: "tollgate.migrate")
        logger.logLevel = .error
        let database: PostgresStorage
        do {
            database = try PostgresStorage.open(loaded.storage, logger: logger, migrate: false)
        } catch {
            ConfigLoading.printError("error: \(error)")
            throw ExitCode(1)
        }
        defer { database.close() }
        do {
            let applied = try PostgresMigrator.migrate(database)
            for migration in applied { print("applied migration \(migration.version) (\(migration.name))") }
            let version = PostgresMigration.all.map(\.version).max() ?? 0
            print(applied.isEmpty ? "\(database.target): schema up to date (version \(version))"
                                  : "\(database.target): schema at version \(version)")
            if let directory = fromSQLite {
                let source = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
                let files = [SQLiteGovernanceStore.fileName, SQLiteOutcomeStore.fileName, CounterStore.journalFileName,
                             Self.ledgerFile(loaded)]
                guard files.contains(where: { FileManager.default.fileExists(atPath: source + "/" + $0) }) else {
                    ConfigLoading.printError("error: \(source) has none of \(files.joined(separator: ", ")): nothing to copy "
                        + "(is it the gateway's storage.dir?)")
                    throw ExitCode(1)
                }
                do {
                    let report = try SQLiteImport.run(from: source, into: database)
                    print("copied \(report.events) governance event(s) from \(source)/\(SQLiteGovernanceStore.fileName); "
                        + "the chain verifies in the database" + (report.lastHash.isEmpty ? "" : " (last hash \(report.lastHash))"))
                    print("copied \(report.outcomes) outcome(s) from \(source)/\(SQLiteOutcomeStore.fileName)")
                    print("copied the spent of \(report.counterWindows) counter window(s) from \(source)/\(CounterStore.journalFileName) "
                        + "(\(report.counterSpent) in total; open reservations are never copied)")
                } catch let already as SQLiteImport.AlreadyImported {
                    // A re-run (the embedded gateway kept writing its ledger): the
                    // governance log, outcomes and counters went in the first time.
                    print("governance log, outcomes and counters not copied: \(already)")
                }
                if let ledger = try SQLiteImport.shipLedger(from: source, file: Self.ledgerFile(loaded), into: database) {
                    print("shipped the ledger \(ledger.file) (source \(ledger.source)): \(ledger.rowsInFile) row(s) in the file, "
                        + "\(ledger.added) added to the database (the others were there already)")
                } else {
                    print("no ledger in \(source) (\(Self.ledgerFile(loaded)))")
                }
            }
        } catch {
            ConfigLoading.printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
