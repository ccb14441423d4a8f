import Foundation
import XCTest
@testable import TollgateConfig
@testable import TollgateUpstream

/// `transport`, `http2`, `proxy`, `proxy_auth_env`, `client_certificate`,
/// `client_key`, `ca_bundle` per provider, model and deployment; and which
/// transport a deployment's calls take.
final class UpstreamConnectionConfigTests: XCTestCase {
    static let price = #"price: {input_per_mtok: "1", output_per_mtok: "2"}"#

    func load(_ yaml: String) throws -> TollgateConfig {
        try ConfigLoader.parse(yaml: yaml, file: "/cfg/tollgate.yaml")
    }

    func testDeploymentOverModelOverProvider() throws {
        let config = try load("""
        providers:
          openai: {transport: nio, ca_bundle: ./ca.pem}
          anthropic: {proxy: "http://proxy.internal:3128", proxy_auth_env: CORP_PROXY_AUTH}
        models:
          - {name: plain, provider: openai, base_url: "https://a.example/v1", \(Self.price)}
          - name: private
            provider: openai
            base_url: https://b.example/v1
            transport: curl
            http2: true
            client_certificate: /etc/tollgate/client.pem
            client_key: /etc/tollgate/client.key
            \(Self.price)
            deployments:
              - {name: eu, http2: false}
              - {name: us}
          - {name: claude, provider: anthropic, base_url: "https://c.example", \(Self.price)}
        """)
        let plain = try XCTUnwrap(config.catalog.model(named: "plain")).deployments[0].connection
        XCTAssertEqual(plain, UpstreamOptions(transport: .nio, caBundle: "/cfg/ca.pem"))
        let deployments = try XCTUnwrap(config.catalog.model(named: "private")).deployments
        XCTAssertEqual(deployments[0].connection, UpstreamOptions(transport: .curl, http2: false, clientCertificate: "/etc/tollgate/client.pem",
                                                                  clientKey: "/etc/tollgate/client.key", caBundle: "/cfg/ca.pem"))
        XCTAssertEqual(deployments[1].connection.http2, true)
        let claude = try XCTUnwrap(config.catalog.model(named: "claude")).deployments[0].connection
        XCTAssertEqual(claude.proxy, "http://proxy.internal:3128")
        XCTAssertEqual(claude.proxyAuthEnv, "CORP_PROXY_AUTH")
    }

    func testMistakesAreReportedWhereTheyAre() {
        XCTAssertEqual(ConfigLoaderTests.problems("""
        providers:
          openai: {transport: curls}
        models:
          - name: m
            provider: openai
            base_url: https://a.example/v1
            proxy: http://alice:secret@proxy.internal:3128
            http2: yes
            client_key: ./k.pem
            \(Self.price)
          - {name: n, provider: openai, base_url: "https://a.example/v1", transport: nio, proxy: "http://p:1", \(Self.price)}
          - {name: o, provider: mock, http2: true, \(Self.price)}
        """), [
            "2:23: unknown transport 'curls'; did you mean 'curl'? (expected curl | nio)",
            "7:12: proxy credentials do not belong in the config file; put 'user:password' in an environment variable and name it with proxy_auth_env",
            "8:12: expected http2 (true or false), got 'yes'",
            "9:17: client_key in model 'm' needs client_certificate (the certificate the key belongs to)",
            "11:78: transport nio cannot carry proxy in model 'n'; use transport: curl (or remove the transport line)",
            "12:38: 'http2' does not apply to provider mock (an in-process fake); remove it",
        ])
    }

    func testTheTransportFollowsWhatTheCallNeeds() {
        func kind(_ options: UpstreamOptions, url: String = "https://api.example.com/v1", env: [String: String] = [:]) -> UpstreamTransportKind {
            UpstreamTransportChoice.kind(for: Deployment(name: "d", baseURL: url, upstreamModel: "m", apiKeyEnv: nil, connection: options),
                                         environment: env)
        }
        XCTAssertEqual(kind(UpstreamOptions()), UpstreamTransportKind.default)
        XCTAssertEqual(kind(UpstreamOptions(transport: .nio)), .nio)
        XCTAssertEqual(kind(UpstreamOptions(transport: .nio, caBundle: "/ca.pem")), .nio, "NIO takes a CA bundle too")
        XCTAssertEqual(kind(UpstreamOptions(http2: true)), .curl)
        XCTAssertEqual(kind(UpstreamOptions(clientCertificate: "/c.pem")), .curl)
        // A proxy in the environment takes every call that it applies to, whatever the transport says.
        XCTAssertEqual(kind(UpstreamOptions(transport: .nio), env: ["HTTPS_PROXY": "http://proxy:3128"]), .curl)
        XCTAssertEqual(kind(UpstreamOptions(transport: .nio), env: ["https_proxy": "http://proxy:3128"]), .curl)
        XCTAssertEqual(kind(UpstreamOptions(transport: .nio), url: "http://10.1.2.3:8000/v1", env: ["HTTP_PROXY": "http://proxy:3128"]), .curl)
        XCTAssertEqual(kind(UpstreamOptions(transport: .nio), url: "http://10.1.2.3:8000/v1", env: ["HTTPS_PROXY": "http://proxy:3128"]), .nio,
                       "HTTPS_PROXY is for https URLs")
        XCTAssertEqual(kind(UpstreamOptions(transport: .nio), env: ["HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "localhost,.example.com"]), .nio)
        XCTAssertEqual(kind(UpstreamOptions(transport: .nio), env: ["ALL_PROXY": "http://proxy:3128", "no_proxy": "*"]), .nio)
    }

    func testProxyResolution() {
        let env = ["HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "internal.example, 127.0.0.1", "CORP_AUTH": "alice:s3cret"]
        XCTAssertEqual(EgressProxy.resolve(url: "https://api.example.com/v1", options: UpstreamOptions(proxyAuthEnv: "CORP_AUTH"), environment: env),
                       EgressProxy(url: "http://proxy:3128", credentials: "alice:s3cret", noProxy: "internal.example, 127.0.0.1"))
        XCTAssertNil(EgressProxy.resolve(url: "https://llm.internal.example/v1", options: UpstreamOptions(), environment: env))
        XCTAssertNil(EgressProxy.resolve(url: "https://127.0.0.1:8443/v1", options: UpstreamOptions(), environment: env))
        XCTAssertEqual(EgressProxy.resolve(url: "https://127.0.0.1:8443/v1", options: UpstreamOptions(proxy: "http://p:1"), environment: env)?.url,
                       "http://p:1", "a configured proxy applies to its deployment whatever NO_PROXY says")
        XCTAssertNil(EgressProxy.resolve(url: "https://api.example.com/v1", options: UpstreamOptions(), environment: [:]))
    }
}
