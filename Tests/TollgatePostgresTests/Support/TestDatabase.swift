import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import TollgatePostgres
import XCTest

/// One test's own database on the server TOLLGATE_TEST_DATABASE_URL names
/// (scripts/test.sh starts a throwaway cluster and sets it): created empty
/// for the test, dropped after it, so tests never see each other's rows.
/// Without the variable the test is skipped — unless
/// TOLLGATE_REQUIRE_POSTGRES=1 (scripts/test.sh sets it), where a missing
/// server is a failure, not a silent skip.
final class TestDatabase {
    static let urlVariable = "TOLLGATE_TEST_DATABASE_URL"

    let name: String
    /// The new database's URL.
    let url: String
    private let adminURL: String
    private var storages: [PostgresStorage] = []

    static var quietLogger: Logger {
        var logger = Logger(label: "tollgate.test.postgres")
        logger.logLevel = .critical
        return logger
    }

    /// A fresh, empty database, or XCTSkip.
    static func make(file: StaticString = #filePath, line: UInt = #line) throws -> TestDatabase {
        let environment = ProcessInfo.processInfo.environment
        guard let admin = environment[urlVariable], !admin.isEmpty else {
            if environment["TOLLGATE_REQUIRE_POSTGRES"] == "1" {
                XCTFail("TOLLGATE_REQUIRE_POSTGRES=1 but \(urlVariable) is unset: the PostgreSQL tests cannot run", file: file, line: line)
                throw TestDatabaseError("no \(urlVariable)")
            }
            throw XCTSkip("\(urlVariable) is unset: no PostgreSQL server for this test (scripts/test.sh starts one)")
        }
        let name = "tollgate_t_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try run(admin, "CREATE DATABASE \(name)")
        return TestDatabase(name: name, url: try Self.url(admin, database: name), adminURL: admin)
    }

    private init(name: String, url: String, adminURL: String) {
        self.name = name
        self.url = url
        self.adminURL = adminURL
    }

    /// A connected pool on this database (a "replica"), migrated unless told
    /// not to; closed by `drop`.
    func storage(poolSize: Int = 4, migrate: Bool = true) throws -> PostgresStorage {
        let storage = try PostgresStorage.connect(url: url, poolSize: poolSize, logger: Self.quietLogger)
        storages.append(storage)
        if migrate { try PostgresMigrator.migrate(storage) }
        return storage
    }

    /// Runs `sql` on this database, outside the stores (a test tampering or
    /// looking behind their back).
    func execute(_ sql: String) throws {
        try Self.run(url, sql)
    }

    /// Runs `sql` on the server's own database (the test's may refuse
    /// connections).
    func executeAsAdmin(_ sql: String) throws {
        try Self.run(adminURL, sql)
    }

    /// Closes the pools this test opened and drops the database.
    func drop() {
        for storage in storages { storage.close() }
        storages = []
        try? Self.run(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// `base` with its path set to `database`.
    static func url(_ base: String, database: String) throws -> String {
        guard var components = URLComponents(string: base) else { throw TestDatabaseError("\(urlVariable) is not a URL") }
        components.path = "/" + database
        guard let url = components.string else { throw TestDatabaseError("cannot build a URL for \(database)") }
        return url
    }

    /// One statement on a connection of its own.
    static func run(_ url: String, _ sql: String) throws {
        let parsed = try PostgresURL.parse(url)
        var configuration = PostgresConnection.Configuration(host: parsed.host ?? "127.0.0.1", port: parsed.port, username: parsed.user,
                                                             password: parsed.password, database: parsed.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        let connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                        id: 1, logger: quietLogger).wait()
        defer { try? connection.close().wait() }
        _ = try connection.simpleQuery(sql).wait()
    }
}

struct TestDatabaseError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A test case with its own empty database (`database`) and an empty
/// temporary directory (`directory`, for SQLite files), made before each
/// test and removed after it.
class DatabaseTestCase: XCTestCase {
    var database: TestDatabase!
    var directory = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        database = try TestDatabase.make()
        directory = NSTemporaryDirectory() + "pg-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        database?.drop()
        try? FileManager.default.removeItem(atPath: directory)
        super.tearDown()
    }
}
