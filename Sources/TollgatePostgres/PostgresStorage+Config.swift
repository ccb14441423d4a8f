import Foundation
import Logging
import TollgateConfig

extension PostgresStorage {
    /// The database `storage` names (`url_env`), connected, with the schema
    /// migrated when `migrate` is set (serve: under the advisory lock, so
    /// replicas starting together do not race). Each error says what to do.
    package static func open(_ storage: StorageConfig, logger: Logger, migrate: Bool,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresStorage {
        guard let url = storage.databaseURL(environment: environment) else {
            throw PostgresStorageError.unreachable("storage.backend is postgres, but the environment variable \(storage.urlEnv) "
                + "(storage.url_env) is unset or empty: set it to the database's URL, "
                + "postgres://USER:PASSWORD@HOST:5432/DATABASE (docs/operations.md#postgresql)")
        }
        let database: PostgresStorage
        do {
            database = try connect(url: url, poolSize: storage.poolSize, logger: logger)
        } catch let error as PostgresStorageError {
            if case .badURL = error { throw PostgresStorageError.badURL("\(storage.urlEnv): \(error.description)") }
            throw error
        }
        if migrate {
            do {
                let applied = try PostgresMigrator.migrate(database)
                if !applied.isEmpty {
                    logger.notice("applied schema migrations", metadata: [
                        "database": .string(database.target), "versions": .string(applied.map { String($0.version) }.joined(separator: ",")),
                    ])
                }
            } catch {
                database.close()
                throw PostgresStorageError.schema("cannot migrate the schema of \(database.target): \(error)")
            }
        }
        return database
    }
}
