import Foundation
import XCTest

/// `tollgate demo traffic` against the real gateway on a copy of
/// config/demo.yaml (in-process mock models, every plugin on), with its own
/// storage and a free port: requests served, a pending exception and a
/// burst draw filed (and not again on a second run), the recs carousel's
/// grant spending, and the search burst tripping the anomaly plugin's
/// spend_spike through the config's `days_ago` history.
final class DemoTrafficEndToEndTests: XCTestCase {
    static let master = "tg-demo-master"

    var gateway: GatewayProcess!
    var url: String { "http://127.0.0.1:\(gateway.port)" }

    override func setUpWithError() throws {
        let dir = TestPaths.temporaryDirectory("demo-traffic")
        var yaml = try String(contentsOfFile: TestPaths.repoRoot + "/config/demo.yaml", encoding: .utf8)
        let storage = "  dir: ../tollgate-data          # relative to this file: <repo>/tollgate-data"
        XCTAssertTrue(yaml.contains(storage), "config/demo.yaml's storage line moved: update this test")
        yaml = yaml.replacingOccurrences(of: storage, with: "  dir: \(dir)/data")
        // serve's --host/--port (GatewayProcess) take the place of listen: 127.0.0.1:4000.
        gateway = try GatewayProcess(yaml: yaml, directory: dir, environment: ["TOLLGATE_MASTER_KEY": Self.master])
    }

    override func tearDown() {
        gateway?.stop()
        super.tearDown()
    }

    func traffic(_ arguments: [String]) throws -> (status: Int32, lines: [String]) {
        let process = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: ["demo", "traffic", "--url", url] + arguments,
                                     environment: ["TOLLGATE_URL": "", "TOLLGATE_CREDENTIAL": "", "TOLLGATE_MASTER_KEY": ""])
        try process.start()
        let status = try process.waitForExit(timeout: 120)
        XCTAssertEqual(process.stderr, "", "nothing on stderr")
        return (status, process.stdout)
    }

    func admin(_ path: String, credential: String = master) throws -> [String: Any] {
        let response = try HTTP.request(port: gateway.port, method: "GET", path: path,
                                        headers: [("Authorization", "Bearer " + credential)])
        XCTAssertEqual(response.status, 200, response.text)
        return try response.json()
    }

    func grantSpent(_ id: String) throws -> Int64 {
        let allocation = try admin("/admin/allocation", credential: "tg-demo-finance-viewer")
        let grants = try XCTUnwrap(allocation["grants"] as? [[String: Any]])
        let grant = try XCTUnwrap(grants.first { $0["id"] as? String == id })
        let buckets = try XCTUnwrap(grant["buckets"] as? [[String: Any]])
        return buckets.compactMap { ($0["spent_nanos"] as? NSNumber)?.int64Value }.reduce(0, +)
    }

    func testAShortRunServesTrafficFilesTheExceptionAndSpendsOnTheCarousel() throws {
        XCTAssertEqual(try grantSpent("recs-carousel"), 0)
        let run = try traffic(["--seconds", "12", "--rate", "8", "--seed", "5"])
        let text = run.lines.joined(separator: "\n")
        XCTAssertEqual(run.status, 0, text)
        XCTAssertTrue(text.contains("playing 0:12 of demo traffic"), text)
        XCTAssertTrue(run.lines.contains { $0.hasPrefix("exception: filed exc-") }, text)
        XCTAssertTrue(run.lines.contains { $0.hasPrefix("burst draw: burst-") && $0.contains("Granted") }, text)
        XCTAssertTrue(run.lines.contains { $0.hasPrefix("0:10  sent ") && $0.contains("200 x") }, "a progress line at 10 s: \(text)")
        let last = try XCTUnwrap(run.lines.last)
        XCTAssertTrue(last.hasPrefix("done: "), last)
        XCTAssertFalse(text.contains("no answer"), text)
        XCTAssertFalse(text.contains("stream cut short"), text)

        // Served: the mock models answered through every plugin.
        let metrics = try HTTP.request(port: gateway.port, method: "GET", path: "/metrics").text
        XCTAssertTrue(metrics.contains("tollgate_requests_total"), metrics)

        // The exception log shows one pending request on recs and the draw, lent now.
        let log = try XCTUnwrap(try admin("/admin/exceptions")["exceptions"] as? [[String: Any]])
        let pending = log.filter { $0["kind"] as? String == "exception" && $0["status"] as? String == "pending" }
        XCTAssertEqual(pending.map { $0["grant"] as? String }, ["recs"])
        XCTAssertEqual(pending.first?["requested_by"] as? String, "credential:recs-admin")
        XCTAssertEqual(log.filter { $0["kind"] as? String == "burst" && $0["status"] as? String == "active" }.count, 1)

        // The carousel spent on its grant: whole $0.002 requests (744 tokens in, 64 out of demo-large).
        let spent = try grantSpent("recs-carousel")
        XCTAssertGreaterThan(spent, 0)
        XCTAssertEqual(spent % 2_000_000, 0, "each carousel request costs exactly $0.002: \(spent)")

        // A second run leaves what is there alone, and says so.
        let again = try traffic(["--seconds", "2", "--rate", "4"])
        let againText = again.lines.joined(separator: "\n")
        XCTAssertEqual(again.status, 0, againText)
        XCTAssertTrue(again.lines.contains { $0.hasPrefix("exception: exc-") && $0.contains("already pending") }, againText)
        XCTAssertTrue(again.lines.contains { $0.hasPrefix("burst draw: burst-") && $0.contains("already active") }, againText)
        let after = try XCTUnwrap(try admin("/admin/exceptions")["exceptions"] as? [[String: Any]])
        XCTAssertEqual(after.count, log.count, "nothing new filed")
        XCTAssertGreaterThanOrEqual(try grantSpent("recs-carousel"), spent)
    }

    /// The burst, moved to the start of a short run: the seeded week of
    /// search spend ($0.03/day, `days_ago`) makes today's burst a spike.
    func testTheSearchBurstTripsSpendSpike() throws {
        let run = try traffic(["--seconds", "8", "--rate", "8", "--burst-at", "1"])
        let text = run.lines.joined(separator: "\n")
        XCTAssertEqual(run.status, 0, text)
        XCTAssertTrue(text.contains("search burst:"), text)
        let deadline = Date().addingTimeInterval(10)
        var metrics = ""
        repeat {
            metrics = try HTTP.request(port: gateway.port, method: "GET", path: "/metrics").text
            if metrics.contains(#"kind="spend_spike""#) { break }
            usleep(100_000)
        } while Date() < deadline
        XCTAssertTrue(metrics.split(separator: "\n").contains { $0.hasPrefix("tollgate_alerts_total") && $0.contains(#"kind="spend_spike""#) },
                      "spend_spike counted on /metrics")
        XCTAssertTrue(gateway.process.stderr.contains("spend_spike:team/demo/search"), "the alert in the gateway's log: \(gateway.process.stderr)")
    }
}
