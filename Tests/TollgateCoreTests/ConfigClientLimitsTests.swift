import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

/// `server.header_timeout_ms`, `idle_timeout_ms`, `max_connections`.
final class ConfigClientLimitsTests: XCTestCase {
    static let models = """
    models:
      - name: small
        provider: mock
        price: {input_per_mtok: "0.40", output_per_mtok: "1.60"}

    """

    func testDefaults() throws {
        let config = try ConfigLoader.parse(yaml: Self.models, file: "/cfg/tollgate.yaml")
        XCTAssertEqual(config.server.clients, ClientConnectionLimits(headerTimeoutMs: 10_000, idleTimeoutMs: 60_000,
                                                                     maxConnections: 10_000))
    }

    func testValuesAreRead() throws {
        let yaml = Self.models + "server: {header_timeout_ms: 2_500, idle_timeout_ms: \"30000\", max_connections: 512}\n"
        let config = try ConfigLoader.parse(yaml: yaml, file: "/cfg/tollgate.yaml")
        XCTAssertEqual(config.server.clients, ClientConnectionLimits(headerTimeoutMs: 2_500, idleTimeoutMs: 30_000,
                                                                     maxConnections: 512))
    }

    func testMistakesNameFileLineAndColumn() {
        let yaml = Self.models + """
        server:
          header_timeout_ms: 10s
          idle_timeout_ms: 0
          max_connections: 2000000
          idle_timeout: 5
        """
        XCTAssertThrowsError(try ConfigLoader.parse(yaml: yaml, file: "/cfg/tollgate.yaml")) { error in
            guard let errors = error as? ConfigErrors else { return XCTFail("\(error)") }
            XCTAssertEqual(errors.description.split(separator: "\n").map(String.init), [
                "/cfg/tollgate.yaml:6:22: expected header_timeout_ms (milliseconds), got '10s'",
                "/cfg/tollgate.yaml:7:20: idle_timeout_ms (milliseconds) must be between 1 and 86400000, got 0",
                "/cfg/tollgate.yaml:8:20: max_connections (1 to 1000000) must be between 1 and 1000000, got 2000000",
                "/cfg/tollgate.yaml:9:3: unknown key 'idle_timeout' in server; did you mean 'idle_timeout_ms'?",
            ])
        }
    }
}
