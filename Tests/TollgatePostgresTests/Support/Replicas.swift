import Foundation
import NIOConcurrencyHelpers
import TollgateConfig
import TollgateHost
import TollgateJSON
import TollgatePostgres
import XCTest

/// Gateways ("replicas") on one test database: each its own pool and its
/// own GovernanceRegistry over PostgresGovernanceStore, configured alike.
enum Replicas {
    static let now: Int64 = 1_790_000_000  // 2026-09-21

    static let yaml = """
    models:
      - {name: small, provider: mock, price: {input_per_mtok: "0.40", output_per_mtok: "1.60"}}
    orgs:
      - name: acme
        teams:
          - name: recs
            owner: lead@acme.example
            keys:
              - {id: recs-prod, sha256: "\(String(repeating: "a", count: 64))", class: production}
    grants:
      - {id: acme, scope: org/acme, owner: cfo@acme.example, amount: "1000", period: monthly}
      - {id: recs, scope: team/acme/recs, owner: lead@acme.example, amount: "100", period: monthly}
    credentials:
      - {id: recs-admin, role: team_admin, scope: team/acme/recs, owner: lead@acme.example, sha256: "\(KeyStore.sha256Hex("recs-admin-secret"))"}
      - {id: chair, role: approver, scope: org/acme, owner: chair@acme.example, sha256: "\(KeyStore.sha256Hex("chair-secret"))"}
      - {id: chair2, role: approver, scope: org/acme, owner: chair2@acme.example, sha256: "\(KeyStore.sha256Hex("chair2-secret"))"}
    """

    static func config() throws -> TollgateConfig { try ConfigLoader.parse(yaml: yaml, file: "/cfg/tollgate.yaml") }

    /// A registry on `store`, configured.
    static func registry(_ store: GovernanceStore) throws -> GovernanceRegistry {
        let registry = try GovernanceRegistry(store: store, clock: { now })
        XCTAssertEqual(registry.configure(try config()), [])
        return registry
    }

    /// `count` replicas on `database`.
    static func make(_ count: Int, on database: TestDatabase) throws -> [GovernanceRegistry] {
        try (0..<count).map { _ in try registry(PostgresGovernanceStore(storage: try database.storage())) }
    }

    static func actor(_ registry: GovernanceRegistry, _ secret: String) throws -> GovernanceActor {
        .credential(try XCTUnwrap(registry.credential(sha256Hex: KeyStore.sha256Hex(secret)), secret))
    }

    static func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    static func exceptionBody(_ n: Int) -> String {
        #"{"grant": "recs", "amount": "10", "ends": "2026-09-25", "reason": "a launch that needs room, number \#(n)"}"#
    }

    /// Runs every closure at once (threads released together) and returns
    /// their results in order.
    static func race<T>(_ work: [() throws -> T]) -> [Result<T, Error>] {
        let results = NIOLockedValueBox<[Int: Result<T, Error>]>([:])
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        let boxes = work.map { UncheckedBox($0) }
        for (index, box) in boxes.enumerated() {
            DispatchQueue.global().async(group: group) {
                start.wait()
                let result = Result { try box.value() }
                results.withLockedValue { $0[index] = result }
            }
        }
        for _ in work { start.signal() }
        group.wait()
        return results.withLockedValue { all in (0..<work.count).map { all[$0]! } }
    }
}

/// A closure or value handed to another thread once, in a test.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A store that, once armed, answers one catch-up with nothing: the
/// registry decides on a state that another replica has just moved past,
/// exactly what happens when two replicas decide in the same instant. Only
/// the append can catch it.
final class StaleOnceStore: GovernanceStore, @unchecked Sendable {
    let inner: GovernanceStore
    private let armed = NIOLockedValueBox(false)
    private let conflicts = NIOLockedValueBox(0)

    init(_ inner: GovernanceStore) { self.inner = inner }

    func arm() { armed.withLockedValue { $0 = true } }
    var conflictCount: Int { conflicts.withLockedValue { $0 } }

    var isShared: Bool { inner.isShared }

    func events(after sequence: Int64) throws -> [GovernanceEvent] {
        let stale = armed.withLockedValue { wasArmed -> Bool in
            defer { wasArmed = false }
            return wasArmed
        }
        return stale ? [] : try inner.events(after: sequence)
    }

    func append(_ event: GovernanceEvent, after position: GovernanceLogPosition) throws -> GovernanceEvent {
        do {
            return try inner.append(event, after: position)
        } catch let conflict as GovernanceAppendConflict {
            conflicts.withLockedValue { $0 += 1 }
            throw conflict
        }
    }

    func verify() throws -> ChainVerification { try inner.verify() }
}
