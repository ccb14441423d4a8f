import Foundation
import TollgateJSON
import XCTest
@testable import TollgateSupport
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateSQLite
import TollgateUnits

/// The exception workflow and the burst pool in the registry: who may ask
/// and decide, separation of duties, windows that lapse by themselves (a
/// test clock), draws that never over-lend the pool, and a log whose hash
/// chain survives restarts and catches an edit.
final class ExceptionWorkflowTests: XCTestCase {
    final class Clock: @unchecked Sendable {
        let lock = NSLock()
        var value: Int64
        init(_ value: Int64) { self.value = value }
        var now: Int64 {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
    }

    var directory = ""
    let clock = Clock(1_790_000_000)  // 2026-09-21

    override func setUp() { directory = NSTemporaryDirectory() + "exceptions-\(UUID().uuidString)" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    static let yaml = GrantConfigTests.head + GrantConfigTests.tree + """
      - {id: search, scope: team/acme/search, owner: search@acme.example, amount: "300", period: monthly}
    exceptions: {max_window_days: 14, pending_expiry_hours: 48, min_reason_length: 20, max_raise_percent: 50}
    burst_pools:
      - org: acme
        amount: "100"
        borrow_limits: {recs: "60", search: "60"}
    credentials:
      - {id: recs-admin, role: team_admin, scope: team/acme/recs, owner: lead@acme.example, sha256: "\(KeyStore.sha256Hex("recs-admin-secret"))"}
      - {id: search-lead, role: team_admin, scope: team/acme/search, owner: search@acme.example, sha256: "\(KeyStore.sha256Hex("search-lead-secret"))"}
      - {id: chair, role: approver, scope: org/acme, owner: chair@acme.example, sha256: "\(KeyStore.sha256Hex("chair-secret"))"}
      - {id: chair2, role: approver, scope: org/acme, owner: chair2@acme.example, sha256: "\(KeyStore.sha256Hex("chair2-secret"))"}
      - {id: search-approver, role: approver, scope: team/acme/search, owner: s@acme.example, sha256: "\(KeyStore.sha256Hex("search-approver-secret"))"}
    """

    func registry() throws -> GovernanceRegistry {
        let clock = self.clock
        let registry = try GovernanceRegistry(store: SQLiteGovernanceStore(directory: directory), clock: { clock.now })
        let config = try ConfigLoader.parse(yaml: Self.yaml, file: "/cfg/t.yaml")
        XCTAssertEqual(registry.configure(config), [])
        return registry
    }

    func actor(_ registry: GovernanceRegistry, _ secret: String) throws -> GovernanceActor {
        .credential(try XCTUnwrap(registry.credential(sha256Hex: KeyStore.sha256Hex(secret)), secret))
    }

    func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    func day(_ n: Int64) -> String { UTCCalendar.iso8601(clock.now + n * 86_400) }

    func raises(_ registry: GovernanceRegistry, _ grant: String) throws -> [(Int64, Int64, Int64)] {
        let document = try JSONValue.parse(registry.current.table.json)
        guard case .array(let grants)? = document["grants"] else { return [] }
        let found = grants.first { $0["id"]?.stringValue == grant }
        guard case .array(let items)? = found?["raises"] else { return [] }
        return items.map { ($0["amount_nanos"]?.int64Value ?? 0, $0["starts_at"]?.int64Value ?? 0, $0["ends_at"]?.int64Value ?? 0) }
    }

    func testARequestIsApprovedByAnotherCredentialAndRaisesItsGrantOnlyInItsWindowThenLapses() throws {
        let registry = try registry()
        let lead = try actor(registry, "recs-admin-secret")
        let requested = try registry.requestException(try json("""
            {"grant": "recs", "class": "production", "amount": "150", "ends": "\(day(7))",
             "reason": "Black Friday campaign doubles recommendation traffic", "use_case": "campaign"}
            """), by: lead)
        XCTAssertEqual(requested.status(now: clock.now), .pending)
        XCTAssertTrue(try raises(registry, "recs").isEmpty, "a pending request raises nothing")

        // Self-approval: refused. An approver outside the grant's scope: refused.
        XCTAssertThrowsError(try registry.approveException(requested.id, condition: nil, by: .credential(try XCTUnwrap(
            registry.credential(sha256Hex: KeyStore.sha256Hex("recs-admin-secret")))))) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403)
        }
        XCTAssertThrowsError(try registry.approveException(requested.id, condition: nil, by: try actor(registry, "search-approver-secret"))) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403, "\(error)")
        }
        // The master key cannot approve what the master key filed either.
        let byMaster = try registry.requestException(try json(#"{"grant": "recs", "class": "experimentation", "amount": "10", "ends": "\#(day(2))", "reason": "hackathon needs a bigger sandbox"}"#), by: .master)
        XCTAssertThrowsError(try registry.approveException(byMaster.id, condition: nil, by: .master)) { error in
            guard case .forbidden(let message) = error as? GovernanceError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("requester and approver must be different credentials"), message)
        }
        let approved = try registry.approveException(requested.id, condition: "only for the campaign pages", by: try actor(registry, "chair-secret"))
        XCTAssertEqual(approved.status(now: clock.now), .active)
        XCTAssertEqual(approved.decidedBy, "credential:chair")
        XCTAssertEqual(approved.condition, "only for the campaign pages")
        XCTAssertEqual(try raises(registry, "recs").map(\.0), [150_000_000_000])
        XCTAssertThrowsError(try registry.denyException(requested.id, reason: "too late", by: try actor(registry, "chair2-secret"))) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 409, "a decision is final")
        }

        // The window ends: the raise lapses by itself, nobody acts.
        clock.now += 8 * 86_400
        XCTAssertEqual(registry.exception(requested.id)?.status(now: clock.now), .lapsed)
        XCTAssertFalse(registry.exception(requested.id)!.raises(at: clock.now))
    }

    func testBadRequestsNameTheFieldAndDeniedOrExpiredOnesRaiseNothing() throws {
        let registry = try registry()
        let lead = try actor(registry, "recs-admin-secret")
        func refusal(_ body: String) -> String {
            do {
                _ = try registry.requestException(try json(body), by: lead)
                return "accepted"
            } catch let error as GovernanceError {
                return "\(error.status) \(error)"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(refusal(#"{"grant": "recs", "class": "production", "amount": "10", "ends": "\#(day(3))"}"#)
            .hasPrefix("400 reason: a written reason of at least 20 characters is required (none given)"))
        XCTAssertTrue(refusal(#"{"grant": "recs", "class": "production", "amount": "10", "ends": "2020-01-01", "reason": "a reason that is long enough"}"#)
            .hasPrefix("400 ends: "))
        XCTAssertTrue(refusal(#"{"grant": "recs", "class": "production", "amount": "10", "ends": "\#(day(20))", "reason": "a reason that is long enough"}"#)
            .contains("longer than 14 (exceptions.max_window_days)"))
        XCTAssertTrue(refusal(#"{"grant": "recs", "class": "production", "amount": "1000", "ends": "\#(day(3))", "reason": "a reason that is long enough"}"#)
            .contains("more than 50% of the grant's $400.00"))
        XCTAssertTrue(refusal(#"{"grant": "nope", "amount": "1", "ends": "\#(day(3))", "reason": "a reason that is long enough"}"#)
            .hasPrefix("400 grant: no grant 'nope'"))
        XCTAssertTrue(refusal(#"{"grant": "recs", "amount": "1", "ends": "\#(day(3))", "reason": "a reason that is long enough"}"#)
            .hasPrefix("400 class: "), "recs has an amount per class")
        XCTAssertTrue(refusal(#"{"grant": "search", "amount": "1", "ends": "\#(day(3))", "reason": "a reason that is long enough"}"#)
            .hasPrefix("403 "), "another team's grant")
        XCTAssertThrowsError(try registry.requestException(try json(#"{"grant": "recs", "class": "production", "amount": "1", "ends": "\#(day(3))", "reason": "a reason that is long enough"}"#),
                                                           by: try actor(registry, "chair-secret"))) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403, "an approver does not file requests")
        }

        let denied = try registry.requestException(try json(#"{"grant": "recs", "class": "production", "percent": 25, "ends": "\#(day(3))", "reason": "a reason that is long enough"}"#), by: lead)
        XCTAssertEqual(denied.amountNanos, 100_000_000_000, "25% of $400")
        XCTAssertThrowsError(try registry.denyException(denied.id, reason: nil, by: try actor(registry, "chair-secret")))
        _ = try registry.denyException(denied.id, reason: "use the burst pool", by: try actor(registry, "chair-secret"))
        let pending = try registry.requestException(try json(#"{"grant": "recs", "class": "production", "amount": "5", "ends": "\#(day(5))", "reason": "a reason that is long enough"}"#), by: lead)
        clock.now += 49 * 3_600
        XCTAssertEqual(registry.exception(pending.id)?.status(now: clock.now), .expired)
        XCTAssertThrowsError(try registry.approveException(pending.id, condition: nil, by: try actor(registry, "chair-secret"))) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 409, "an expired request cannot be approved")
        }
        XCTAssertTrue(try raises(registry, "recs").isEmpty)
    }

    func testADrawWithinTheBorrowingLimitIsImmediateAndAboveItNeedsAnApprover() throws {
        let registry = try registry()
        let lead = try actor(registry, "recs-admin-secret")
        let first = try registry.drawBurst(try json(#"{"grant": "recs", "class": "production", "amount": "40", "ends": "\#(day(2))", "reason": "launch day traffic spike expected"}"#), by: lead)
        XCTAssertTrue(first.immediate)
        XCTAssertEqual(first.status(now: clock.now), .active)
        // 40 + 30 > recs' limit of 60: filed for approval.
        let second = try registry.drawBurst(try json(#"{"grant": "recs", "class": "production", "amount": "30", "ends": "\#(day(2))", "reason": "launch day traffic spike continues"}"#), by: lead)
        XCTAssertFalse(second.immediate)
        XCTAssertEqual(second.status(now: clock.now), .pending)
        // search draws 55: 40 + 55 = 95 of 100 in the pool.
        _ = try registry.drawBurst(try json(#"{"grant": "search", "amount": "55", "ends": "\#(day(2))", "reason": "reindexing the whole catalogue"}"#),
                                   by: try actor(registry, "search-lead-secret"))
        XCTAssertEqual(registry.lent(from: "acme", at: clock.now), ["recs": 40_000_000_000, "search": 55_000_000_000])
        // Approving the second draw would lend 125 of 100: refused, whoever approves.
        XCTAssertThrowsError(try registry.approveException(second.id, condition: nil, by: try actor(registry, "chair-secret"))) { error in
            guard case .conflict(let message) = error as? GovernanceError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("never over-lent"), message)
        }
        // After the window the room comes back.
        clock.now += 3 * 86_400
        XCTAssertEqual(registry.lent(from: "acme", at: clock.now), [:])
        let again = try registry.drawBurst(try json(#"{"grant": "recs", "class": "production", "amount": "60", "ends": "\#(day(1))", "reason": "second launch wave this week"}"#), by: lead)
        XCTAssertTrue(again.immediate)
    }

    func testConcurrentDrawsByTwoTeamsNeverOverLendThePool() throws {
        let registry = try registry()
        let recs = try actor(registry, "recs-admin-secret"), search = try actor(registry, "search-lead-secret")
        let ends = day(1)
        let group = DispatchGroup()
        for i in 0..<40 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                let (who, grant, klass) = i % 2 == 0 ? (recs, "recs", #", "class": "production""#) : (search, "search", "")
                _ = try? registry.drawBurst(try! JSONValue.parse(#"{"grant": "\#(grant)"\#(klass), "amount": "7", "ends": "\#(ends)", "reason": "concurrent draw number \#(i) for the test"}"#), by: who)
            }
        }
        group.wait()
        let granted = registry.exceptionLog.filter { $0.immediate }
        let total = granted.reduce(Int64(0)) { $0 + $1.amountNanos }
        XCTAssertLessThanOrEqual(total, 100_000_000_000, "the pool is never over-lent")
        XCTAssertEqual(total, 98_000_000_000, "14 draws of $7 fit in $100 (8 per team fit 60, the pool takes 14)")
        for team in ["recs", "search"] {
            XCTAssertLessThanOrEqual(registry.lent(from: "acme", at: clock.now)[team] ?? 0, 60_000_000_000, "\(team) within its limit")
        }
        XCTAssertEqual(registry.exceptionLog.count, 40, "the rest were filed for approval, none lost")
    }

    func testTheLogSurvivesARestartAndItsHashChainCatchesAnEdit() throws {
        var first: GovernanceRegistry? = try registry()
        let lead = try actor(first!, "recs-admin-secret")
        let e = try first!.requestException(try json(#"{"grant": "recs", "class": "production", "amount": "20", "ends": "\#(day(3))", "reason": "a reason that is long enough"}"#), by: lead)
        _ = try first!.approveException(e.id, condition: "weekend only", by: try actor(first!, "chair-secret"))
        _ = try first!.drawBurst(try json(#"{"grant": "recs", "class": "production", "amount": "10", "ends": "\#(day(1))", "reason": "another reason long enough"}"#), by: lead)
        XCTAssertTrue(try first!.verifyLog().intact)
        let before = first!.exceptionLog
        first = nil

        let second = try registry()
        XCTAssertEqual(second.exceptionLog, before)
        XCTAssertEqual(try second.verifyLog(), ChainVerification(events: 3, firstBroken: nil, problem: nil))

        // Someone edits the approval's condition in the file.
        let db = try SQLiteDatabase(path: directory + "/" + SQLiteGovernanceStore.fileName)
        try db.execute(#"UPDATE governance_events SET body = '{"condition":"always"}' WHERE seq = 2"#)
        let check = try second.verifyLog()
        XCTAssertFalse(check.intact)
        XCTAssertEqual(check.firstBroken, 2)
        XCTAssertEqual(check.problem, "event 2 (exception_approved exc-0001) was changed after it was written")
        // Deleting one breaks the chain too.
        try db.execute("UPDATE governance_events SET body = (SELECT body FROM governance_events WHERE seq = 2) WHERE seq = 2")
        try db.execute("DELETE FROM governance_events WHERE seq = 1")
        XCTAssertEqual(try second.verifyLog().firstBroken, 2)
    }
}
