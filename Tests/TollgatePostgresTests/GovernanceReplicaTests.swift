import Foundation
import TollgateConfig
import TollgateHost
import TollgateJSON
import TollgatePostgres
import XCTest

/// Two (or more) gateways on one database, each with its own registry: what
/// one decides, the others enforce after a refresh; appends from all of
/// them make one unbroken chain with nothing lost; a decision two of them
/// race for is taken once.
final class GovernanceReplicaTests: DatabaseTestCase {
    func testWhatOneReplicaMintsOrRevokesTheOtherEnforcesAfterARefresh() throws {
        let replicas = try Replicas.make(2, on: database)
        let (a, b) = (replicas[0], replicas[1])
        let admin = try Replicas.actor(a, "recs-admin-secret")
        _ = try a.mintGrant(try Replicas.json(#"{"id": "recs-feed", "scope": "feature/acme/recs/feed", "owner": "feed@acme.example", "amount": "30", "period": "monthly"}"#), by: admin)
        let (secret, key) = try a.mintKey(try Replicas.json(#"{"id": "feed-bot", "grant": "recs-feed", "class": "production"}"#), by: admin)
        let keys = try Replicas.config().keys

        // Before its refresh, B has not seen either.
        XCTAssertNil(b.current.table["recs-feed"])
        XCTAssertNil(b.mintedIdentity(sha256Hex: key.sha256Hex))
        XCTAssertEqual(try b.catchUp(), 2)
        XCTAssertEqual(b.current.table["recs-feed"]?.createdBy, "credential:recs-admin")
        XCTAssertEqual(b.current.table.grants, a.current.table.grants, "B's grant table is A's")
        guard case .authenticated(let identity) = keys.authenticate(presentedKey: secret, now: Replicas.now, runtime: b) else {
            return XCTFail("the key minted on A does not authenticate on B")
        }
        let (published, path) = b.path(identity: identity) { _ in nil }
        XCTAssertEqual(path.map { published.table.grants[$0].id }, ["acme", "recs", "recs-feed"], "B enforces the grant A minted")

        // Revoked on B: refused on A after A's refresh.
        try b.revokeKey("feed-bot", configTeam: nil, reason: "rotated", by: admin)
        XCTAssertFalse(a.isKeyRevoked("feed-bot"))
        XCTAssertEqual(try a.catchUp(), 1)
        XCTAssertTrue(a.isKeyRevoked("feed-bot"))
        guard case .revoked = keys.authenticate(presentedKey: secret, now: Replicas.now, runtime: a) else {
            return XCTFail("the key revoked on B still authenticates on A")
        }
        XCTAssertEqual(a.logPosition, b.logPosition)
        XCTAssertEqual(try a.catchUp(), 0, "nothing new: nothing applied")
        XCTAssertTrue(try a.verifyLog().intact)
    }

    /// Three replicas, four threads each, minting keys at once: every
    /// change lands once, in one chain, and every replica ends with all.
    func testConcurrentAppendsFromEveryReplicaKeepOneUnbrokenChain() throws {
        let replicas = try Replicas.make(3, on: database)
        let perThread = 8
        var work: [() throws -> Void] = []
        for (r, replica) in replicas.enumerated() {
            for t in 0..<4 {
                work.append {
                    for i in 0..<perThread {
                        _ = try replica.mintKey(try Replicas.json(#"{"id": "k-\#(r)-\#(t)-\#(i)", "team": "team/acme/recs", "class": "production"}"#),
                                                by: .master)
                    }
                }
            }
        }
        for result in Replicas.race(work) { try result.get() }
        let total = 3 * 4 * perThread
        for replica in replicas {
            try replica.catchUp()
            XCTAssertEqual(replica.mintedKeyList.count, total)
        }
        let check = try XCTUnwrap(replicas.first).verifyLog()
        XCTAssertTrue(check.intact, check.problem ?? "")
        XCTAssertEqual(check.events, total, "no event lost, none doubled")
        XCTAssertEqual(Set(replicas.map(\.logPosition)).count, 1)
        XCTAssertEqual(replicas[0].logPosition.sequence, Int64(total))
    }

    /// The same request approved from two replicas at once: one approval
    /// is recorded, the other is told it was decided.
    func testTwoApprovalsOfOneRequestRacingFromTwoReplicasDecideItOnce() throws {
        let replicas = try Replicas.make(2, on: database)
        let (a, b) = (replicas[0], replicas[1])
        let requester = try Replicas.actor(a, "recs-admin-secret")
        for n in 1...4 {
            let request = try a.requestException(try Replicas.json(Replicas.exceptionBody(n)), by: requester)
            let chair = try Replicas.actor(a, "chair-secret"), chair2 = try Replicas.actor(b, "chair2-secret")
            let results = Replicas.race([
                { try a.approveException(request.id, condition: nil, by: chair).decidedBy },
                { try b.approveException(request.id, condition: nil, by: chair2).decidedBy },
            ])
            XCTAssertEqual(results.filter { (try? $0.get()) != nil }.count, 1, "round \(n): exactly one approval wins")
            for case .failure(let error) in results {
                XCTAssertEqual((error as? GovernanceError)?.status, 409, "\(error)")
            }
        }
        let approvals = try PostgresGovernanceStore(storage: try database.storage()).events().filter { $0.kind == .exceptionApproved }
        XCTAssertEqual(approvals.count, 4)
        XCTAssertEqual(Set(approvals.map(\.subject)).count, 4, "no request approved twice")
    }

    /// The lost race made deterministic: B decides on a state A has just
    /// moved past (its catch-up came back empty). The append is what
    /// catches it: B catches up for real, decides again, and refuses.
    func testADecisionTakenOnStaleStateIsCaughtAtTheAppendAndDecidedAgain() throws {
        let a = try Replicas.make(1, on: database)[0]
        let stale = StaleOnceStore(PostgresGovernanceStore(storage: try database.storage()))
        let b = try Replicas.registry(stale)
        let requester = try Replicas.actor(a, "recs-admin-secret")
        let request = try a.requestException(try Replicas.json(Replicas.exceptionBody(1)), by: requester)
        try b.catchUp()
        _ = try a.approveException(request.id, condition: nil, by: try Replicas.actor(a, "chair-secret"))
        stale.arm()
        XCTAssertThrowsError(try b.approveException(request.id, condition: nil, by: try Replicas.actor(b, "chair2-secret"))) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 409, "\(error)")
            XCTAssertTrue("\(error)".contains("already decided"), "\(error)")
        }
        XCTAssertEqual(stale.conflictCount, 1, "the stale append was refused by the database")

        // Two carve-outs that each fit, but not together: $60 + $60 of recs' $100.
        let first = #"{"id": "f1", "scope": "feature/acme/recs/f1", "owner": "x@acme.example", "amount": "60", "period": "monthly"}"#
        let second = #"{"id": "f2", "scope": "feature/acme/recs/f2", "owner": "x@acme.example", "amount": "60", "period": "monthly"}"#
        try b.catchUp()
        _ = try a.mintGrant(try Replicas.json(first), by: requester)
        stale.arm()
        XCTAssertThrowsError(try b.mintGrant(try Replicas.json(second), by: try Replicas.actor(b, "recs-admin-secret"))) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 409, "\(error)")
        }
        XCTAssertEqual(stale.conflictCount, 2)
        XCTAssertNotNil(b.current.table["f1"])
        XCTAssertNil(b.current.table["f2"])
        let events = try stale.inner.events()
        XCTAssertEqual(events.filter { $0.kind == .exceptionApproved }.count, 1)
        XCTAssertEqual(events.filter { $0.kind == .grantMinted }.count, 1)
        XCTAssertTrue(try b.verifyLog().intact)
    }

    /// Two carve-outs racing from two replicas: together they exceed the
    /// parent, so one is minted and the other refused.
    func testTwoGrantsThatTogetherExceedTheParentRacingFromTwoReplicasMintOne() throws {
        let replicas = try Replicas.make(2, on: database)
        let results = Replicas.race(replicas.enumerated().map { index, replica in
            {
                try replica.mintGrant(try Replicas.json(#"{"id": "g\#(index)", "scope": "feature/acme/recs/g\#(index)", "owner": "x@acme.example", "amount": "60", "period": "monthly"}"#),
                                      by: .master).id
            }
        })
        XCTAssertEqual(results.filter { (try? $0.get()) != nil }.count, 1, "\(results)")
        for case .failure(let error) in results { XCTAssertEqual((error as? GovernanceError)?.status, 409, "\(error)") }
        for replica in replicas { try replica.catchUp() }
        XCTAssertEqual(replicas[0].current.table.grants, replicas[1].current.table.grants)
        XCTAssertEqual(replicas.map { $0.current.table.grants.filter { $0.source == .minted }.count }, [1, 1])
    }
}
