import Foundation
import TollgateJSON
import XCTest
@testable import TollgateSupport
@testable import TollgateConfig
@testable import TollgateHost
import TollgateUnits

/// Delegation: what a team admin may mint, change and revoke, that nothing
/// exceeds its parent, and that the state is the replay of its event log
/// (a restart sees the same grants and keys).
final class GovernanceRegistryTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "governance-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let yaml = GrantConfigTests.head + GrantConfigTests.tree + """
    credentials:
      - {id: recs-admin, role: team_admin, scope: team/acme/recs, owner: lead@acme.example, sha256: "\(KeyStore.sha256Hex("recs-admin-secret"))"}
      - {id: search-admin, role: team_admin, scope: team/acme/search, owner: search@acme.example, sha256: "\(KeyStore.sha256Hex("search-admin-secret"))"}
      - {id: finance, role: viewer, scope: org/acme, owner: fp@acme.example, sha256: "\(KeyStore.sha256Hex("finance-secret"))"}
    """

    func config() throws -> TollgateConfig { try ConfigLoader.parse(yaml: Self.yaml, file: "/cfg/tollgate.yaml") }

    func registry(now: Int64 = 1_790_000_000) throws -> GovernanceRegistry {
        let registry = try GovernanceRegistry(store: SQLiteGovernanceStore(directory: directory), clock: { now })
        XCTAssertEqual(registry.configure(try config()), [])
        return registry
    }

    func admin(_ registry: GovernanceRegistry, _ secret: String) throws -> GovernanceActor {
        .credential(try XCTUnwrap(registry.credential(sha256Hex: KeyStore.sha256Hex(secret))))
    }

    func body(_ json: String) throws -> JSONValue { try JSONValue.parse(json) }

    func testATeamAdminMintsASubGrantAndAKeyInsideItsGrantWithoutTheMasterKey() throws {
        let registry = try registry()
        let recsAdmin = try admin(registry, "recs-admin-secret")
        let grant = try registry.mintGrant(try body(#"{"id": "recs-feed", "scope": "feature/acme/recs/feed", "owner": "feed@acme.example", "class": "production", "amount": "50", "period": "monthly", "renews": "2027-06-30"}"#), by: recsAdmin)
        XCTAssertEqual(grant.source, .minted)
        XCTAssertEqual(grant.createdBy, "credential:recs-admin")
        let table = registry.current.table
        XCTAssertEqual(table.index(of: "recs-feed").flatMap { table.parents[$0] }.map { table.grants[$0].id }, "recs")

        let (secret, key) = try registry.mintKey(try body(#"{"id": "feed-bot", "grant": "recs-feed", "class": "production"}"#), by: recsAdmin)
        XCTAssertTrue(secret.hasPrefix("tg-"))
        XCTAssertEqual(key.identity.team, "recs")
        XCTAssertEqual(key.identity.owner, "lead@acme.example")
        // The key authenticates, and its requests are on the grant it was minted in.
        guard case .authenticated(let identity) = try config().keys.authenticate(presentedKey: secret, now: 1_790_000_000, runtime: registry) else {
            return XCTFail("the minted key does not authenticate")
        }
        let (published, path) = registry.path(identity: identity) { _ in nil }
        XCTAssertEqual(path.map { published.table.grants[$0].id }, ["acme", "recs", "recs-feed"])
    }

    func testATeamAdminCannotExceedItsParentNorTouchAnotherTeamNorMintTeamGrants() throws {
        let registry = try registry()
        let recsAdmin = try admin(registry, "recs-admin-secret")
        // recs has $400 of production a month; recs-search holds 31 x $10.
        XCTAssertThrowsError(try registry.mintGrant(try body(#"{"id": "big", "scope": "feature/acme/recs/big", "owner": "x", "class": "production", "amount": "100", "period": "monthly"}"#), by: recsAdmin)) { error in
            guard case .conflict(let message) = error as? GovernanceError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("the children of grant 'recs' add up to $410.00"), message)
        }
        XCTAssertThrowsError(try registry.mintGrant(try body(#"{"id": "s1", "scope": "feature/acme/search/x", "owner": "x", "amount": "1", "period": "daily"}"#), by: recsAdmin)) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403, "\(error)")
        }
        XCTAssertThrowsError(try registry.mintGrant(try body(#"{"id": "t1", "scope": "team/acme/recs", "owner": "x", "amount": "1", "period": "daily"}"#), by: recsAdmin)) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403, "\(error)")
        }
        XCTAssertThrowsError(try registry.mintKey(try body(#"{"id": "k", "team": "team/acme/search", "class": "production"}"#), by: recsAdmin)) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403, "\(error)")
        }
        XCTAssertThrowsError(try registry.mintKey(try body(#"{"id": "k", "class": "production"}"#), by: try admin(registry, "finance-secret"))) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403, "\(error)")
        }
        // A malformed body names the field.
        XCTAssertThrowsError(try registry.mintGrant(try body(#"{"id": "x", "scope": "feature/acme/recs/x", "owner": "x", "amount": "1", "perod": "daily"}"#), by: recsAdmin)) { error in
            guard case .invalid(let message) = error as? GovernanceError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("unknown key 'perod' in the grant; did you mean 'period'?"), message)
        }
        // The config's grants change in the config.
        XCTAssertThrowsError(try registry.updateGrant("recs", patch: try body(#"{"amount": "1"}"#), by: .master)) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403)
        }
        XCTAssertEqual(registry.current.table.grants.count, 3, "nothing refused was kept")
    }

    func testChangesAndRevocationsReplayAfterARestart() throws {
        var first: GovernanceRegistry? = try registry()
        let recsAdmin = try admin(first!, "recs-admin-secret")
        _ = try first!.mintGrant(try body(#"{"id": "recs-feed", "scope": "feature/acme/recs/feed", "owner": "x", "class": "production", "amount": "50", "period": "monthly"}"#), by: recsAdmin)
        _ = try first!.updateGrant("recs-feed", patch: try body(#"{"amount": "60", "owner": "feed@acme.example"}"#), by: recsAdmin)
        let (secret, _) = try first!.mintKey(try body(#"{"id": "feed-bot", "grant": "recs-feed", "class": "production"}"#), by: recsAdmin)
        let (otherSecret, _) = try first!.mintKey(try body(#"{"id": "other", "team": "acme/recs", "class": "experimentation"}"#), by: .master)
        try first!.revokeKey("other", configTeam: nil, reason: "leaked", by: recsAdmin)
        let before = first!.current.table
        first = nil

        let second = try registry()
        let after = second.current.table
        XCTAssertEqual(after.grants, before.grants)
        XCTAssertEqual(after["recs-feed"]?.buckets.first?.amountNanos, 60_000_000_000)
        XCTAssertEqual(after["recs-feed"]?.owner, "feed@acme.example")
        XCTAssertNotNil(second.mintedIdentity(sha256Hex: KeyStore.sha256Hex(secret)))
        XCTAssertNotNil(second.keyRevocation("other"))
        guard case .revoked(let identity, _) = try config().keys.authenticate(presentedKey: otherSecret, now: 0, runtime: second) else {
            return XCTFail("a key revoked before the restart authenticates after it")
        }
        XCTAssertEqual(identity.keyId, "other")
    }

    func testRevokingAGrantMarksItAndCarvingFromItIsRefused() throws {
        let registry = try registry()
        let recsAdmin = try admin(registry, "recs-admin-secret")
        _ = try registry.mintGrant(try body(#"{"id": "recs-feed", "scope": "feature/acme/recs/feed", "owner": "x", "class": "production", "amount": "50", "period": "monthly"}"#), by: recsAdmin)
        XCTAssertThrowsError(try registry.revokeGrant("recs", reason: nil, by: recsAdmin)) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403, "a config grant is revoked by the master key")
        }
        let revoked = try registry.revokeGrant("recs-feed", reason: "feature shelved", by: recsAdmin)
        XCTAssertTrue(revoked.isRevoked)
        let document = try JSONValue.parse(registry.current.table.json)
        XCTAssertEqual(document["grants"]?[3]?["status"]?.stringValue, "revoked")
        XCTAssertThrowsError(try registry.mintGrant(try body(#"{"id": "under", "scope": "key/recs-prod", "parent": "recs-feed", "owner": "x", "class": "production", "amount": "1", "period": "monthly"}"#), by: recsAdmin)) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 409, "\(error)")
        }
        XCTAssertThrowsError(try registry.mintGrant(try body(#"{"id": "recs-feed", "scope": "feature/acme/recs/feed", "owner": "x", "class": "production", "amount": "1", "period": "monthly"}"#), by: recsAdmin)) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 409, "ids are not reused")
        }
    }

    func testARevokedConfigKeyIsRefusedOnTheNextAuthentication() throws {
        let registry = try registry()
        let yamlKeys = KeyStore(entries: [(KeyStore.sha256Hex("plain"), Identity(keyId: "recs-prod", org: "acme", team: "recs",
                                                                                    owner: "x", keyClass: .production))])
        guard case .authenticated = yamlKeys.authenticate(presentedKey: "plain", now: 0, runtime: registry) else { return XCTFail() }
        XCTAssertThrowsError(try registry.revokeKey("recs-prod", configTeam: ("acme", "recs"), reason: nil,
                                                    by: try admin(registry, "search-admin-secret"))) { error in
            XCTAssertEqual((error as? GovernanceError)?.status, 403, "another team's admin cannot revoke it")
        }
        try registry.revokeKey("recs-prod", configTeam: ("acme", "recs"), reason: nil, by: try admin(registry, "recs-admin-secret"))
        guard case .revoked(let identity, let why) = yamlKeys.authenticate(presentedKey: "plain", now: 0, runtime: registry) else {
            return XCTFail("a revoked key still authenticates")
        }
        XCTAssertEqual(identity.keyId, "recs-prod")
        XCTAssertTrue(why.contains("by credential:recs-admin"), why)
    }

    func testTheExpiryNotifierAlertsAtEachThresholdOnceThenEveryGraceDayThenOnLapse() throws {
        let registry = try registry()
        let counters = CounterStore(clock: { 0 })
        final class Sink: AlertSink, @unchecked Sendable {
            let lock = NSLock()
            var alerts: [Alert] = []
            func deliver(_ alert: Alert) { lock.withLock { alerts.append(alert) } }
            func close() {}
        }
        let sink = Sink()
        let notifier = GrantExpiryNotifier(registry: registry, counters: counters,
                                           alerts: AlertRouter(sinks: [sink], metrics: GatewayMetrics()))
        // recs-search renews 2027-01-31 (lapses at Feb 1st), 7 grace days; acme renews 2027-06-30.
        let lapse = try XCTUnwrap(registry.current.table["recs-search"]?.renewsAt)
        func kinds(_ now: Int64) -> [String] {
            notifier.check(now: now).filter { $0.subject == "recs-search" }.map { "\($0.kind):\($0.severity)" }
        }
        XCTAssertEqual(kinds(lapse - 20 * 86_400), [])
        XCTAssertEqual(kinds(lapse - 13 * 86_400), ["grant_expiring:warning"])
        XCTAssertEqual(kinds(lapse - 12 * 86_400), [], "once per threshold")
        XCTAssertEqual(kinds(lapse - 2 * 86_400), ["grant_expiring:critical"])
        XCTAssertEqual(kinds(lapse - 1 * 86_400), [])
        XCTAssertEqual(kinds(lapse + 60), ["grant_grace:critical"])
        XCTAssertEqual(kinds(lapse + 3_600), [], "once a day")
        XCTAssertEqual(kinds(lapse + 86_400 + 60), ["grant_grace:critical"])
        XCTAssertEqual(kinds(lapse + 8 * 86_400), ["grant_expired:critical"])
        XCTAssertEqual(kinds(lapse + 9 * 86_400), [])
        let message = try XCTUnwrap(sink.alerts.first { $0.kind == "grant_expiring" }?.message)
        XCTAssertTrue(message.contains("Grant 'recs-search' (feature/acme/recs/search, owner ml@acme.example) must be renewed by 2027-01-31"), message)
    }
}
