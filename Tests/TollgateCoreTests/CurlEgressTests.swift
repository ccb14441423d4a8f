import CCurl
import Foundation
import NIOCore
import NIOPosix
import XCTest
@testable import TollgateConfig
@testable import TollgateMockProvider
@testable import TollgateUpstream

/// libcurl's transport through what only it carries: a real egress proxy on
/// loopback (tinyproxy, with and without Basic proxy authentication),
/// HTTP/2 against a real h2 server (nghttpd over TLS: one connection
/// carrying many concurrent streams), and a server that requires a
/// client certificate. A missing tinyproxy or nghttpd skips its tests
/// here, saying so, and fails them under scripts/test.sh and CI
/// (TOLLGATE_REQUIRE_EGRESS=1; .ci/run installs both).
final class CurlEgressTests: XCTestCase {
    var group: MultiThreadedEventLoopGroup!
    var transport: CurlTransport!

    override func setUpWithError() throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        transport = CurlTransport(group: group)
    }

    override func tearDownWithError() throws {
        transport.shutdown()
        try group.syncShutdownGracefully()
    }

    private func chat(_ url: String, _ connection: UpstreamOptions, method: String = "POST") -> UpstreamRequest {
        UpstreamRequest(url: url, method: method, headers: [("content-type", "application/json")],
                        body: method == "GET" ? [] : Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#.utf8),
                        connectTimeoutMs: 5_000, firstByteTimeoutMs: 10_000, idleTimeoutMs: 10_000, connection: connection)
    }

    // MARK: Egress proxy

    /// A mock provider and a tinyproxy, both stopped when the test ends.
    private func mockBehindProxy(credentials: (String, String)?) throws -> (mockPort: Int, proxy: TinyProxy) {
        let mock = MockProviderServer(host: "127.0.0.1", port: 0, defaults: MockDirectives(), threads: 1)
        let mockPort = try mock.start()
        addTeardownBlock { mock.shutdown() }
        let proxy = try TinyProxy.start(credentials: credentials)
        addTeardownBlock { proxy.stop() }
        return (mockPort, proxy)
    }

    func testCallsGoThroughTheProxy() throws {
        let (mockPort, proxy) = try mockBehindProxy(credentials: nil)

        let url = "http://127.0.0.1:\(mockPort)/v1/chat/completions"
        let answer = transport.runToFinish(chat(url, UpstreamOptions(proxy: proxy.url)), on: group.next())
        XCTAssertEqual(answer.finishes.first ?? .transport("missing"), nil)
        XCTAssertEqual(answer.status, 200)
        XCTAssertTrue(answer.bodyText.contains("chat.completion"), answer.bodyText)
        XCTAssertTrue(proxy.log.contains("POST \(url)"), "the proxy carried the call:\n\(proxy.log)")

        // A stream through the proxy arrives in pieces, as it is sent.
        let stream = transport.runToFinish(chat("http://127.0.0.1:\(mockPort)/v1/chat/completions",
                                                UpstreamOptions(proxy: proxy.url))
                                            .withBody(#"{"model":"mock-small+chunks=4+delay_ms=20","stream":true,"messages":[]}"#),
                                           on: group.next())
        XCTAssertEqual(stream.status, 200)
        XCTAssertGreaterThan(stream.bodyCalls, 1)
        XCTAssertTrue(stream.bodyText.hasSuffix("data: [DONE]\n\n"), stream.bodyText)
    }

    func testProxyAuthenticationFromTheEnvironment() throws {
        let (mockPort, proxy) = try mockBehindProxy(credentials: ("alice", "s3cret"))
        let url = "http://127.0.0.1:\(mockPort)/v1/chat/completions"
        let variable = "TOLLGATE_TEST_PROXY_AUTH_\(getpid())"

        let refused = transport.runToFinish(chat(url, UpstreamOptions(proxy: proxy.url, proxyAuthEnv: variable)), on: group.next())
        // tinyproxy refuses with 401 (most proxies say 407): either way, not through.
        XCTAssertTrue([401, 407].contains(refused.status ?? 0), "no credentials in the environment: the proxy refuses (\(String(describing: refused.status)))")

        setenv(variable, "alice:s3cret", 1)
        defer { unsetenv(variable) }
        let admitted = transport.runToFinish(chat(url, UpstreamOptions(proxy: proxy.url, proxyAuthEnv: variable)), on: group.next())
        XCTAssertEqual(admitted.finishes.first ?? .transport("missing"), nil)
        XCTAssertEqual(admitted.status, 200)
        XCTAssertTrue(admitted.bodyText.contains("chat.completion"))

        setenv(variable, "alice:wrong", 1)
        let wrong = transport.runToFinish(chat(url, UpstreamOptions(proxy: proxy.url, proxyAuthEnv: variable)), on: group.next())
        XCTAssertTrue([401, 407].contains(wrong.status ?? 0), "\(String(describing: wrong.status))")
    }

    func testTheEnvironmentProxyAndNoProxy() throws {
        let (mockPort, proxy) = try mockBehindProxy(credentials: nil)
        let url = "http://127.0.0.1:\(mockPort)/v1/chat/completions"
        let easy = CurlEasy()

        // The same option path the transport uses, with an environment given.
        try easy.configure(chat(url, UpstreamOptions()), environment: ["HTTP_PROXY": proxy.url])
        XCTAssertEqual(try perform(easy), 200)
        XCTAssertTrue(proxy.log.contains("POST \(url)"), proxy.log)
        let seen = proxy.log.components(separatedBy: "POST ").count
        try easy.configure(chat(url, UpstreamOptions()), environment: ["HTTP_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"])
        XCTAssertEqual(try perform(easy), 200)
        XCTAssertEqual(proxy.log.components(separatedBy: "POST ").count, seen, "NO_PROXY: straight to the host")
    }

    private func perform(_ easy: CurlEasy) throws -> Int {
        let code = curl_easy_perform(easy.handle)
        guard code == CURLE_OK else { throw UpstreamFailure.transport(easy.message(for: code)) }
        var status = 0
        _ = tg_easy_getinfo_long(easy.handle, CURLINFO_RESPONSE_CODE, &status)
        return status
    }

    // MARK: HTTP/2

    func testHTTP2OverTLSMultiplexesConcurrentStreamsOnOneConnection() throws {
        let certificate = try SelfSignedCertificate.make()
        let server = try NGHTTPD.start(tls: certificate)
        defer { server.stop() }
        try runConcurrent(url: "https://localhost:\(server.port)/answer.json",
                          connection: UpstreamOptions(caBundle: certificate.certificatePath), server: server)
    }

    private func runConcurrent(url: String, connection: UpstreamOptions, server: NGHTTPD) throws {
        let loop = group.next()
        let first = transport.runToFinish(chat(url, connection), on: loop)
        XCTAssertEqual(first.status, 200, "\(first.finishes)")
        let delegates = (0..<20).map { _ in RecordingUpstreamDelegate(eventLoop: loop) }
        try loop.submit {
            for delegate in delegates { _ = self.transport.start(self.chat(url, connection), on: loop, delegate: delegate) }
        }.wait()
        for (i, delegate) in delegates.enumerated() {
            _ = delegate.waitForFinish()
            XCTAssertEqual(delegate.finishes.first ?? .transport("missing"), nil, "stream \(i)")
            XCTAssertEqual(delegate.status, 200, "stream \(i)")
            XCTAssertEqual(delegate.bodyText, #"{"ok":true}"# + "\n")
            XCTAssertEqual(delegate.violations, [])
        }
        let log = server.log
        let sessions = Set(log.components(separatedBy: "\n").compactMap { line -> String? in
            guard line.hasPrefix("[id="), line.contains("recv HEADERS") else { return nil }
            return String(line.prefix { $0 != "]" })
        })
        let streams = log.components(separatedBy: "\n").filter { $0.contains("recv HEADERS") }.count
        XCTAssertEqual(sessions.count, 1, "one HTTP/2 connection carried every stream:\n\(log.suffix(2000))")
        XCTAssertEqual(streams, 21, "the first call and twenty concurrent streams on it")
    }

    // MARK: mTLS

    func testAClientCertificateIsPresentedWhenTheServerRequiresOne() throws {
        let serverCertificate = try SelfSignedCertificate.make()
        let clientCertificate = try SelfSignedCertificate.make()
        let server = try ScriptedHTTPServer(group: group, tls: serverCertificate, requireClientCertificateFrom: clientCertificate) { _ in .answer }
        defer { server.stop() }
        let url = "https://localhost:\(server.port)/v1/chat/completions"

        let without = transport.runToFinish(chat(url, UpstreamOptions(caBundle: serverCertificate.certificatePath)), on: group.next())
        XCTAssertNil(without.status, "no certificate, no answer: \(without.finishes)")
        XCTAssertNotNil(without.finishes.first ?? nil)

        let with = transport.runToFinish(chat(url, UpstreamOptions(clientCertificate: clientCertificate.certificatePath,
                                                                   clientKey: clientCertificate.keyPath,
                                                                   caBundle: serverCertificate.certificatePath)), on: group.next())
        XCTAssertEqual(with.finishes.first ?? .transport("missing"), nil)
        XCTAssertEqual(with.status, 200)
        XCTAssertEqual(with.bodyText, "ok")
    }
}

extension UpstreamRequest {
    func withBody(_ text: String) -> UpstreamRequest {
        var copy = self
        copy.body = Array(text.utf8)
        return copy
    }
}

/// A binary the egress tests need: its path, or a skip (a failure when
/// TOLLGATE_REQUIRE_EGRESS=1, as scripts/test.sh and CI set it).
func requireEgressTool(_ name: String, in directories: [String] = ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]) throws -> String {
    if let path = directories.map({ "\($0)/\(name)" }).first(where: FileManager.default.isExecutableFile) { return path }
    let why = "\(name) is not installed (Debian: apt-get install \(name == "nghttpd" ? "nghttp2-server" : name))"
    if ProcessInfo.processInfo.environment["TOLLGATE_REQUIRE_EGRESS"] == "1" {
        XCTFail(why + "; TOLLGATE_REQUIRE_EGRESS=1 makes that a failure")
        throw XCTSkip(why)
    }
    throw XCTSkip(why)
}

/// A free loopback port (bound, read, released).
func freeLoopbackPort() throws -> Int {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    defer { try? group.syncShutdownGracefully() }
    let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
    let port = channel.localAddress!.port!
    try channel.close().wait()
    return port
}

/// A child process serving on a loopback port, stopped by `stop()`.
class ExternalServer {
    let process = Process()
    let port: Int
    let directory: URL
    let logPath: String

    init(executable: String, arguments: [String], port: Int, directory: URL, logPath: String) throws {
        self.port = port
        self.directory = directory
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        FileManager.default.createFile(atPath: directory.appendingPathComponent("stdout.txt").path, contents: nil)
        let out = try FileHandle(forWritingTo: directory.appendingPathComponent("stdout.txt"))
        process.standardOutput = out
        process.standardError = out
        try process.run()
        // Ready when the port takes a connection (bounded).
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.accepts(port) { return }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        stop()
        throw XCTSkip("\(executable) did not start listening on \(port): \(log)")
    }

    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// tinyproxy on a free loopback port with a generated config; logs each
/// request it carries.
final class TinyProxy: ExternalServer {
    var url: String { "http://127.0.0.1:\(port)" }

    static func start(credentials: (String, String)?) throws -> TinyProxy {
        let binary = try requireEgressTool("tinyproxy")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-tinyproxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        let log = directory.appendingPathComponent("tinyproxy.log").path
        var config = """
        Port \(port)
        Listen 127.0.0.1
        Timeout 30
        MaxClients 200
        Allow 127.0.0.1
        LogLevel Connect
        LogFile "\(log)"
        PidFile "\(directory.appendingPathComponent("tinyproxy.pid").path)"
        DisableViaHeader Yes

        """
        if let (user, password) = credentials { config += "BasicAuth \(user) \(password)\n" }
        let path = directory.appendingPathComponent("tinyproxy.conf").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return try TinyProxy(executable: binary, arguments: ["-d", "-c", path], port: port, directory: directory, logPath: log)
    }
}

/// nghttpd (nghttp2's HTTP/2 server) serving one small file, over TLS or as
/// h2c; verbose, so its log shows each connection ([id=N]) and stream.
final class NGHTTPD: ExternalServer {
    static func start(tls: SelfSignedCertificate?) throws -> NGHTTPD {
        let binary = try requireEgressTool("nghttpd")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-nghttpd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try #"{"ok":true}"#.appending("\n").write(to: directory.appendingPathComponent("answer.json"), atomically: true, encoding: .utf8)
        let port = try freeLoopbackPort()
        var arguments = ["-v", "-d", directory.path, "--address=127.0.0.1"]
        if let tls {
            arguments += [String(port), tls.keyPath, tls.certificatePath]
        } else {
            arguments += ["--no-tls", String(port)]
        }
        return try NGHTTPD(executable: binary, arguments: arguments, port: port, directory: directory,
                           logPath: directory.appendingPathComponent("stdout.txt").path)
    }
}
