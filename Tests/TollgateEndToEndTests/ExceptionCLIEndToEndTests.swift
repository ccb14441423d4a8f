import Foundation
import XCTest

/// `tollgate exception`, `exceptions` and `burst` against the real gateway:
/// a team admin files a request, cannot decide it, an approver does; burst
/// draws within and above the team's borrowing limit; the log's hash chain
/// verified online and offline, then tampered with and found broken.
final class ExceptionCLIEndToEndTests: XCTestCase {
    static let master = "tg-test-master-exceptions"
    static let adminSecret = "tg-test-payments-admin-x"
    static let approverSecret = "tg-test-acme-chair"
    static let viewerSecret = "tg-test-acme-viewer-x"

    static var mock: MockProviderProcess!
    static var gateway: GatewayProcess!
    static var storage = ""
    var url: String { "http://127.0.0.1:\(Self.gateway.port)" }

    override class func setUp() {
        super.setUp()
        do {
            mock = try MockProviderProcess()
            let dir = TestPaths.temporaryDirectory("exception-cli")
            storage = dir + "/data"
            let governance = """
                grants:
                  - {id: acme, scope: org/acme, owner: cfo@example.com, amount: "1000", period: monthly}
                  - {id: payments, scope: team/acme/payments, parent: acme, owner: lead@example.com, amount: "500", period: monthly}
                burst_pools:
                  - {org: acme, amount: "10", borrow_limits: {payments: "4"}}
                credentials:
                  - {id: payments-admin, role: team_admin, scope: team/acme/payments, owner: lead@example.com,
                     sha256: "\(TestConfig.sha256(adminSecret))"}
                  - {id: acme-chair, role: approver, scope: org/acme, owner: chair@example.com,
                     sha256: "\(TestConfig.sha256(approverSecret))"}
                  - {id: acme-viewer, role: viewer, scope: org/acme, owner: finance@example.com,
                     sha256: "\(TestConfig.sha256(viewerSecret))"}
                plugins:
                  - name: budget
                    fail: closed
                """
            gateway = try GatewayProcess(yaml: TestConfig.yaml(mockPort: mock.port, storage: storage, plugins: governance),
                                         directory: dir, environment: ["TOLLGATE_TEST_MASTER": master])
        } catch {
            XCTFail("could not start the gateway: \(error)")
        }
    }

    override class func tearDown() {
        gateway?.stop()
        mock?.stop()
        super.tearDown()
    }

    struct Run {
        var status: Int32
        var stdout: [String]
        var stderr: String
        var text: String { stdout.joined(separator: "\n") }
    }

    func tollgate(_ arguments: [String], credential: String?) throws -> Run {
        let environment = ["TOLLGATE_URL": url, "TOLLGATE_CREDENTIAL": credential ?? "", "TOLLGATE_MASTER_KEY": ""]
        let process = ManagedProcess(executable: TestPaths.tollgateBinary, arguments: arguments, environment: environment)
        try process.start()
        let status = try process.waitForExit(timeout: 60)
        let run = Run(status: status, stdout: process.stdout, stderr: process.stderr)
        for secret in [Self.master, Self.adminSecret, Self.approverSecret, Self.viewerSecret] {
            XCTAssertFalse(run.text.contains(secret) || run.stderr.contains(secret), "\(arguments) printed a credential")
        }
        return run
    }

    /// "2026-12-10": `days` from today, UTC.
    func day(_ days: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date().addingTimeInterval(Double(days) * 86_400))
    }

    /// The id on the first line ("Exception exc-0001 filed.").
    func id(_ run: Run) throws -> String {
        let words = try XCTUnwrap(run.stdout.first, run.text).split(separator: " ")
        return String(try XCTUnwrap(words.first { $0.hasPrefix("exc-") || $0.hasPrefix("burst-") }, run.text))
            .trimmingCharacters(in: CharacterSet(charactersIn: ".:"))
    }

    func testRequestDecideDrawListAndVerifyTheChain() throws {
        // A team admin files a request.
        let filed = try tollgate(["exception", "request", "--grant", "payments", "--amount", "50", "--ends", day(7),
                                  "--reason", "holiday campaign doubles checkout traffic", "--use-case", "campaign"],
                                 credential: Self.adminSecret)
        XCTAssertEqual(filed.status, 0, filed.stderr)
        let request = try id(filed)
        XCTAssertEqual(filed.stdout.first, "Exception \(request) filed.", filed.text)
        XCTAssertTrue(filed.text.contains("pending: an approver decides (tollgate exception approve \(request))"), filed.text)
        XCTAssertTrue(filed.text.contains("$50.00"), filed.text)
        XCTAssertTrue(filed.text.contains("use case     campaign"), filed.text)

        // Its requester cannot decide it: a team admin does not approve.
        let own = try tollgate(["exception", "approve", request], credential: Self.adminSecret)
        XCTAssertEqual(own.status, 1)
        XCTAssertTrue(own.stderr.contains("only an approver (or the master key) decides"), own.stderr)
        XCTAssertTrue(own.stderr.contains("HTTP 403"), own.stderr)
        XCTAssertTrue(own.stdout.isEmpty)
        // Nor does the master key approve what the master key filed.
        let byMaster = try tollgate(["exception", "request", "--grant", "payments", "--percent", "5", "--ends", day(3),
                                     "--reason", "load test before the release train"], credential: Self.master)
        XCTAssertEqual(byMaster.status, 0, byMaster.stderr)
        let masterRequest = try id(byMaster)
        XCTAssertTrue(byMaster.text.contains("$25.00"), "5% of $500: \(byMaster.text)")
        let selfApproved = try tollgate(["exception", "approve", masterRequest], credential: Self.master)
        XCTAssertEqual(selfApproved.status, 1)
        XCTAssertTrue(selfApproved.stderr.contains("requester and approver must be different credentials"), selfApproved.stderr)
        let denied = try tollgate(["exception", "deny", masterRequest, "--reason", "use the burst pool"], credential: Self.approverSecret)
        XCTAssertEqual(denied.status, 0, denied.stderr)
        XCTAssertEqual(denied.stdout.first, "Exception \(masterRequest) denied by credential:acme-chair.", denied.text)
        XCTAssertTrue(denied.text.contains("denial reason  use the burst pool"), denied.text)

        // The approver approves, with a condition.
        let approved = try tollgate(["exception", "approve", request, "--condition", "checkout pages only"],
                                    credential: Self.approverSecret)
        XCTAssertEqual(approved.status, 0, approved.stderr)
        XCTAssertEqual(approved.stdout.first, "Exception \(request) approved by credential:acme-chair.", approved.text)
        XCTAssertTrue(approved.text.contains("active: grant payments has $50.00 more through \(day(7))"), approved.text)
        XCTAssertTrue(approved.text.contains("condition    checkout pages only"), approved.text)

        let shown = try tollgate(["exception", "show", request, "--format", "json"], credential: Self.viewerSecret)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        let entry = try JSONSerialization.jsonObject(with: Data(shown.text.utf8)) as? [String: Any]
        XCTAssertEqual(entry?["status"] as? String, "active")
        XCTAssertEqual(entry?["decided_by"] as? String, "credential:acme-chair")

        // The log lists it as active; `exception list` is the same command.
        let active = try tollgate(["exceptions", "--status", "active"], credential: Self.viewerSecret)
        XCTAssertEqual(active.status, 0, active.stderr)
        XCTAssertTrue(active.stdout[0].hasPrefix("Exception log as of "), active.text)
        let row = try XCTUnwrap(active.stdout.first { $0.hasPrefix(request + " ") }, active.text)
        for cell in ["exception", "payments", "$50.00", "active", "payments-admin", "holiday campaign doubles checkout traffic",
                     "acme-chair", "checkout pages only", "$0.00"] {
            XCTAssertTrue(row.contains(cell), "no \(cell) in \(row)")
        }
        XCTAssertFalse(active.text.contains(masterRequest), "a denied entry is not active: \(active.text)")
        let list = try tollgate(["exception", "list", "--status", "active"], credential: Self.viewerSecret)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertEqual(list.stdout.dropFirst(), active.stdout.dropFirst())

        // Burst draws: within the borrowing limit ($4) granted, above it filed.
        let granted = try tollgate(["burst", "draw", "--grant", "payments", "--amount", "3", "--ends", day(2),
                                    "--reason", "launch day of the new checkout"], credential: Self.adminSecret)
        XCTAssertEqual(granted.status, 0, granted.stderr)
        XCTAssertTrue(granted.stdout[0].hasPrefix("Burst draw burst-"), granted.text)
        XCTAssertTrue(granted.stdout[0].contains("Granted: within the team's borrowing limit"), granted.text)
        XCTAssertTrue(granted.text.contains("granted at once"), granted.text)
        let over = try tollgate(["burst", "draw", "--grant", "payments", "--amount", "5", "--ends", day(2),
                                 "--reason", "second launch wave on the same day"], credential: Self.adminSecret)
        XCTAssertEqual(over.status, 0, over.stderr)
        let filedDraw = try id(over)
        XCTAssertTrue(over.stdout[0].contains("Above the team's borrowing limit or the pool's room: filed as \(filedDraw)"), over.text)
        XCTAssertTrue(over.text.contains("pending: an approver decides (tollgate exception approve \(filedDraw))"), over.text)

        let pools = try tollgate(["burst", "list"], credential: Self.viewerSecret)
        XCTAssertEqual(pools.status, 0, pools.stderr)
        XCTAssertEqual(pools.stdout.first, "Burst pool of acme: $10.00, lent now $3.00, room $7.00", pools.text)
        let team = try XCTUnwrap(pools.stdout.first { $0.hasPrefix("payments ") }, pools.text)
        XCTAssertEqual(team.split(separator: " ").map(String.init), ["payments", "$4.00", "$3.00", "$1.00"])

        let pending = try tollgate(["exceptions", "--status", "pending", "--format", "csv"], credential: Self.master)
        XCTAssertEqual(pending.status, 0, pending.stderr)
        let records = pending.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        XCTAssertEqual(records.count, 2, pending.text)
        XCTAssertTrue(records[1].hasPrefix("\(filedDraw),burst,payments,all,5.00,5000000000,"), records[1])
        let markdown = try tollgate(["exceptions", "--format", "markdown"], credential: Self.approverSecret)
        XCTAssertEqual(markdown.status, 0, markdown.stderr)
        XCTAssertTrue(markdown.stdout[0].hasPrefix("## Exception log as of "), markdown.text)
        XCTAssertTrue(markdown.text.contains("4 entries: 1 pending, 2 active, 1 denied."), markdown.text)

        // The chain: intact online and offline (no gateway, no credential).
        let events = 6  // two requests, a denial, an approval, two draws
        let online = try tollgate(["exceptions", "verify"], credential: Self.viewerSecret)
        XCTAssertEqual(online.status, 0, online.stderr)
        XCTAssertEqual(online.text, "intact: \(events) events")
        let offline = try tollgate(["exceptions", "verify", "--storage", Self.storage], credential: nil)
        XCTAssertEqual(offline.status, 0, offline.stderr)
        XCTAssertEqual(offline.text, "intact: \(events) events")
        let nowhere = try tollgate(["exceptions", "verify", "--storage", Self.storage + "/missing"], credential: nil)
        XCTAssertEqual(nowhere.status, 2)
        XCTAssertTrue(nowhere.stderr.contains("cannot read the governance log"), nowhere.stderr)

        // Someone edits the first request's reason in the file: found.
        try tamper(Self.storage + "/governance.sqlite",
                   sql: "UPDATE governance_events SET body = replace(body, 'holiday campaign', 'small campaign') WHERE seq = 1")
        let broken = "BROKEN at event 1: event 1 (exception_requested \(request)) was changed after it was written"
        let brokenOffline = try tollgate(["exceptions", "verify", "--storage", Self.storage], credential: nil)
        XCTAssertEqual(brokenOffline.status, 1, brokenOffline.stderr)
        XCTAssertEqual(brokenOffline.text, broken)
        let brokenOnline = try tollgate(["exceptions", "verify"], credential: Self.master)
        XCTAssertEqual(brokenOnline.status, 1, brokenOnline.stderr)
        XCTAssertEqual(brokenOnline.text, broken)
    }

    func testOptionsAreCheckedBeforeAnythingIsSent() throws {
        let both = try tollgate(["exception", "request", "--grant", "payments", "--amount", "5", "--percent", "5", "--ends", day(3),
                                 "--reason", "both ways of saying the amount"], credential: Self.adminSecret)
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.contains("give --amount or --percent, not both"), both.stderr)
        let status = try tollgate(["exceptions", "--status", "open"], credential: Self.viewerSecret)
        XCTAssertEqual(status.status, 64)
        XCTAssertTrue(status.stderr.contains("'open' is not a status"), status.stderr)
        let badClass = try tollgate(["burst", "draw", "--grant", "payments", "--class", "both", "--amount", "1", "--ends", day(1),
                                     "--reason", "x"], credential: Self.adminSecret)
        XCTAssertEqual(badClass.status, 64)
        // What only the gateway knows: it says which field.
        let short = try tollgate(["exception", "request", "--grant", "payments", "--amount", "5", "--ends", day(3), "--reason", "more"],
                                 credential: Self.adminSecret)
        XCTAssertEqual(short.status, 1)
        XCTAssertTrue(short.stderr.contains("reason: a written reason of at least"), short.stderr)
        XCTAssertTrue(short.stderr.contains("HTTP 400"), short.stderr)
        let viewer = try tollgate(["burst", "draw", "--grant", "payments", "--amount", "1", "--ends", day(1),
                                   "--reason", "a viewer only reads the log"], credential: Self.viewerSecret)
        XCTAssertEqual(viewer.status, 1)
        XCTAssertTrue(viewer.stderr.contains("is a viewer"), viewer.stderr)
        let unknown = try tollgate(["exception", "show", "exc-9999"], credential: Self.viewerSecret)
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("No exception 'exc-9999'"), unknown.stderr)
    }

    /// Edits the file as someone with write access to it would: the sqlite3
    /// CLI when there is one, else Python's sqlite3 module.
    func tamper(_ path: String, sql: String) throws {
        let candidates: [(String, [String])] = [
            ("/usr/bin/sqlite3", ["-cmd", ".timeout 5000", path, sql]),
            ("/usr/local/bin/sqlite3", ["-cmd", ".timeout 5000", path, sql]),
            ("/usr/bin/env", ["python3", "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=5); "
                + "c.execute(sys.argv[2]); c.commit(); c.close()", path, sql]),
        ]
        for (executable, arguments) in candidates where FileManager.default.isExecutableFile(atPath: executable) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus == 0 { return }
        }
        throw XCTSkip("neither sqlite3 nor python3 can edit \(path)")
    }
}
