import Foundation
import Logging
import NIOPosix
import PostgresNIO
import XCTest

/// One test's own database on the server TOLLGATE_TEST_DATABASE_URL names
/// (scripts/test.sh starts a throwaway cluster and sets it), dropped after
/// the test. Without the variable the test is skipped, unless
/// TOLLGATE_REQUIRE_POSTGRES=1 (scripts/test.sh): then it fails.
final class TestPostgres {
    static let urlVariable = "TOLLGATE_TEST_DATABASE_URL"

    let name: String
    /// The new database's URL, for the gateways.
    let url: String
    private let adminURL: URLComponents

    static func make(file: StaticString = #filePath, line: UInt = #line) throws -> TestPostgres {
        let environment = ProcessInfo.processInfo.environment
        guard let admin = environment[urlVariable], !admin.isEmpty, let components = URLComponents(string: admin) else {
            if environment["TOLLGATE_REQUIRE_POSTGRES"] == "1" {
                XCTFail("TOLLGATE_REQUIRE_POSTGRES=1 but \(urlVariable) is unset: the PostgreSQL tests cannot run", file: file, line: line)
                throw TestFailure("no \(urlVariable)")
            }
            throw XCTSkip("\(urlVariable) is unset: no PostgreSQL server for this test (scripts/test.sh starts one)")
        }
        let name = "tollgate_e2e_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try run(components, "CREATE DATABASE \(name)")
        var own = components
        own.path = "/" + name
        return TestPostgres(name: name, url: own.string ?? admin, adminURL: components)
    }

    private init(name: String, url: String, adminURL: URLComponents) {
        self.name = name
        self.url = url
        self.adminURL = adminURL
    }

    func drop() {
        try? Self.run(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    private static func run(_ url: URLComponents, _ sql: String) throws {
        var logger = Logger(label: "tollgate.e2e.postgres")
        logger.logLevel = .critical
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        var configuration = PostgresConnection.Configuration(host: url.host ?? "127.0.0.1", port: url.port ?? 5432,
                                                             username: url.user ?? "postgres", password: url.password,
                                                             database: database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        let connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                        id: 1, logger: logger).wait()
        defer { try? connection.close().wait() }
        _ = try connection.simpleQuery(sql).wait()
    }
}
