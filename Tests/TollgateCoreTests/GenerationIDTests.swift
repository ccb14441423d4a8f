import Foundation
import Logging
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

/// Generation ids count the generations that served: a reload that fails
/// takes no id, so the ids an operator sees (logs, /admin/reload, the
/// tollgate_generation gauge) have no holes.
final class GenerationIDTests: XCTestCase {
    func testAFailedReloadDoesNotConsumeAGenerationID() async throws {
        let dir = NSTemporaryDirectory() + "tollgate-generation-ids-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/tollgate.yaml"
        let good = """
        storage: {dir: \(dir)/data}
        models:
          - {name: small, provider: mock, price: {input_per_mtok: "0.4", output_per_mtok: "1.6"}}
        """
        try good.write(toFile: path, atomically: true, encoding: .utf8)
        let gateway = try Gateway(config: try ConfigLoader.load(path: path), logger: Logger(label: "test"), eventLoopThreads: 1)
        addTeardownBlock { await gateway.shutdown(grace: .zero) }
        XCTAssertEqual(gateway.generations.generation.id, 1)

        XCTAssertTrue(gateway.reloader.reloadAndWait().succeeded)
        XCTAssertEqual(gateway.generations.generation.id, 2)

        // A config error, then a plugin that cannot load: neither serves.
        try (good + "\nmodles: []\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertFalse(gateway.reloader.reloadAndWait().succeeded)
        try (good + "\nplugins:\n  - path: \(dir)/no-such-plugin.so\n").write(toFile: path, atomically: true, encoding: .utf8)
        let failed = gateway.reloader.reloadAndWait()
        XCTAssertFalse(failed.succeeded)
        XCTAssertEqual(failed.generation, 2, "the serving generation")

        try good.write(toFile: path, atomically: true, encoding: .utf8)
        let next = gateway.reloader.reloadAndWait()
        XCTAssertTrue(next.succeeded)
        XCTAssertEqual(next.generation, 3)
        XCTAssertEqual(gateway.generations.generation.id, 3)
    }
}
