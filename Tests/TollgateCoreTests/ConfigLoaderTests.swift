import TollgateJSON
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

final class ConfigLoaderTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/config")
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func problems(_ yaml: String, file: String = "/cfg/tollgate.yaml", line: UInt = #line) -> [String] {
        Self.problems(yaml, file: file, line: line)
    }

    /// "line:column: message" for each error, or a failure if it loaded.
    static func problems(_ yaml: String, file: String = "/cfg/tollgate.yaml", line: UInt = #line) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: file)
            XCTFail("expected errors", line: line)
            return []
        } catch let errors as ConfigErrors {
            return errors.errors.map { e in e.location.map { "\($0.line):\($0.column): " + e.message } ?? e.message }
        } catch {
            XCTFail("unexpected \(error)", line: line)
            return []
        }
    }

    static let validModels = """
    models:
      - name: small
        provider: mock
        price: {input_per_mtok: "0.40", output_per_mtok: "1.60"}
    """

    // MARK: every mistake at once, each in the right place

    func testManyMistakesAreAllReportedInFileOrderWithPositions() throws {
        let path = Self.fixtures.appendingPathComponent("many-mistakes.yaml").path
        XCTAssertThrowsError(try ConfigLoader.load(path: path)) { error in
            guard let errors = error as? ConfigErrors else { return XCTFail("\(error)") }
            XCTAssertTrue(errors.errors.allSatisfy { $0.location?.file == path })
            let got = errors.errors.map { "\($0.location!.line):\($0.location!.column): \($0.message)" }
            XCTAssertEqual(got, [
                "2:11: listen must be host:port, e.g. 127.0.0.1:4000 or [::1]:4000 (port 0-65535), got '127.0.0.1:99999'",
                "3:26: expected connect_ms (milliseconds), got 'soon'",
                "7:29: invalid input_per_mtok '0.1234567891': at most 9 decimal places (nano-dollars) are allowed",
                "9:15: unknown provider 'opneai'; did you mean 'openai'? (expected openai | anthropic | mock)",
                "11:11: duplicate model name 'small' (first defined at line 5); model names must be unique",
                "13:29: invalid input_per_mtok '-1': an amount cannot be negative",
                "23:29: unknown model 'lagre' in the models of key 'k1' (not defined under 'models'); did you mean 'large'?",
                "24:22: invalid expires '2027-02-30': expected a date (2027-06-30, valid through the end of that day UTC) or an RFC 3339 timestamp (2027-06-30T18:00:00Z)",
                "25:17: duplicate key id 'k1' (first used at line 20); key and credential ids must be unique across the file",
                "26:21: duplicate sha256: key 'k1' has the same secret as 'k1' (line 21); give each key and credential its own secret",
                "27:20: unknown key class 'prod' (expected production | experimentation)",
                "28:21: expected a list of model names, got a mapping",
                "30:5: plugin 'budget' sets both 'name' and 'path'; use name for a first-party plugin or path for a library file, not both",
                "33:5: alerts[0] is a webhook and needs 'url', e.g. http://127.0.0.1:9000/hook",
            ])
            // The printed form is what `tollgate check-config` shows.
            XCTAssertTrue(errors.description.hasPrefix("\(path):2:11: listen must be host:port"))
            XCTAssertEqual(errors.description.split(separator: "\n").count, 14)
        }
    }

    // MARK: single mistakes

    func testUnknownKeySuggestsTheClosestName() {
        XCTAssertEqual(problems("mdoels:\n  - name: small\n"), [
            "1:1: unknown key 'mdoels' in the top level; did you mean 'models'?",
            "1:1: missing required key 'models' in the top level; a gateway needs at least one model",
        ])
        let yaml = Self.validModels + "\n    prize: {}\n    colour: blue\n"
        XCTAssertEqual(problems(yaml), [
            "5:5: unknown key 'prize' in model 'small'; did you mean 'price'?",
            "6:5: unknown key 'colour' in model 'small'; expected one of: name, provider, base_url, upstream_model, api_key_env, price, max_output_tokens, context_window, mock, deployments, transport, http2, proxy, proxy_auth_env, client_certificate, client_key, ca_bundle",
        ])
    }

    func testWrongTypesSayWhatWasExpected() {
        XCTAssertEqual(problems("models: {name: small}\n"), ["1:9: expected a list of models, got a mapping"])
        XCTAssertEqual(problems(Self.validModels + "\nserver:\n  max_body_bytes: [1]\n"),
                       ["6:19: expected max_body_bytes (a size in bytes), got a list"])
        XCTAssertEqual(problems(Self.validModels + "\nserver:\n  max_body_bytes: 0\n"),
                       ["6:19: max_body_bytes (a size in bytes) must be between 1 and 2147483647, got 0"])
    }

    func testSyntaxErrorComesBackPositionedThroughTheLoader() {
        let got = problems("models:\n  - name: small\n   provider: mock\n")
        XCTAssertEqual(got.count, 1)
        XCTAssertTrue(got.first?.hasPrefix("3:") ?? false, "\(got)")
        XCTAssertTrue(got.first?.contains("YAML syntax error") ?? false, "\(got)")
    }

    func testDuplicateKeyInAMappingIsAnError() {
        XCTAssertEqual(problems(Self.validModels + "\n    provider: openai\n"),
                       ["5:5: duplicate key 'provider' (first set at line 3); keep only one"])
    }

    func testProviderRules() {
        XCTAssertEqual(problems("""
        models:
          - name: gpt
            provider: openai
            price: {input_per_mtok: "1", output_per_mtok: "2"}
          - name: fake
            provider: mock
            base_url: http://localhost:1
            price: {input_per_mtok: "1", output_per_mtok: "2"}
          - name: real
            provider: anthropic
            base_url: https://api.anthropic.com
            mock: {chunks: 2}
            price: {input_per_mtok: "1", output_per_mtok: "2"}
        """), [
            "2:5: model 'gpt' (provider openai) needs base_url, e.g. https://api.openai.com/v1",
            "7:15: base_url is not used by provider mock (an in-process fake); remove it",
            "12:11: 'mock' options apply only to provider mock; remove them from model 'real'",
        ])
    }

    func testBadPricesAreRejectedNotRounded() {
        XCTAssertEqual(problems("""
        models:
          - name: a
            provider: mock
            price: {input_per_mtok: 1e3, output_per_mtok: "$2"}
          - name: b
            provider: mock
            price: {output_per_mtok: "2"}
        """), [
            "4:29: invalid input_per_mtok '1e3': expected a plain decimal such as \"0.40\" or \"50000\" (no sign, exponent, currency symbol or separators)",
            "4:51: invalid output_per_mtok '$2': expected a plain decimal such as \"0.40\" or \"50000\" (no sign, exponent, currency symbol or separators)",
            "7:12: missing required key 'input_per_mtok' in model 'b' price",
        ])
    }

    func testKeyRules() {
        let yaml = Self.validModels + """

        orgs:
          - name: acme
            teams:
              - name: t
                keys:
                  - id: no-owner
                    sha256: "abc"
                    class: production
                    models: []
                  - {id: "bad id", sha256: "\(KeyStore.sha256Hex("x"))", class: experimentation, owner: o}
        """
        XCTAssertEqual(problems(yaml), [
            "10:13: key 'no-owner' has no owner; set 'owner' on the key or on its team (team 't')",
            "11:21: sha256 of key 'no-owner' must be 64 hex characters (the SHA-256 of the plaintext key, e.g. from `printf %s \"$KEY\" | sha256sum`), got 3 characters",
            "13:21: 'models' of key 'no-owner' is empty, which would allow no model; remove it to allow every model",
            "14:18: key id 'bad id' may only contain letters, digits, '.', '_', '-' and '@'",
        ])
    }

    func testPluginIdsMustBeUnique() {
        let yaml = Self.validModels + """

        plugins:
          - name: budget
          - name: budget
          - {name: budget, id: budget-2}
          - {path: ./libx.so}
          - {path: ./other/libx.so, fail: sometimes}
          - {}
        """
        XCTAssertEqual(problems(yaml), [
            "7:11: duplicate plugin id 'budget' (first used at line 6); give one of them a distinct 'id'",
            "10:12: duplicate plugin id 'libx' (first used at line 9); give one of them a distinct 'id'",
            "10:35: unknown fail policy 'sometimes' (expected open | closed)",
            "11:5: plugins[5] needs 'name' (a first-party plugin such as budget) or 'path' (a plugin library file)",
        ])
    }

    func testMissingFileIsAnErrorNamingThePath() {
        XCTAssertThrowsError(try ConfigLoader.load(path: "/nonexistent/tollgate.yaml")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/tollgate.yaml: no config file at this path")
        }
    }

    // MARK: what a good file loads as

    func testDefaultsAndNormalisation() throws {
        let path = Self.fixtures.appendingPathComponent("minimal.yaml").path
        let config = try ConfigLoader.load(path: path)
        XCTAssertEqual(config.sourcePath, path)
        XCTAssertEqual(config.server, ServerConfig(host: "127.0.0.1", port: 4000, masterKeyEnv: nil,
                                                   maxBodyBytes: 10_485_760,
                                                   timeouts: UpstreamTimeouts(connectMs: 5000, firstByteMs: 120_000, idleMs: 120_000)))
        XCTAssertEqual(config.storage.dir, Self.fixtures.appendingPathComponent("tollgate-data").path)
        XCTAssertEqual(config.alerts, [.log])
        XCTAssertEqual(config.plugins, [])
        let small = try XCTUnwrap(config.catalog.model(named: "small"))
        XCTAssertEqual(small.upstreamModel, "small")
        XCTAssertEqual(small.price, Price(inputPerMTokNanos: 400_000_000, outputPerMTokNanos: 1_600_000_000,
                                          cachedPerMTokNanos: 400_000_000))
        XCTAssertEqual(small.mock, MockOptions(chunks: 5, chunkDelayMs: 0, outputTokens: 16))
        // The upper-case digest in the file was normalised, so the key works.
        XCTAssertEqual(config.keys.authenticate(presentedKey: "secret-1", now: 0),
                       .authenticated(Identity(keyId: "payments-prod", org: "acme", team: "payments",
                                               owner: "lead@example.com", keyClass: .production)))
        XCTAssertEqual(config.orgs, [OrgConfig(name: "acme", teams: [
            TeamConfig(name: "payments", owner: "lead@example.com", keyIds: ["payments-prod"])])])
    }

    func testRelativePathsResolveAgainstTheConfigDirectory() throws {
        let yaml = Self.validModels + """

        server: {listen: "[::1]:0", max_body_bytes: 1_048_576}
        storage: {dir: ../data}
        plugins:
          - {path: ./plugins/libteam_router.so, fail: open, config: {header: x-route-tier, n: 2}}
          - {path: /opt/p/libq.so, id: q}
        """
        let config = try ConfigLoader.parse(yaml: yaml, file: "/etc/tollgate/main.yaml")
        XCTAssertEqual(config.server.host, "::1")
        XCTAssertEqual(config.server.port, 0)
        XCTAssertEqual(config.server.maxBodyBytes, 1_048_576)
        XCTAssertEqual(config.storage.dir, "/etc/data")
        XCTAssertEqual(config.plugins.map(\.path), ["/etc/tollgate/plugins/libteam_router.so", "/opt/p/libq.so"])
        XCTAssertEqual(config.plugins.map(\.instanceName), ["libteam_router", "q"])
        XCTAssertEqual(config.plugins[0].fail, .open)
        XCTAssertEqual(config.plugins[0].config,
                       .object(JSONObject([("header", .string("x-route-tier")), ("n", .number("2"))])))
        XCTAssertEqual(config.plugins[1].config, .object(JSONObject()))
        XCTAssertEqual(config.plugins[1].location.line, 9)
    }

    func testAPluginWithoutConfigOrWithAnEmptyOneGetsAnEmptyObject() throws {
        let yaml = Self.validModels + """

        plugins:
          - path: /opt/p/liba.so
          - path: /opt/p/libb.so
            config:
          - {path: /opt/p/libc.so, config: ~}
        """
        let config = try ConfigLoader.parse(yaml: yaml, file: "/etc/tollgate/main.yaml")
        XCTAssertEqual(config.plugins.map(\.config), Array(repeating: .object(JSONObject()), count: 3))
    }

    func testListenForms() {
        XCTAssertTrue(ConfigDecoder.hostAndPort("localhost:8080")! == ("localhost", 8080))
        XCTAssertTrue(ConfigDecoder.hostAndPort("[2001:db8::1]:443")! == ("2001:db8::1", 443))
        for bad in ["4000", "::1:4000", ":4000", "host:", "host:65536", "host:-1", "[::1]4000"] {
            XCTAssertNil(ConfigDecoder.hostAndPort(bad), bad)
        }
    }

    func testTheDemoConfigLoads() throws {
        let config = try ConfigLoader.load(path: Self.repoRoot.appendingPathComponent("config/demo.yaml").path)
        XCTAssertEqual(config.server.host, "127.0.0.1")
        XCTAssertEqual(config.server.port, 4000)
        XCTAssertEqual(config.storage.dir, Self.repoRoot.appendingPathComponent("tollgate-data").path)
        XCTAssertEqual(config.catalog.names, ["demo-small", "demo-large"])
        let small = try XCTUnwrap(config.catalog.model(named: "demo-small")).price
        let large = try XCTUnwrap(config.catalog.model(named: "demo-large")).price
        XCTAssertEqual(large.inputPerMTokNanos, 20 * small.inputPerMTokNanos)
        XCTAssertEqual(large.outputPerMTokNanos, 20 * small.outputPerMTokNanos)
        XCTAssertEqual(config.keys.count, 5)
        guard case .authenticated(let prod) = config.keys.authenticate(presentedKey: "tg-demo-key-0001", now: 0),
              case .authenticated(let lab) = config.keys.authenticate(presentedKey: "tg-demo-key-0002", now: 0)
        else { return XCTFail("demo keys should authenticate") }
        XCTAssertEqual(prod.keyClass, .production)
        XCTAssertTrue(prod.allows(model: "demo-large"))
        XCTAssertEqual(lab.keyClass, .experimentation)
        XCTAssertTrue(lab.allows(model: "demo-small"))
        XCTAssertFalse(lab.allows(model: "demo-large"))
        XCTAssertEqual(lab.owner, "intern@example.com")
        XCTAssertEqual(prod.owner, "platform-lead@example.com")
        XCTAssertEqual(config.plugins.map(\.instanceName), ["tagging", "pii-guard", "ratelimit", "budget", "anomaly"])
        XCTAssertEqual(config.grants.map(\.id), ["demo", "platform", "search", "recs", "recs-carousel"])
        XCTAssertEqual(config.credentials.map(\.credential.role), [.teamAdmin, .viewer, .approver])
        for secret in ["tg-demo-recs-admin", "tg-demo-finance-viewer", "tg-demo-chair"] {
            XCTAssertTrue(config.credentials.contains { $0.sha256Hex == KeyStore.sha256Hex(secret) }, "\(secret) is documented in the file")
        }
        for (n, team) in [(3, "search"), (4, "recs"), (5, "recs")] {
            guard case .authenticated(let identity) = config.keys.authenticate(presentedKey: "tg-demo-key-000\(n)", now: 0) else {
                return XCTFail("tg-demo-key-000\(n) should authenticate")
            }
            XCTAssertEqual(identity.team, team)
        }
        XCTAssertEqual(config.warnings, [])
        XCTAssertEqual(config.alerts, [.log])
        XCTAssertEqual(config.masterKey(environment: ["TOLLGATE_MASTER_KEY": "m"]), "m")
        XCTAssertNil(config.masterKey(environment: [:]))
    }

    func testTheExampleOrgConfigLoads() throws {
        let config = try ConfigLoader.load(path: Self.repoRoot.appendingPathComponent("config/example-org.yaml").path)
        XCTAssertEqual(config.orgs.map(\.name), ["acme", "globex"])
        XCTAssertEqual(config.orgs[0].teams.map(\.name), ["payments", "search"])
        XCTAssertEqual(config.keys.count, 6)
        XCTAssertEqual(config.server.timeouts, UpstreamTimeouts(connectMs: 3000, firstByteMs: 90_000, idleMs: 60_000))
        XCTAssertEqual(config.server.maxBodyBytes, 20_971_520)
        XCTAssertEqual(config.plugins.map(\.instanceName), ["tagging", "pii-guard", "routing", "ratelimit", "budget", "anomaly"])
        XCTAssertEqual(config.plugins.map(\.fail), [nil, .closed, nil, nil, .closed, .open])
        let budgets = config.plugins[4].config["budgets"]?.arrayValue
        XCTAssertEqual(budgets?.count, 1)
        XCTAssertEqual(budgets?.first?["amount"], .string("800"))
        XCTAssertEqual(config.grants.map(\.id), ["acme", "acme-payments", "acme-search", "acme-search-summaries", "globex"])
        XCTAssertEqual(config.credentials.map(\.credential.id), ["search-lead", "acme-finance"])
        XCTAssertEqual(config.capacity.pools.count, 2)
        XCTAssertEqual(config.alerts, [.log, .webhook(url: "http://127.0.0.1:9000/hook", timeoutMs: 2000, retries: 3)])
        let sonnet = try XCTUnwrap(config.catalog.model(named: "claude-sonnet"))
        XCTAssertEqual(sonnet.provider, .anthropic)
        XCTAssertEqual(sonnet.baseURL, "https://api.anthropic.com")
        XCTAssertEqual(sonnet.apiKey(environment: ["ANTHROPIC_API_KEY": "sk-x"]), "sk-x")
        XCTAssertNil(sonnet.apiKey(environment: [:]))
    }
}

