import Foundation
import TollgateJSON
import XCTest
@testable import TollgateSupport
@testable import TollgateConfig
@testable import TollgateHost
import TollgateUnits

/// Grants, credentials and capacity in the YAML: decoding, parents,
/// carve-outs, and every mistake reported at its line and column.
final class GrantConfigTests: XCTestCase {
    static let head = """
    models:
      - name: small
        provider: mock
        price: {input_per_mtok: "0.40", output_per_mtok: "1.60"}
    orgs:
      - name: acme
        teams:
          - name: recs
            owner: lead@acme.example
            keys:
              - {id: recs-prod, sha256: "\(String(repeating: "a", count: 64))", class: production}
              - {id: recs-lab, sha256: "\(String(repeating: "b", count: 64))", class: experimentation}
          - name: search
            owner: search@acme.example
            keys:
              - {id: search-prod, sha256: "\(String(repeating: "c", count: 64))", class: production}

    """

    func load(_ tail: String) throws -> TollgateConfig {
        try ConfigLoader.parse(yaml: Self.head + tail, file: "/cfg/tollgate.yaml")
    }

    func problems(_ tail: String, line: UInt = #line) -> [String] {
        ConfigLoaderTests.problems(Self.head + tail, line: line)
    }

    static let tree = """
    grants:
      - id: acme
        scope: org/acme
        owner: cfo@acme.example
        amount: "1000"
        period: monthly
        tpm: 100000
        renews: 2027-06-30
      - id: recs
        scope: team/acme/recs
        owner: lead@acme.example
        class: both
        amount: {production: "400", experimentation: "100"}
        period: monthly
        review: 2027-03-31
        rationale: {text: "Q1 launch", trailing_usage: "$380/month", forecast: "$450/month", priority: 1}
      - id: recs-search
        scope: feature/acme/recs/search
        owner: ml@acme.example
        class: production
        amount: "10"
        period: daily
        on_expiry: grace
        grace_days: 7
        renews: 2027-01-31
        at_cap: refuse
        tiers: {warn: 70, amber: 120, hard: 140}

    """

    func testATreeOfGrantsDecodesWithImpliedParentsAndEveryField() throws {
        let config = try load(Self.tree)
        XCTAssertEqual(config.grants.map(\.id), ["acme", "recs", "recs-search"])
        let table = GrantTable(version: 1, grants: config.grants, keys: config.keyPlacements)
        XCTAssertEqual(table.problems, [])
        XCTAssertEqual(table.parents, [nil, 0, 1])
        let recs = try XCTUnwrap(table["recs"])
        XCTAssertEqual(recs.buckets, [GrantBucket(name: "production", classes: [.production], amountNanos: 400_000_000_000),
                                      GrantBucket(name: "experimentation", classes: [.experimentation], amountNanos: 100_000_000_000)])
        XCTAssertEqual(recs.rationale, GrantRationale(text: "Q1 launch", trailingUsage: "$380/month", forecast: "$450/month", priority: 1))
        let feature = try XCTUnwrap(table["recs-search"])
        XCTAssertEqual(feature.onExpiry, .grace(days: 7))
        XCTAssertEqual(feature.productionAtCap, .refuse)
        XCTAssertEqual([feature.warnPercent, feature.amberPercent, feature.hardPercent], [70, 120, 140])
        // 2027-01-31 is valid through its end: it lapses at Feb 1st 00:00 UTC.
        XCTAssertEqual(feature.renewsAt, ExpiryDate.firstInvalidSecond("2027-02-01T00:00:00Z"))
        XCTAssertEqual(feature.graceUntil, feature.renewsAt! + 7 * 86_400)
        // The document plugins read.
        let document = try JSONValue.parse(table.json)
        XCTAssertEqual(document["grants"]?[2]?["parent"]?.stringValue, "recs")
        XCTAssertEqual(document["grants"]?[1]?["buckets"]?[1]?["amount_nanos"]?.int64Value, 100_000_000_000)
        XCTAssertEqual(document["grants"]?[2]?["window"]?.int64Value, 1)
    }

    func testThePathOfARequestIsEveryGrantItFallsUnderRootFirst() throws {
        let config = try load(Self.tree)
        let table = GrantTable(version: 1, grants: config.grants, keys: config.keyPlacements)
        func path(key: String, team: String = "recs", _ keyClass: KeyClass, attributes: [String: String] = [:],
                  keyGrant: String? = nil) -> [String] {
            table.path(org: "acme", team: team, keyID: key, keyClass: keyClass, keyGrant: keyGrant) { attributes[$0] }
                .map { table.grants[$0].id }
        }
        XCTAssertEqual(path(key: "recs-prod", .production), ["acme", "recs"])
        XCTAssertEqual(path(key: "recs-prod", .production, attributes: ["feature": "search"]), ["acme", "recs", "recs-search"])
        XCTAssertEqual(path(key: "recs-prod", .production, attributes: ["feature": "other"]), ["acme", "recs"])
        // The feature grant is production only: experimentation traffic on
        // the same feature is not charged to it.
        XCTAssertEqual(path(key: "recs-lab", .experimentation, attributes: ["feature": "search"]), ["acme", "recs"])
        XCTAssertEqual(path(key: "search-prod", team: "search", .production), ["acme"])
        // A key minted in a grant is on it and its ancestors whatever the attributes.
        XCTAssertEqual(path(key: "recs-prod", .production, keyGrant: "recs-search"), ["acme", "recs", "recs-search"])
    }

    func testChildrenThatAddUpToMoreThanTheirParentAreRefusedUnlessItOversubscribes() throws {
        let over = Self.tree + """
          - id: recs-feed
            scope: feature/acme/recs/feed
            owner: ml@acme.example
            class: production
            amount: "100"
            period: monthly

        """
        // recs-search: $10 daily = $310 a month at most, + $100 > $400.
        let found = problems(over)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found[0].hasPrefix("44:5: the children of grant 'recs' add up to $410.00 per monthly window for production traffic, more than its $400.00"), found[0])
        XCTAssertTrue(found[0].contains("'recs-search' $10.00 daily (x31 = $310.00)"), found[0])
        let allowed = over.replacingOccurrences(of: "    review: 2027-03-31", with: "    review: 2027-03-31\n    oversubscription: 110")
        XCTAssertNoThrow(try load(allowed))
    }

    func testHugeAmountsAreComparedExactlyNotSaturated() throws {
        // $1 billion is 10^18 nano-dollars: x100 (the oversubscription
        // percentage) overflows Int64, and a saturated product divided by
        // 100 would refuse children that fit by far.
        let config = try load("""
        grants:
          - {id: big, scope: org/acme, owner: x, amount: "1000000000", period: monthly}
          - {id: recs, scope: team/acme/recs, owner: x, amount: "100000000", period: monthly}
          - {id: search, scope: team/acme/search, owner: x, amount: "10000000", period: monthly}
        capacity:
          pools: [{provider: p, tpm: 1, committed: "2000000000"}]
        """)
        XCTAssertEqual(config.grants.count, 3)
        XCTAssertEqual(config.warnings, [])
        XCTAssertEqual(Saturating.multiplyDivide(Int64.max, 100, 100), Int64.max)
        XCTAssertEqual(Saturating.multiplyDivide(1_000_000_000_000_000_000, 150, 100), 1_500_000_000_000_000_000)
        XCTAssertEqual(Saturating.multiplyDivide(Int64.max, 2, 1), Int64.max, "saturates past Int64")
    }

    func testGrantMistakesAreNamedAtTheirLineAndColumn() {
        let found = problems("""
        grants:
          - id: a
            scope: team/acme/nope
            owner: x
            amount: "10"
            period: monthly
          - id: b
            scope: teams/acme
            owner: x
            amount: "ten"
            period: hourly
          - id: c
            scope: feature/acme/recs/x
            parent: missing
            owner: x
            amount: {production: "1"}
            class: both
            period: daily
            amout: "3"
          - id: d
            scope: key/recs-prod
            owner: x
            amount: "1"
            period: daily
            on_expiry: grace
          - {id: e, scope: feature/acme/recs/e, parent: missing, owner: x, amount: "1", period: daily}

        credentials:
          - {id: admin1, role: team_admin, scope: org/acme, owner: x, sha256: "\(String(repeating: "d", count: 64))"}
          - {id: viewer1, role: viewer, scope: org/nope, owner: x, sha256: "\(String(repeating: "e", count: 64))"}
        """)
        let expected = [
            "18:5: grant 'a' covers team 'acme/nope', which is not a team of org 'acme'",
            "24:12: invalid scope 'teams/acme' in grant 'b': expected org/ORG, team/ORG/TEAM, feature|environment|experiment/ORG/TEAM/NAME, tag/ORG/TEAM/NAME=VALUE or key/KEY_ID",
            "26:13: invalid amount of grant 'b' 'ten'",
            "27:13: unknown grant period 'hourly'",
            "32:13: the amount of grant 'c' must give one figure per class it admits (production, experimentation)",
            "35:5: unknown key 'amout' in grant 'c'; did you mean 'amount'?",
            "36:5: grant 'd' has on_expiry: grace but no grace_days (how many days production traffic goes on)",
            "41:16: on_expiry in grant 'd' has no effect without a renewal date (renews:)",
            "42:5: grant 'e' names parent 'missing', which is not a grant",
            "45:43: a team_admin's scope is one team (team/ORG/TEAM), got 'org/acme'",
            "46:5: credential 'viewer1' is scoped to org/nope, which is not an org or team under 'orgs'",
        ]
        for message in expected {
            XCTAssertTrue(found.contains { $0.hasPrefix(message) }, "missing: \(message)\nin: \(found.joined(separator: "\n"))")
        }
    }

    func testAClassMismatchAndAnAmbiguousParentAreRefused() {
        let found = problems("""
        grants:
          - {id: acme-prod, scope: org/acme, owner: x, class: production, amount: "10", period: monthly}
          - {id: acme-all, scope: org/acme, owner: x, amount: "10", period: monthly}
          - {id: recs, scope: team/acme/recs, owner: x, class: production, amount: "1", period: monthly}
          - {id: recs-lab, scope: feature/acme/recs/lab, owner: x, class: experimentation, amount: "1", period: monthly, parent: recs}
        """)
        XCTAssertTrue(found.contains { $0.contains("grant 'recs' (team/acme/recs) could belong to 'acme-prod' or 'acme-all'; say which with 'parent:'") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("grant 'recs-lab' is for experimentation traffic but its parent 'recs' only admits production") }, "\(found)")
    }

    func testCapacityOversubscriptionIsAWarningNotAnError() throws {
        let config = try load(Self.tree + """
        capacity:
          warn_above_percent: 90
          pools:
            - {provider: openai, model: small, tpm: 100000, committed: "1000", period: monthly}
        """)
        XCTAssertEqual(config.capacity.pools.count, 1)
        let messages = config.warnings.map(\.message)
        XCTAssertTrue(messages.contains("capacity: the top-level grants allocate 100000 TPM, 100% of the 100000 TPM purchased (warn above 90%)"), "\(messages)")
        XCTAssertTrue(messages.contains("capacity: the top-level grants allocate $1000.00 a month, 100% of the $1000.00 committed (warn above 90%)"), "\(messages)")
        let document = try JSONValue.parse(GrantTable(version: 1, grants: config.grants, keys: config.keyPlacements,
                                                      capacity: config.capacity).json)
        XCTAssertEqual(document["capacity"]?["money_percent"]?.int64Value, 100)
        XCTAssertEqual(document["capacity"]?["pools"]?[0]?["provider"]?.stringValue, "openai")
    }

    func testAKeyCanBeBoundToAGrantOfItsTeamOnly() {
        let tail = Self.tree.replacingOccurrences(of: "grants:\n", with: "grants:\n")
        let yaml = Self.head.replacingOccurrences(of: "{id: search-prod, sha256: \"\(String(repeating: "c", count: 64))\", class: production}",
                                                  with: "{id: search-prod, sha256: \"\(String(repeating: "c", count: 64))\", class: production, grant: recs-search}") + tail
        XCTAssertThrowsError(try ConfigLoader.parse(yaml: yaml, file: "/cfg/t.yaml")) { error in
            XCTAssertTrue("\(error)".contains("key 'search-prod' of team acme/search cannot draw on grant 'recs-search' (feature/acme/recs/search)"), "\(error)")
        }
    }
}
