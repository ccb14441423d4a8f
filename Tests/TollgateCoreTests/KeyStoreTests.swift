import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

final class KeyStoreTests: XCTestCase {
    let expiresAt: Int64 = 1_814_400_000  // 2027-07-01T00:00:00Z

    func store() -> KeyStore {
        let prod = Identity(keyId: "prod", org: "acme", team: "payments", owner: "lead@example.com",
                            keyClass: .production, allowedModels: ["small"], expiresAt: expiresAt)
        let lab = Identity(keyId: "lab", org: "acme", team: "payments", owner: "lead@example.com",
                           keyClass: .experimentation)
        return KeyStore(entries: [(KeyStore.sha256Hex("tg-prod").uppercased(), prod),
                                  (KeyStore.sha256Hex("tg-lab"), lab)])
    }

    func testSHA256HexMatchesTheKnownDigest() {
        XCTAssertEqual(KeyStore.sha256Hex("tg-demo-key-0001"),
                       "0255fc004d93f324a0f3a155a59d10d3f57df18f935da9ee05f824001c5ecda0")
        XCTAssertEqual(KeyStore.sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testMissingUnknownAndValid() {
        let keys = store()
        XCTAssertEqual(keys.count, 2)
        XCTAssertEqual(keys.authenticate(presentedKey: nil, now: 0), .missing)
        XCTAssertEqual(keys.authenticate(presentedKey: "", now: 0), .missing)
        XCTAssertEqual(keys.authenticate(presentedKey: "tg-nope", now: 0), .unknown)
        XCTAssertEqual(keys.authenticate(presentedKey: "TG-PROD", now: 0), .unknown)
        guard case .authenticated(let lab) = keys.authenticate(presentedKey: "tg-lab", now: Int64.max) else {
            return XCTFail("a key without expiry is always valid")
        }
        XCTAssertEqual(lab.keyId, "lab")
        XCTAssertTrue(lab.allows(model: "anything"))
    }

    func testExpiryBoundaryIsTheFirstInvalidSecond() {
        let keys = store()
        guard case .authenticated(let prod) = keys.authenticate(presentedKey: "tg-prod", now: expiresAt - 1) else {
            return XCTFail("valid until the last second before expiresAt")
        }
        XCTAssertTrue(prod.allows(model: "small"))
        XCTAssertFalse(prod.allows(model: "large"))
        XCTAssertEqual(keys.authenticate(presentedKey: "tg-prod", now: expiresAt), .expired(prod))
        XCTAssertEqual(keys.authenticate(presentedKey: "tg-prod", now: expiresAt + 86_400), .expired(prod))
    }

    func testDuplicateDigestKeepsTheFirst() {
        let a = Identity(keyId: "a", org: "o", team: "t", owner: "x", keyClass: .production)
        let b = Identity(keyId: "b", org: "o", team: "t", owner: "x", keyClass: .production)
        let keys = KeyStore(entries: [(KeyStore.sha256Hex("k"), a), (KeyStore.sha256Hex("k"), b)])
        XCTAssertEqual(keys.count, 1)
        XCTAssertEqual(keys.authenticate(presentedKey: "k", now: 0), .authenticated(a))
    }

    func testManyKeysStillFindTheRightOne() {
        let entries = (0..<2_000).map { i in
            (sha256Hex: KeyStore.sha256Hex("key-\(i)"),
             identity: Identity(keyId: "k\(i)", org: "o", team: "t", owner: "x", keyClass: .production))
        }
        let keys = KeyStore(entries: entries)
        XCTAssertEqual(keys.count, 2_000)
        guard case .authenticated(let found) = keys.authenticate(presentedKey: "key-1234", now: 0) else {
            return XCTFail("key-1234 should authenticate")
        }
        XCTAssertEqual(found.keyId, "k1234")
    }

    // MARK: what `expires:` means

    func testADateIsValidThroughTheEndOfThatDayUTC() {
        XCTAssertEqual(ExpiryDate.firstInvalidSecond("2027-06-30"), expiresAt)
        XCTAssertEqual(ExpiryDate.firstInvalidSecond("1970-01-01"), 86_400)
        XCTAssertEqual(ExpiryDate.firstInvalidSecond("2028-02-29"), ExpiryDate.firstInvalidSecond("2028-03-01")! - 86_400)
        XCTAssertEqual(ExpiryDate.firstInvalidSecond("2000-02-29").map { $0 - 86_400 }, 951_782_400)
    }

    func testATimestampIsTheInstantItStops() {
        XCTAssertEqual(ExpiryDate.firstInvalidSecond("2026-12-31T18:00:00Z"), 1_798_740_000)
        XCTAssertEqual(ExpiryDate.firstInvalidSecond("2026-12-31t18:00:00z"), 1_798_740_000)
        XCTAssertEqual(ExpiryDate.firstInvalidSecond("2026-12-31 20:00:00+02:00"), 1_798_740_000)
        XCTAssertEqual(ExpiryDate.firstInvalidSecond("2026-12-31T13:30:00-04:30"), 1_798_740_000)
        XCTAssertEqual(ExpiryDate.firstInvalidSecond("2026-12-31T18:00:00.000Z"), 1_798_740_000)
        // A fraction rounds up: the key is still valid during that second.
        XCTAssertEqual(ExpiryDate.firstInvalidSecond("2026-12-31T17:59:59.25Z"), 1_798_740_000)
    }

    func testMalformedDatesAreRejected() {
        for bad in ["2027-02-29", "2027-13-01", "2027-00-10", "2027-6-30", "30/06/2027", "2027-06-30T24:00:00Z",
                    "2027-06-30T12:00:00", "2027-06-30T12:00Z", "2027-06-30T12:00:00+0200", "2027-06-30T12:00:00.Z",
                    "tomorrow", ""] {
            XCTAssertNil(ExpiryDate.firstInvalidSecond(bad), bad)
        }
    }

    func testConfigDatesFeedTheKeyStore() throws {
        let yaml = """
        models:
          - {name: small, provider: mock, price: {input_per_mtok: "1", output_per_mtok: "1"}}
        orgs:
          - name: acme
            teams:
              - name: payments
                owner: lead@example.com
                keys:
                  - {id: dated, sha256: "\(KeyStore.sha256Hex("d"))", class: production, expires: 2027-06-30}
                  - {id: timed, sha256: "\(KeyStore.sha256Hex("t"))", class: production, expires: "2026-12-31T18:00:00Z"}
        """
        let keys = try ConfigLoader.parse(yaml: yaml, file: "/c.yaml").keys
        guard case .authenticated = keys.authenticate(presentedKey: "d", now: expiresAt - 1),
              case .expired = keys.authenticate(presentedKey: "d", now: expiresAt),
              case .authenticated = keys.authenticate(presentedKey: "t", now: 1_798_739_999),
              case .expired = keys.authenticate(presentedKey: "t", now: 1_798_740_000) else {
            return XCTFail("expiry from YAML should take effect at the first invalid second")
        }
    }
}
