import NIOConcurrencyHelpers
import TollgateSupport
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateReports
import TollgateMockProvider
import TollgateProxy
import TollgateUnits
import XCTest

/// Cool-down, probation and recovery of deployments, and the order the
/// core tries them in, on a clock the test moves.
final class DeploymentHealthTests: XCTestCase {
    /// A clock the test moves by hand.
    final class TestClock: @unchecked Sendable {
        private let lock = NIOLock()
        private var millis: Int64 = 1_000_000
        func now() -> Int64 { lock.withLock { millis } }
        func advance(_ delta: Int64) { lock.withLock { millis += delta } }
    }

    let clock = TestClock()

    func health(threshold: Int = 3, cooldownMillis: Int64 = 30_000) -> DeploymentHealth {
        let clock = self.clock
        return DeploymentHealth(failureThreshold: threshold, cooldownMillis: cooldownMillis, now: { clock.now() })
    }

    static let price = Price(inputPerMTokNanos: 1, outputPerMTokNanos: 1)

    func model(_ deployments: [(String, Int)], name: String = "large") -> ModelEntry {
        ModelEntry(name: name, provider: .openai, baseURL: "http://127.0.0.1:1/v1", price: Self.price,
                   deployments: deployments.map { Deployment(name: $0.0, baseURL: "http://127.0.0.1:1/v1", upstreamModel: $0.0,
                                                             apiKeyEnv: nil, weight: $0.1) })
    }

    func names(_ deployments: [Deployment]) -> [String] { deployments.map(\.name) }

    func testConsecutiveFailuresStartACoolDownThatEndsByTheClock() {
        let health = health()
        XCTAssertFalse(health.recordFailure(model: "large", deployment: "east"))
        XCTAssertFalse(health.recordFailure(model: "large", deployment: "east"))
        XCTAssertFalse(health.isCoolingDown(model: "large", deployment: "east"))
        XCTAssertTrue(health.recordFailure(model: "large", deployment: "east"), "the third failure starts the rest")
        XCTAssertTrue(health.isCoolingDown(model: "large", deployment: "east"))
        XCTAssertFalse(health.isCoolingDown(model: "large", deployment: "west"))
        XCTAssertFalse(health.isCoolingDown(model: "small", deployment: "east"), "health is per model and deployment")

        clock.advance(29_999)
        XCTAssertTrue(health.isCoolingDown(model: "large", deployment: "east"))
        // Failures while resting (tried as a last resort) neither extend nor restart it.
        XCTAssertFalse(health.recordFailure(model: "large", deployment: "east"))
        clock.advance(1)
        XCTAssertFalse(health.isCoolingDown(model: "large", deployment: "east"), "recovered when the cool-down ends")
        XCTAssertEqual(health.deploymentStates().map(\.coolingDown), [false])
    }

    func testASuccessResetsTheCount() {
        let health = health()
        health.recordFailure(model: "large", deployment: "east")
        health.recordFailure(model: "large", deployment: "east")
        health.recordSuccess(model: "large", deployment: "east")
        health.recordFailure(model: "large", deployment: "east")
        XCTAssertFalse(health.recordFailure(model: "large", deployment: "east"))
        XCTAssertFalse(health.isCoolingDown(model: "large", deployment: "east"))
    }

    func testAfterACoolDownOneFailureSendsItBackAndOneSuccessHealsIt() {
        let health = health(threshold: 2, cooldownMillis: 1_000)
        health.recordFailure(model: "large", deployment: "east")
        XCTAssertTrue(health.recordFailure(model: "large", deployment: "east"))
        clock.advance(1_000)
        XCTAssertFalse(health.isCoolingDown(model: "large", deployment: "east"))
        // On probation: the first failure is enough.
        XCTAssertTrue(health.recordFailure(model: "large", deployment: "east"))
        XCTAssertTrue(health.isCoolingDown(model: "large", deployment: "east"))
        clock.advance(1_000)
        health.recordSuccess(model: "large", deployment: "east")
        // Healthy again: back to needing `threshold` failures.
        XCTAssertFalse(health.recordFailure(model: "large", deployment: "east"))
        XCTAssertFalse(health.isCoolingDown(model: "large", deployment: "east"))
    }

    func testACoolDownOfZeroNeverRests() {
        let health = health(threshold: 1, cooldownMillis: 0)
        XCTAssertFalse(health.recordFailure(model: "large", deployment: "east"))
        XCTAssertFalse(health.isCoolingDown(model: "large", deployment: "east"))
    }

    func testSettingsChangedByAReloadApplyToTheNextFailure() {
        let health = health(threshold: 5, cooldownMillis: 1_000)
        health.recordFailure(model: "large", deployment: "east")
        health.failureThreshold = 2
        health.cooldownMillis = 60_000
        XCTAssertTrue(health.recordFailure(model: "large", deployment: "east"))
        clock.advance(59_999)
        XCTAssertTrue(health.isCoolingDown(model: "large", deployment: "east"))
    }

    func testOrderPutsAHealthyPinFirstThenDrawsByWeightThenRestingLast() {
        let health = health(threshold: 1)
        let entry = model([("east", 3), ("west", 1), ("north", 1)])
        // random 0.0 picks the first by weight, 0.99 the last.
        XCTAssertEqual(names(health.order(entry, pinned: nil, random: { 0.0 })), ["east", "west", "north"])
        XCTAssertEqual(names(health.order(entry, pinned: nil, random: { 0.99 })), ["north", "west", "east"])
        // east has 3 of 5: a draw of 0.59 lands in it, 0.61 in west.
        XCTAssertEqual(names(health.order(entry, pinned: nil, random: { 0.59 })).first, "east")
        XCTAssertEqual(names(health.order(entry, pinned: nil, random: { 0.61 })).first, "west")
        XCTAssertEqual(names(health.order(entry, pinned: "north", random: { 0.0 })), ["north", "east", "west"])

        health.recordFailure(model: "large", deployment: "east")
        clock.advance(10)
        health.recordFailure(model: "large", deployment: "north")
        // Resting ones go last, soonest back first; a resting pin is not honoured.
        XCTAssertEqual(names(health.order(entry, pinned: "north", random: { 0.0 })), ["west", "east", "north"])

        clock.advance(10)
        health.recordFailure(model: "large", deployment: "west")
        XCTAssertEqual(names(health.order(entry, pinned: nil, random: { 0.0 })), ["east", "north", "west"],
                       "a model whose deployments all rest is still tried")
        clock.advance(30_000)
        XCTAssertEqual(names(health.order(entry, pinned: nil, random: { 0.0 })), ["east", "west", "north"], "all recovered")
    }

    func testAModelWithoutDeploymentsHasOneNamedAfterIt() {
        let entry = ModelEntry(name: "small", provider: .openai, baseURL: "http://x/v1", upstreamModel: "vendor-small",
                               price: Self.price)
        XCTAssertEqual(names(health().order(entry, pinned: nil)), ["small"])
        XCTAssertEqual(entry.deployments.first?.upstreamModel, "vendor-small")
    }

    func testWeightedDrawFollowsTheWeights() {
        let health = health()
        let entry = model([("east", 3), ("west", 1)])
        var generator = SystemRandomNumberGenerator()
        var east = 0
        for _ in 0..<4000 where health.order(entry, pinned: nil, random: { Double.random(in: 0..<1, using: &generator) }).first?.name == "east" {
            east += 1
        }
        // 3000 expected; about 10 standard deviations either side.
        XCTAssertTrue((2730...3270).contains(east), "east first \(east) of 4000")
    }
}
