import Foundation
import XCTest

/// Faults injected under concurrent load, against the real binary: for
/// each, what the clients see, and what the ledger and the counters say
/// afterwards. The invariants, whatever the fault: every request is
/// answered (no hang), every healthy request succeeds, the ledger has one
/// row per request, its cost equals the budget's spent to the nano-dollar,
/// nothing stays reserved, and the gateway serves normally after.
final class FaultsUnderLoadEndToEndTests: MockProviderTestCase {
    static let master = "faults-under-load-master"
    static let team = "team/acme/payments:daily"

    static let plugins = """
        plugins:
          - name: tagging
          - name: budget
            fail: closed
            config:
              budgets:
                - {scope: team/acme/payments, period: daily, amount: "100"}
                - {scope: org/acme, period: monthly, amount: "1000"}
          - name: ratelimit
            config:
              limits:
                - {scope: key/*, rpm: 100000, tpm: 100000000}
        """

    func startGateway(storage: String) throws -> GatewayProcess {
        try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: Self.plugins),
                           directory: TestPaths.temporaryDirectory("faults-gw"), environment: ["TOLLGATE_TEST_MASTER": Self.master])
    }

    /// The books after a load: ledger rows, their cost, the budget.
    func checkBooks(port: Int, storage: String, requests: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let groups = try LedgerReader.waitForRows(storage + "/ledger.sqlite", count: requests, by: "outcome")
        let rows = groups.reduce(Int64(0)) { $0 + (LedgerReader.int($1["requests"]) ?? 0) }
        let cost = groups.reduce(Int64(0)) { $0 + (LedgerReader.int($1["cost_nanos"]) ?? 0) }
        XCTAssertEqual(rows, Int64(requests), "one ledger row per request: \(groups)", file: file, line: line)
        let budget = try XCTUnwrap(try BudgetLoad.budgets(port: port, master: Self.master)[Self.team], file: file, line: line)
        XCTAssertEqual(budget.spent, cost, "the ledger's cost is the budget's spent", file: file, line: line)
        XCTAssertEqual(budget.reserved, 0, "nothing stays reserved", file: file, line: line)
    }

    /// Every provider fault the mock acts out, mixed with healthy calls
    /// (streams and not), all at once.
    func testEveryProviderFaultUnderLoadKeepsTheBooks() throws {
        let storage = TestPaths.temporaryDirectory("faults-data")
        let gateway = try startGateway(storage: storage)
        defer { gateway.stop() }
        let faults = ["500", "503", "429", "stall", "stall-after-first", "cut", "bad-json"]
        let count = 140
        let shape: (Int) -> BudgetLoad.Shape = { i in
            var s = BudgetLoad.mixedShape(i)
            // Every other request is healthy; the rest cycle through the
            // faults, streams and not.
            s.fail = i % 2 == 0 ? nil : faults[(i / 2) % faults.count]
            s.stream = (i / 2) % 2 == 0
            return s
        }
        let started = Date()
        let outcomes = try BudgetLoad.fire(port: gateway.port, count: count, shape: shape)
        print("faults under load: \(count) requests answered in \(Int(Date().timeIntervalSince(started))) s")
        var byFault: [String: [Int]] = [:]
        for o in outcomes {
            let fault = shape(o.index).fail
            byFault[(fault ?? "healthy") + (shape(o.index).stream ? "/stream" : ""), default: []].append(o.status)
            XCTAssertNotEqual(o.status, 0, "request \(o.index) (\(fault ?? "healthy")) got no answer: \(o.errorMessage ?? "")")
            if fault == nil {
                XCTAssertEqual(o.status, 200, "healthy request \(o.index): \(o.errorMessage ?? "")")
                XCTAssertNotNil(o.cost, "healthy request \(o.index) has usage")
            }
        }
        print("faults under load, statuses: \(byFault.mapValues { Dictionary($0.map { ($0, 1) }, uniquingKeysWith: +) })")
        // What the clients see for the faults that fail before the first byte.
        for suffix in ["", "/stream"] {
            XCTAssertEqual(Set(byFault["stall" + suffix] ?? []), [504], "a provider that never answers: 504 after first_byte_ms")
            XCTAssertEqual(Set(byFault["500" + suffix] ?? []), [500], "the provider's 5xx, after the retries")
            XCTAssertEqual(Set(byFault["429" + suffix] ?? []), [429], "the provider's 429, after the retries")
        }
        try checkBooks(port: gateway.port, storage: storage, requests: count)
        // And it serves normally after.
        let after = try HTTP.postJSON(port: gateway.port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                                      json: #"{"model":"small","max_tokens":8,"messages":[{"role":"user","content":"still there?"}]}"#)
        XCTAssertEqual(after.status, 200, after.text)
    }
}

/// The disk under storage.dir fills while calls are being recorded, and a
/// state file is locked by another process: nothing committed is lost, no
/// call is served unrecorded (new ones get 503 storage_unavailable while
/// the store cannot commit; those in flight wait for their rows), and the
/// gateway recovers by itself once the disk has room or the lock goes.
final class StorageFaultEndToEndTests: MockProviderTestCase {
    static let master = "storage-fault-master"
    var mounted: String?

    override func tearDown() {
        if let mounted { _ = try? Shell.run("/bin/umount", ["-l", mounted]) }
        super.tearDown()
    }

    func chat(_ port: Int) throws -> HTTPResponse {
        try HTTP.postJSON(port: port, path: "/v1/chat/completions", key: TestConfig.prodKey,
                          json: #"{"model":"small","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#)
    }

    /// Fires `count` calls at once; their statuses.
    func fire(_ port: Int, count: Int) -> [Int] {
        let statuses = NSLock()
        var result: [Int] = []
        DispatchQueue.concurrentPerform(iterations: count) { _ in
            let status = (try? chat(port).status) ?? 0
            statuses.withLock { result.append(status) }
        }
        return result
    }

    func testAFullDiskRefusesNewCallsLosesNothingAndRecovers() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root (CI runs as root)") }
        let directory = TestPaths.temporaryDirectory("disk-full")
        try Shell.run("/bin/mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", directory])
        mounted = directory
        let storage = directory + "/data"
        let gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: FaultsUnderLoadEndToEndTests.plugins),
                                         directory: TestPaths.temporaryDirectory("disk-full-gw"),
                                         environment: ["TOLLGATE_TEST_MASTER": Self.master])
        defer { gateway.stop() }
        for _ in 0..<3 { XCTAssertEqual(try chat(gateway.port).status, 200) }

        // Fill the disk to the last byte.
        let filler = directory + "/filler"
        FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: filler))
        let block = Data(count: 64 * 1024)
        while (try? handle.write(contentsOf: block)) != nil {}
        try? handle.close()

        // Calls now: refused with 503 while the store cannot commit, or held
        // until it can; none served and lost.
        let box = NSLock()
        var statuses: [Int] = []
        let done = DispatchSemaphore(value: 0)
        let port = gateway.port
        DispatchQueue.global().async {
            let got = self.fire(port, count: 40)
            box.withLock { statuses = got }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 2)
        let during = try chat(gateway.port)
        XCTAssertEqual(during.status, 503, during.text)
        XCTAssertTrue(during.text.contains("storage_unavailable"), during.text)
        try FileManager.default.removeItem(atPath: filler)
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "calls held for the full disk were answered once it had room")
        let answered = box.withLock { statuses }
        print("disk full: \(answered.filter { $0 == 200 }.count) served, \(answered.filter { $0 == 503 }.count) refused")
        XCTAssertTrue(answered.allSatisfy { $0 == 200 || $0 == 503 }, "\(answered)")
        let served = answered.filter { $0 == 200 }.count + 3

        // Recovered: calls are served again, and the books hold every served call.
        var recovered = false
        for _ in 0..<50 where !recovered {
            recovered = try chat(gateway.port).status == 200
            if !recovered { Thread.sleep(forTimeInterval: 0.2) }
        }
        XCTAssertTrue(recovered, "the gateway serves again once the disk has room")
        let groups = try LedgerReader.waitForRows(storage + "/ledger.sqlite", count: served + 1, by: "outcome")
        let success = groups.first { $0["outcome"] as? String == "success" }
        XCTAssertEqual(LedgerReader.int(success?["requests"]), Int64(served + 1), "a success row for every served call: \(groups)")
        let budget = try XCTUnwrap(try BudgetLoad.budgets(port: gateway.port, master: Self.master)[FaultsUnderLoadEndToEndTests.team])
        XCTAssertEqual(budget.spent, groups.reduce(Int64(0)) { $0 + (LedgerReader.int($1["cost_nanos"]) ?? 0) })
        XCTAssertEqual(budget.reserved, 0)
    }
}

extension StorageFaultEndToEndTests {
    /// Another process holds the ledger file's write lock for longer than
    /// SQLite's 5 s busy timeout: calls in flight wait for their rows, new
    /// ones are refused with 503 once the writer reports the lock, and all
    /// is written once the lock goes.
    func testALedgerLockedByAnotherProcessHoldsCallsAndLosesNothing() throws {
        let storage = TestPaths.temporaryDirectory("locked-ledger")
        let gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: Self.mock.port, storage: storage, plugins: FaultsUnderLoadEndToEndTests.plugins),
                                         directory: TestPaths.temporaryDirectory("locked-ledger-gw"),
                                         environment: ["TOLLGATE_TEST_MASTER": Self.master])
        defer { gateway.stop() }
        XCTAssertEqual(try chat(gateway.port).status, 200)
        let locker = ManagedProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
            c.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            time.sleep(8)
            c.execute("COMMIT")
            """, storage + "/ledger.sqlite"])
        try locker.start()
        _ = try locker.waitForLine(prefix: "locked")
        let statuses = fire(gateway.port, count: 20)
        XCTAssertEqual(try locker.waitForExit(timeout: 30), 0, locker.stderr)
        print("locked ledger: \(statuses.filter { $0 == 200 }.count) served, \(statuses.filter { $0 == 503 }.count) refused")
        XCTAssertTrue(statuses.allSatisfy { $0 == 200 || $0 == 503 }, "\(statuses)")
        let served = statuses.filter { $0 == 200 }.count + 1
        let groups = try LedgerReader.waitForRows(storage + "/ledger.sqlite", count: served, by: "outcome")
        let success = groups.first { $0["outcome"] as? String == "success" }
        XCTAssertEqual(LedgerReader.int(success?["requests"]), Int64(served), "a success row for every served call: \(groups)")
        let budget = try XCTUnwrap(try BudgetLoad.budgets(port: gateway.port, master: Self.master)[FaultsUnderLoadEndToEndTests.team])
        XCTAssertEqual(budget.spent, groups.reduce(Int64(0)) { $0 + (LedgerReader.int($1["cost_nanos"]) ?? 0) })
        XCTAssertEqual(try chat(gateway.port).status, 200, "serves again once the lock is gone")
    }
}

/// Runs a command, failing the test's setup when it fails.
enum Shell {
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }
}
