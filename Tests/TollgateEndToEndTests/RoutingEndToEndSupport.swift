import Foundation
import XCTest

/// A gateway and its own mock provider for routing and fallback tests:
/// server timeouts and retry settings the test chooses, extra models
/// (usually with deployments that fail on purpose), and plugins.
final class RoutingStage {
    let mock: MockProviderProcess
    let gateway: GatewayProcess
    let directory: String

    init(label: String, firstByteMs: Int = 2000, idleMs: Int = 3000, retries: String = "",
         models: (Int) -> String = { _ in "" }, plugins: String = "", transport: String? = nil) throws {
        directory = TestPaths.temporaryDirectory(label)
        mock = try MockProviderProcess()
        let timeouts = "timeouts: {connect_ms: 2000, first_byte_ms: 2000, idle_ms: 3000}"
        var yaml = TestConfig.yaml(mockPort: mock.port, storage: directory + "/data", plugins: plugins,
                                   extraModels: models(mock.port))
        guard yaml.contains(timeouts) else {
            mock.stop()
            throw TestFailure("TestConfig.yaml changed its timeouts line; update RoutingStage")
        }
        var server = "timeouts: {connect_ms: 2000, first_byte_ms: \(firstByteMs), idle_ms: \(idleMs)}"
        if !retries.isEmpty { server += "\n  retries: \(retries)" }
        yaml = yaml.replacingOccurrences(of: timeouts, with: server) + TestConfig.providers(transport: transport)
        do {
            gateway = try GatewayProcess(yaml: yaml, directory: directory)
        } catch {
            mock.stop()
            throw error
        }
    }

    func stop() {
        gateway.stop()
        mock.stop()
    }

    func chat(model: String, content: String = "hello there", stream: Bool = false, key: String = TestConfig.prodKey,
              headers: [(String, String)] = []) throws -> HTTPResponse {
        let json = #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"\#(content)"}]}"#
        return try HTTP.postJSON(port: gateway.port, path: "/v1/chat/completions", key: key, json: json, headers: headers)
    }

    /// The upstream model ids the mock was called with, oldest first.
    func upstreamCalls() throws -> [String] {
        try mock.receivedRequests().compactMap { $0["model"] as? String }
    }

    func metrics() throws -> String {
        try HTTP.request(port: gateway.port, method: "GET", path: "/metrics").text
    }

    /// The value of one series on /metrics, nil if absent. `labels` are
    /// matched as `name="value"` pairs in any order.
    func metric(_ name: String, _ labels: [(String, String)]) throws -> Double? {
        Self.value(in: try metrics(), name, labels)
    }

    static func value(in text: String, _ name: String, _ labels: [(String, String)]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            let pairs = labels.map { "\($0.0)=\"\($0.1)\"" }
            guard pairs.allSatisfy({ line.contains($0) }), let value = line.split(separator: " ").last else { continue }
            return Double(value)
        }
        return nil
    }

    /// A model served by the mock with the given deployments (name,
    /// upstream model id with its failure directive).
    static func model(_ name: String, port: Int, price: String = #"{input_per_mtok: "1.00", output_per_mtok: "2.00"}"#,
                      deployments: [(String, String)]) -> String {
        var text = """
          - name: \(name)
            provider: openai
            base_url: http://127.0.0.1:\(port)/v1
            price: \(price)
            max_output_tokens: 4096

        """
        guard !deployments.isEmpty else { return text + "    upstream_model: mock-\(name)\n" }
        text += "    deployments:\n"
        for (deployment, upstream) in deployments {
            text += "      - {name: \(deployment), upstream_model: \"\(upstream)\"}\n"
        }
        return text
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func wait(timeout: TimeInterval = 10, _ what: String, until condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(20_000)
        }
        throw TestFailure("timed out waiting for \(what)")
    }
}
