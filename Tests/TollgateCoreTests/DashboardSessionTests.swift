import NIOConcurrencyHelpers
import NIOHTTP1
import XCTest
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateProxy

/// The dashboard's sessions without a server: tokens, expiry after 12
/// hours, a credential that disappears ends its session, the master key's
/// session follows the master key, and the cookie in both directions.
final class DashboardSessionTests: XCTestCase {
    final class Directory: RuntimeKeyDirectory, @unchecked Sendable {
        let credentials = NIOLockedValueBox<[String: Credential]>([:])
        let revoked = NIOLockedValueBox<Set<String>>([])
        func mintedIdentity(sha256Hex: String) -> Identity? { nil }
        func keyRevocation(_ keyID: String) -> String? { revoked.withLockedValue { $0.contains(keyID) } ? "revoked by test" : nil }
        func credential(sha256Hex: String) -> Credential? { credentials.withLockedValue { $0[sha256Hex] } }
    }

    let viewer = Credential(id: "finance", role: .viewer, scope: GrantScope(level: .org, org: "acme"), owner: "fp@example.com")

    func testASessionStandsForItsCredentialUntilTwelveHoursPass() {
        let now = NIOLockedValueBox<Int64>(1_000_000_000_000)
        let sessions = DashboardSessions(clock: { now.withLockedValue { $0 } })
        let directory = Directory()
        directory.credentials.withLockedValue { $0[KeyStore.sha256Hex("tg-viewer")] = viewer }
        let (token, created) = sessions.create(secret: "tg-viewer", actor: .credential(viewer))
        XCTAssertEqual(token.count, 64)
        XCTAssertTrue(token.allSatisfy { $0.isHexDigit })
        XCTAssertEqual(created.csrfToken.count, 64)
        XCTAssertNotEqual(created.csrfToken, token)

        let resolved = sessions.resolve(token: token, masterKey: "m", runtime: directory)
        XCTAssertEqual(resolved?.actor, .credential(viewer))
        XCTAssertEqual(resolved?.csrfToken, created.csrfToken)
        XCTAssertNil(sessions.resolve(token: String(repeating: "0", count: 64), masterKey: "m", runtime: directory))

        now.withLockedValue { $0 += DashboardSessions.lifetimeMicros - 1 }
        XCTAssertNotNil(sessions.resolve(token: token, masterKey: "m", runtime: directory))
        now.withLockedValue { $0 += 1 }
        XCTAssertNil(sessions.resolve(token: token, masterKey: "m", runtime: directory), "12 hours after sign-in it has ended")
        XCTAssertEqual(sessions.count, 0)
    }

    func testAKeyHoldersSessionFollowsItsKeyUntilRevokedOrExpired() {
        let now = NIOLockedValueBox<Int64>(1_000_000_000_000_000)
        let sessions = DashboardSessions(clock: { now.withLockedValue { $0 } })
        let directory = Directory()
        var identity = Identity(keyId: "recs-prod", org: "acme", team: "recs", owner: "lead@example.com", keyClass: .production)
        identity.expiresAt = 1_000_000_000 + 3_600
        let keys = KeyStore(entries: [(KeyStore.sha256Hex("tg-key"), identity)])
        let (token, _) = sessions.create(secret: "tg-key", actor: .keyHolder(identity))
        XCTAssertEqual(sessions.resolve(token: token, masterKey: "m", runtime: directory, keys: keys)?.actor, .keyHolder(identity))
        XCTAssertNil(sessions.resolve(token: token, masterKey: "m", runtime: directory), "a key the config no longer has")

        let (second, _) = sessions.create(secret: "tg-key", actor: .keyHolder(identity))
        now.withLockedValue { $0 += 3_600 * 1_000_000 }
        XCTAssertNil(sessions.resolve(token: second, masterKey: "m", runtime: directory, keys: keys), "the key expired")

        now.withLockedValue { $0 -= 3_600 * 1_000_000 }
        let (third, _) = sessions.create(secret: "tg-key", actor: .keyHolder(identity))
        directory.revoked.withLockedValue { $0.insert("recs-prod") }
        XCTAssertNil(sessions.resolve(token: third, masterKey: "m", runtime: directory, keys: keys), "the key was revoked")
    }

    func testTokensAreNotRepeated() {
        let sessions = DashboardSessions()
        let tokens = (0..<200).map { _ in sessions.create(secret: "s", actor: .master).token }
        XCTAssertEqual(Set(tokens).count, 200)
    }

    func testASessionEndsWhenItsCredentialIsGoneOrSignedOut() {
        let sessions = DashboardSessions()
        let directory = Directory()
        directory.credentials.withLockedValue { $0[KeyStore.sha256Hex("tg-viewer")] = viewer }
        let first = sessions.create(secret: "tg-viewer", actor: .credential(viewer)).token
        let second = sessions.create(secret: "tg-viewer", actor: .credential(viewer)).token
        XCTAssertTrue(sessions.end(token: second))
        XCTAssertFalse(sessions.end(token: second))
        XCTAssertNil(sessions.resolve(token: second, masterKey: nil, runtime: directory))

        // A reload that drops the credential ends its sessions on their next use.
        directory.credentials.withLockedValue { $0 = [:] }
        XCTAssertNil(sessions.resolve(token: first, masterKey: nil, runtime: directory))
        directory.credentials.withLockedValue { $0[KeyStore.sha256Hex("tg-viewer")] = viewer }
        XCTAssertNil(sessions.resolve(token: first, masterKey: nil, runtime: directory), "an ended session stays ended")
    }

    func testTheMasterKeysSessionFollowsTheMasterKey() {
        let sessions = DashboardSessions()
        let directory = Directory()
        let token = sessions.create(secret: "master-1", actor: .master).token
        XCTAssertEqual(sessions.resolve(token: token, masterKey: "master-1", runtime: directory)?.actor, .master)
        XCTAssertNil(sessions.resolve(token: token, masterKey: "master-2", runtime: directory))
        let another = sessions.create(secret: "master-1", actor: .master).token
        XCTAssertNil(sessions.resolve(token: another, masterKey: nil, runtime: directory), "admin turned off")
    }

    func testTheCookieIsReadAmongOthersAndWrittenStrict() {
        var headers = HTTPHeaders([("cookie", "theme=dark; tollgate_session=abc123 ; other=1")])
        XCTAssertEqual(DashboardCookie.token(in: headers), "abc123")
        headers = HTTPHeaders([("cookie", "a=1"), ("cookie", "tollgate_session=def")])
        XCTAssertEqual(DashboardCookie.token(in: headers), "def")
        XCTAssertNil(DashboardCookie.token(in: HTTPHeaders([("cookie", "xtollgate_session=1; tollgate_session=")])))
        XCTAssertNil(DashboardCookie.token(in: HTTPHeaders()))

        XCTAssertEqual(DashboardCookie.set(token: "t", secure: false), "tollgate_session=t; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200")
        XCTAssertTrue(DashboardCookie.set(token: "t", secure: true).hasSuffix("; Secure"))
        XCTAssertTrue(DashboardCookie.clear(secure: false).contains("Max-Age=0"))
    }
}

/// The ring of delivered alerts and who may see which.
final class RecentAlertsTests: XCTestCase {
    func alert(_ n: Int, subject: String = "team/acme/payments", details: String = "") -> Alert {
        Alert(severity: .warning, kind: "k", subject: subject, message: "m\(n)", dedupeKey: "k:\(n)", detailsJSON: details, source: "core")
    }

    func testTheRingKeepsTheLastAlertsNewestFirst() {
        var ring = RecentAlerts(capacity: 3)
        XCTAssertEqual(ring.newestFirst, [])
        for n in 1...2 { ring.record(alert(n), at: Int64(n), sinks: ["log"]) }
        XCTAssertEqual(ring.newestFirst.map(\.alert.message), ["m2", "m1"])
        for n in 3...7 { ring.record(alert(n), at: Int64(n), sinks: ["log"]) }
        XCTAssertEqual(ring.newestFirst.map(\.alert.message), ["m7", "m6", "m5"])
        XCTAssertEqual(ring.newestFirst.map(\.sequence), [7, 6, 5])
        XCTAssertEqual(ring.recorded, 7)
    }

    func testTheRouterRecordsWhatItDeliveredAndWhere() {
        let metrics = GatewayMetrics()
        let router = AlertRouter(sinks: [LogAlertSink(logger: .init(label: "t"))], metrics: metrics, recentCapacity: 500,
                                 clock: { 42_000_000 })
        XCTAssertTrue(router.raise(alert(1)))
        XCTAssertFalse(router.raise(alert(1)), "a duplicate is not delivered, nor recorded")
        for n in 2...600 { router.raise(alert(n)) }
        let recent = router.recentAlerts()
        XCTAssertEqual(recent.alerts.count, 500)
        XCTAssertEqual(recent.recorded, 600)
        XCTAssertEqual(recent.alerts.first?.alert.message, "m600")
        XCTAssertEqual(recent.alerts.first?.sinks, ["log"])
        XCTAssertEqual(recent.alerts.first?.atMicros, 42_000_000)
        XCTAssertEqual(AlertRouter(sinks: [], metrics: metrics).recentAlerts().alerts, [])
    }

    func testACredentialSeesTheAlertsOfItsScopeAndTheRestAreTheMasterKeys() throws {
        let config = try ConfigLoader.parse(yaml: """
            models:
              - {name: small, provider: mock, price: {input_per_mtok: "0.40", output_per_mtok: "1.60"}}
            orgs:
              - name: acme
                teams:
                  - name: payments
                    owner: p@example.com
                    keys:
                      - {id: pay-prod, sha256: "\(String(repeating: "a", count: 64))", class: production}
                  - name: search
                    owner: s@example.com
                    keys:
                      - {id: search-prod, sha256: "\(String(repeating: "b", count: 64))", class: production}
            grants:
              - {id: acme, scope: org/acme, owner: cfo@example.com, amount: "100", period: monthly, renews: 2099-12-31}
              - {id: payments, scope: team/acme/payments, owner: p@example.com, amount: "10", period: monthly, renews: 2099-12-31}
              - {id: search, scope: team/acme/search, owner: s@example.com, amount: "10", period: monthly, renews: 2099-12-31}
            """, file: "/cfg/t.yaml")
        let table = GrantTable(version: 1, grants: config.grants, keys: config.keyPlacements)
        let payments = Credential(id: "pa", role: .teamAdmin, scope: GrantScope(level: .team, org: "acme", team: "payments"), owner: "p")
        let search = Credential(id: "sa", role: .teamAdmin, scope: GrantScope(level: .team, org: "acme", team: "search"), owner: "s")
        let finance = Credential(id: "fi", role: .viewer, scope: GrantScope(level: .org, org: "acme"), owner: "f")
        func keyTeam(_ id: String) -> GrantScope? { id == "pay-prod" ? GrantScope(level: .team, org: "acme", team: "payments") : nil }
        func seers(_ alert: Alert) -> [String] {
            [("master", GovernanceActor.master), ("payments", .credential(payments)), ("search", .credential(search)),
             ("finance", .credential(finance))]
                .filter { AlertScope.visible(alert, to: $0.1, grants: table, keyTeam: keyTeam) }.map(\.0)
        }
        // 1. the details' grant; 2. the subject as a grant id; 3. as a scope; 4. the details' scope.
        XCTAssertEqual(seers(alert(1, subject: "x", details: #"{"grant":"payments"}"#)), ["master", "payments", "finance"])
        XCTAssertEqual(seers(alert(2, subject: "search")), ["master", "search", "finance"])
        XCTAssertEqual(seers(alert(3, subject: "team/acme/payments")), ["master", "payments", "finance"])
        XCTAssertEqual(seers(alert(4, subject: "feature/acme/search/summaries")), ["master", "search", "finance"])
        XCTAssertEqual(seers(alert(5, subject: "org/acme")), ["master", "finance"])
        XCTAssertEqual(seers(alert(6, subject: "key/pay-prod")), ["master", "payments", "finance"])
        XCTAssertEqual(seers(alert(7, subject: "odd", details: #"{"scope":"team/acme/search"}"#)), ["master", "search", "finance"])
        // Not determinable: the master key's only.
        XCTAssertEqual(seers(alert(8, subject: "key/unknown")), ["master"])
        XCTAssertEqual(seers(alert(9, subject: "feature/acme/checkout")), ["master"])
        XCTAssertEqual(seers(alert(10, subject: "team/other/payments")), ["master"])
    }
}
