import Foundation
import Logging
import NIOCore
import ServiceLifecycle
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

/// The gateway as a Service in a ServiceGroup, as `serve` runs it, with the
/// group's graceful shutdown triggered by hand instead of a signal.
final class GatewayServiceTests: XCTestCase {
    func testGracefulShutdownWaitsForTheCallsInFlightNotForTheGracePeriod() async throws {
        let dir = NSTemporaryDirectory() + "tollgate-service-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/tollgate.yaml"
        try """
        storage: {dir: \(dir)/data}
        models:
          - {name: small, provider: mock, price: {input_per_mtok: "0.4", output_per_mtok: "1.6"}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let logger = Logger(label: "test")
        let gateway = try Gateway(config: try ConfigLoader.load(path: path), logger: logger, eventLoopThreads: 1)

        let (listening, announce) = AsyncStream.makeStream(of: SocketAddress.self)
        // An hour's grace: the run below ends only because the drain is
        // event-driven, not because the grace period ran out.
        let service = GatewayService(gateway: gateway, host: "127.0.0.1", port: 0, grace: .hours(1)) { address in
            announce.yield(address)
        }
        let group = ServiceGroup(services: [service], logger: logger)
        let running = Task { try await group.run() }
        var addresses = listening.makeAsyncIterator()
        let address = await addresses.next()
        XCTAssertNotNil(address?.port)
        XCTAssertTrue(gateway.listener.isBound)

        gateway.inFlight.enter()  // a call in flight
        await group.triggerGracefulShutdown()
        XCTAssertFalse(gateway.isCuttingInFlightCalls)
        gateway.inFlight.leave()  // ... ends: the shutdown goes on at once

        let stopped = expectation(description: "the service stopped")
        Task {
            try await running.value
            stopped.fulfill()
        }
        await fulfillment(of: [stopped], timeout: 60)
        XCTAssertTrue(gateway.isCuttingInFlightCalls, "shutdown ran to its end")
    }
}
