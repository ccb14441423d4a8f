import Foundation
import XCTest
@testable import TollgateConfig

/// `storage:` — sqlite stays the default and unchanged; postgres names the
/// variable holding the URL (never the URL), with file:line:column errors.
final class StorageConfigTests: XCTestCase {
    static let models = """
    models:
      - {name: small, provider: mock, price: {input_per_mtok: "0.40", output_per_mtok: "1.60"}}

    """

    func load(_ storage: String) throws -> TollgateConfig {
        try ConfigLoader.parse(yaml: storage + "\n" + Self.models, file: "/cfg/tollgate.yaml")
    }

    func testSQLiteIsTheDefaultAndUnchanged() throws {
        let config = try load("storage: {dir: ./data}")
        XCTAssertEqual(config.storage, StorageConfig(dir: "/cfg/data"))
        XCTAssertEqual(config.storage.backend, .sqlite)
        XCTAssertEqual(try load("").storage.backend, .sqlite)
    }

    func testPostgresNamesTheVariableThatHoldsTheURL() throws {
        let config = try load("""
        storage:
          backend: postgres
          dir: ./data
          url_env: GATEWAY_DB
          pool_size: 16
        """)
        XCTAssertEqual(config.storage.backend, .postgres)
        XCTAssertEqual(config.storage.dir, "/cfg/data", "still where what is not shared yet goes")
        XCTAssertEqual(config.storage.urlEnv, "GATEWAY_DB")
        XCTAssertEqual(config.storage.poolSize, 16)
        XCTAssertEqual(config.storage.databaseURL(environment: ["GATEWAY_DB": "postgres://u:p@db:5432/tollgate"]),
                       "postgres://u:p@db:5432/tollgate")
        XCTAssertNil(config.storage.databaseURL(environment: ["GATEWAY_DB": " "]), "empty is unset")
        XCTAssertNil(config.storage.databaseURL(environment: [:]))
        let defaults = try load("storage: {backend: postgres}").storage
        XCTAssertEqual(defaults.urlEnv, "TOLLGATE_DATABASE_URL")
        XCTAssertEqual(defaults.poolSize, 10)
    }

    func testMistakesAreReportedWhereTheyAre() {
        XCTAssertEqual(ConfigLoaderTests.problems("""
        storage:
          backend: postgress
          url_env: postgres://u:secret@db/tollgate
          pool_size: 0
        """ + "\n" + Self.models), [
            "2:12: unknown storage.backend 'postgress'; did you mean 'postgres'? (expected sqlite | postgres)",
            "3:12: storage.url_env 'postgres://u:secret@db/tollgate' is not an environment variable name; write the variable's name (e.g. VENDOR_API_KEY), not its value",
            "4:14: storage.pool_size (connections per gateway, 1 to 1000) must be between 1 and 1000, got 0",
        ])
        XCTAssertEqual(ConfigLoaderTests.problems("""
        storage:
          dir: ./data
          url_env: TOLLGATE_DATABASE_URL
        """ + "\n" + Self.models), [
            "3:12: storage.url_env is for backend: postgres, and this storage is sqlite (the default); add `backend: postgres` or remove url_env",
        ])
        XCTAssertEqual(ConfigLoaderTests.problems("storage: {backend: postgres, url: x}\n" + Self.models).first?.hasPrefix("1:30: unknown key 'url' in storage"),
                       true)
    }
}
