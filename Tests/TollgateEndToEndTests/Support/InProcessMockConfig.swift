/// A config served by the gateway's in-process mock upstream (no mock
/// provider process): for tests of the gateway's own HTTP surface. One
/// OpenAI-style and one Anthropic-style model, the test keys.
enum InProcessMockConfig {
    /// `server` lines go under `server:` (indented by two spaces here).
    static func yaml(storage: String, server: [String] = [], plugins: String = "", chunks: Int = 3,
                     chunkDelayMs: Int = 0) -> String {
        let serverLines = (["listen: 127.0.0.1:0"] + server).map { "  " + $0 }.joined(separator: "\n")
        return """
        server:
        \(serverLines)
        storage:
          dir: \(storage)
        models:
          - name: mock-gpt
            provider: mock
            price: {input_per_mtok: "1.00", output_per_mtok: "2.00"}
            max_output_tokens: 1024
            mock: {chunks: \(chunks), chunk_delay_ms: \(chunkDelayMs), output_tokens: 12}
          - name: mock-claude
            provider: mock
            price: {input_per_mtok: "1.00", output_per_mtok: "2.00"}
            max_output_tokens: 1024
            mock: {chunks: \(chunks), chunk_delay_ms: \(chunkDelayMs), output_tokens: 12}
        orgs:
          - name: acme
            teams:
              - name: payments
                owner: lead@example.com
                keys:
                  - {id: payments-prod, sha256: "\(TestConfig.hashes.prod)", class: production}
        \(plugins)
        """
    }
}
