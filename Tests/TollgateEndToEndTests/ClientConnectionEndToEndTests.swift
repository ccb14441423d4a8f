import Foundation
import XCTest

/// The gateway's own client connections against the real binary: half-sent
/// heads and idle keep-alive connections are closed, a stream is not, the
/// connection cap refuses the surplus, and at the open-file limit the
/// gateway backs off instead of spinning and recovers.
final class ClientConnectionEndToEndTests: XCTestCase {
    static let partialHead = Array("POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-".utf8)

    func startGateway(_ server: [String], chunks: Int = 3, chunkDelayMs: Int = 0, openFileLimit: Int? = nil) throws -> GatewayProcess {
        let dir = TestPaths.temporaryDirectory("connections")
        return try GatewayProcess(yaml: InProcessMockConfig.yaml(storage: dir + "/data", server: server, chunks: chunks,
                                                                 chunkDelayMs: chunkDelayMs),
                                  directory: dir, openFileLimit: openFileLimit)
    }

    func healthz(_ connection: HTTPConnection) throws -> Int {
        try connection.send(method: "GET", path: "/healthz")
        return try connection.readResponse().status
    }

    func testAHalfSentRequestHeadIsClosedAfterTheHeaderTimeout() throws {
        let gateway = try startGateway(["header_timeout_ms: 300"])
        defer { gateway.stop() }
        let connection = try HTTPConnection(port: gateway.port, timeout: 20)
        try connection.writeAll(Self.partialHead)
        XCTAssertEqual(try connection.readUntilClosed(), [], "closed, without an answer")
        XCTAssertEqual(try healthz(HTTPConnection(port: gateway.port)), 200)
    }

    func testAnIdleKeptAliveConnectionIsClosedAfterTheIdleTimeout() throws {
        let gateway = try startGateway(["idle_timeout_ms: 300"])
        defer { gateway.stop() }
        let connection = try HTTPConnection(port: gateway.port, timeout: 20)
        XCTAssertEqual(try healthz(connection), 200)
        XCTAssertEqual(try healthz(connection), 200, "kept alive between requests")
        XCTAssertEqual(try connection.readUntilClosed(), [])
    }

    func testAStreamLongerThanTheIdleTimeoutIsNotCut() throws {
        // Each gap between events is twice the idle (and header) timeout.
        let gateway = try startGateway(["idle_timeout_ms: 200", "header_timeout_ms: 200"], chunks: 4, chunkDelayMs: 400)
        defer { gateway.stop() }
        let connection = try HTTPConnection(port: gateway.port)
        let body = #"{"model":"mock-gpt","stream":true,"messages":[{"role":"user","content":"a long answer"}]}"#
        try connection.send(method: "POST", path: "/v1/chat/completions",
                            headers: [("authorization", "Bearer \(TestConfig.prodKey)"), ("content-type", "application/json")],
                            body: Array(body.utf8))
        let response = try connection.readResponse()
        XCTAssertEqual(response.status, 200, response.text)
        let events = SSE.dataLines(response.body)
        XCTAssertEqual(events.last, "[DONE]", response.text)
        let text = events.filter { $0.contains(#""content":""#) && !$0.contains(#""content":"""#) }
        XCTAssertEqual(text.count, 4, response.text)
        XCTAssertEqual(try healthz(connection), 200, "still kept alive after the stream")
    }

    func testConnectionsOverTheCapAreClosedWhileTheOpenOnesKeepWorking() throws {
        let gateway = try startGateway(["max_connections: 2"])
        defer { gateway.stop() }
        var open = [try HTTPConnection(port: gateway.port), try HTTPConnection(port: gateway.port)]
        for connection in open { XCTAssertEqual(try healthz(connection), 200) }

        let over = try HTTPConnection(port: gateway.port, timeout: 20)
        try? over.send(method: "GET", path: "/healthz")
        XCTAssertEqual(try over.readUntilClosed(), [], "refused: closed without an answer")
        for connection in open { XCTAssertEqual(try healthz(connection), 200, "the open ones are served") }

        // A connection that goes frees its slot (the gateway sees the close
        // a moment later: bounded wait).
        open.removeLast()
        let deadline = Date().addingTimeInterval(10)
        var metrics: HTTPResponse?
        while metrics == nil && Date() < deadline {
            metrics = try? HTTP.request(port: gateway.port, method: "GET", path: "/metrics")
            if metrics == nil { usleep(20_000) }
        }
        let text = try XCTUnwrap(metrics, "the freed slot was never usable").text
        // The refused one, and any of the polls above that came too soon.
        XCTAssertGreaterThanOrEqual(Self.counter("tollgate_client_connections_refused_total", in: text), 1, text)
    }

    /// 200 half-sent requests against 64 descriptors: accept fails with
    /// EMFILE. The gateway must pause accepting rather than retry in a
    /// loop, and answer again once the header timeout frees descriptors.
    func testAtTheOpenFileLimitTheGatewayBacksOffAndRecovers() throws {
        let gateway = try startGateway(["header_timeout_ms: 1000"], openFileLimit: 64)
        defer { gateway.stop() }
        let pid = gateway.process.process.processIdentifier
        var halfOpen: [HTTPConnection] = []
        for _ in 0..<200 {
            let connection = try HTTPConnection(port: gateway.port)
            try connection.writeAll(Self.partialHead)
            halfOpen.append(connection)
        }
        let cpuBefore = try ProcessCPU.seconds(pid)
        let wallBefore = DispatchTime.now().uptimeNanoseconds

        // Behind the half-sent ones in the accept queue: answered once
        // enough of them timed out.
        let probe = try HTTPConnection(port: gateway.port, timeout: 90)
        XCTAssertEqual(try healthz(probe), 200)

        let cpu = try ProcessCPU.seconds(pid) - cpuBefore
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wallBefore) / 1e9
        // Generous: a spinning accept loop burns a core the whole time;
        // paused, the gateway idles.
        XCTAssertLessThan(cpu, wall * 0.5, "CPU \(cpu) s in \(wall) s: the accept loop spun")

        halfOpen.removeAll()  // the clients go away
        XCTAssertEqual(try healthz(HTTPConnection(port: gateway.port)), 200)
        let metrics = try HTTP.request(port: gateway.port, method: "GET", path: "/metrics").text
        let failedAccepts = Self.counter(#"tollgate_accept_errors_total{error="EMFILE"}"#, in: metrics)
        XCTAssertGreaterThan(failedAccepts, 0, "the test must reach the open-file limit to mean anything")
        // Paused 100 ms per failure: tens in the time above. A loop that
        // retries at once fails hundreds of thousands of times.
        XCTAssertLessThan(failedAccepts, 2_000)
        XCTAssertTrue(gateway.process.stderr.contains("Too many open files"), gateway.process.stderr)
    }

    static func counter(_ series: String, in metrics: String) -> Double {
        for line in metrics.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? 0
        }
        return 0
    }
}

/// A process's CPU time (user + system) from /proc.
enum ProcessCPU {
    static func seconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces): state is
        // field 3, utime 14, stime 15.
        guard let close = stat.lastIndex(of: ")") else { throw TestFailure("bad /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw TestFailure("bad /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
