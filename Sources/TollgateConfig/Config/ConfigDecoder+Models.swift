import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

extension ConfigDecoder {
    /// `declaredNames` includes models whose entries had errors, so a key
    /// naming one of them is not also reported as naming an unknown model.
    /// `providers` are the connection defaults per provider kind, under each
    /// model's and deployment's own.
    func decodeModels(_ node: YAMLNode?, document: YAMLNode, providers: [String: UpstreamOptions] = [:])
        -> (models: [ModelEntry], declaredNames: [String]) {
        guard let node else {
            fail(document, "missing required key 'models' in the top level; a gateway needs at least one model")
            return ([], [])
        }
        guard let items = list(node, expected: "a list of models") else { return ([], []) }
        if items.isEmpty { fail(node, "'models' is empty; a gateway needs at least one model") }
        var models: [ModelEntry] = []
        var declared: [String] = []
        var firstByName: [String: SourceLocation] = [:]
        for (index, item) in items.enumerated() {
            let (model, name, nameNode) = decodeModel(item, index: index, providers: providers)
            guard let name, let nameNode else { continue }
            if let first = firstByName[name] {
                fail(nameNode, "duplicate model name '\(name)' (first defined at line \(first.line)); model names must be unique")
                continue
            }
            firstByName[name] = nameNode.location
            declared.append(name)
            if let model { models.append(model) }
        }
        return (models, declared)
    }

    private func decodeModel(_ node: YAMLNode, index: Int, providers: [String: UpstreamOptions]) -> (ModelEntry?, String?, YAMLNode?) {
        let context = entryContext(node, nameKey: "name", kind: "model", list: "models", index: index)
        guard let f = fields(node, context: context, expected: "a model (a mapping with name, provider, price, ...)",
                             allowed: ["name", "provider", "base_url", "upstream_model", "api_key_env", "price",
                                       "max_output_tokens", "context_window", "mock", "deployments"] + Self.upstreamKeys,
                             required: ["name", "provider", "price"]) else { return (nil, nil, nil) }
        let nameNode = f["name"]
        var name = nameNode.flatMap { string($0, expected: "a model name") }
        if let n = name, n.isEmpty || n.contains(where: \.isWhitespace) {
            fail(nameNode!, "model name '\(n)' must be non-empty and contain no spaces")
            name = nil
        }
        let provider = f["provider"].flatMap { choice($0, ProviderKind.self, what: "provider") }
        let price = f["price"].flatMap { decodePrice($0, context: context) }

        var baseURL: String?
        if let urlNode = f["base_url"] {
            if provider == .mock {
                fail(urlNode, "base_url is not used by provider mock (an in-process fake); remove it")
            } else if let url = httpURL(urlNode, what: "base_url") {
                baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
            }
        } else if let provider, provider != .mock, f["deployments"] == nil {
            fail(f.node, "\(context) (provider \(provider.rawValue)) needs base_url, e.g. \(provider.dialect?.wire.exampleBaseURL ?? "")")
        }
        let upstream = f["upstream_model"].flatMap { string($0, expected: "upstream_model (the provider's model id)") }
        let apiKeyEnv = f["api_key_env"].flatMap { environmentName($0, what: "api_key_env") }
        let tokens: ClosedRange<Int64> = 1...Int64(Int32.max)
        let maxOutput = f["max_output_tokens"].flatMap { integer($0, expected: "max_output_tokens (a token count)", range: tokens) }
        let contextWindow = f["context_window"].flatMap { integer($0, expected: "context_window (a token count)", range: tokens) }

        var mock = MockOptions()
        if let mockNode = f["mock"] {
            if let provider, provider != .mock {
                fail(mockNode, "'mock' options apply only to provider mock; remove them from \(context)")
            } else if let m = fields(mockNode, context: "\(context) mock", expected: "mock options (a mapping)",
                                     allowed: ["chunks", "chunk_delay_ms", "output_tokens"]) {
                if let n = m["chunks"], let v = integer(n, expected: "chunks", range: 1...10_000) { mock.chunks = Int(v) }
                if let n = m["chunk_delay_ms"], let v = integer(n, expected: "chunk_delay_ms", range: 0...60_000) {
                    mock.chunkDelayMs = Int(v)
                }
                if let n = m["output_tokens"], let v = integer(n, expected: "output_tokens", range: 0...1_000_000) {
                    mock.outputTokens = Int(v)
                }
            }
        }

        var connection = decodeUpstreamOptions(f, context: context)
        if let provider { connection = connection.over(providers[provider.rawValue] ?? UpstreamOptions()) }
        if provider == .mock, let key = Self.upstreamKeys.first(where: { f[$0] != nil }) {
            fail(f[key]!, "'\(key)' does not apply to provider mock (an in-process fake); remove it")
        }

        var deployments: [Deployment] = []
        if let list = f["deployments"], let provider {
            deployments = decodeDeployments(list, context: context, provider: provider, modelBaseURL: baseURL,
                                            modelUpstream: upstream ?? name ?? "", modelKeyEnv: apiKeyEnv, modelConnection: connection)
        }

        guard let name, let nameNode, let provider, let price else { return (nil, name, nameNode) }
        let entry = ModelEntry(name: name, provider: provider, baseURL: baseURL, upstreamModel: upstream ?? name,
                               apiKeyEnv: apiKeyEnv, price: price, maxOutputTokens: maxOutput,
                               contextWindow: contextWindow, mock: mock, deployments: deployments, connection: connection)
        return (entry, name, nameNode)
    }

    /// `deployments:` — where the model is served; fields not given are
    /// inherited from the model.
    private func decodeDeployments(_ node: YAMLNode, context: String, provider: ProviderKind, modelBaseURL: String?,
                                   modelUpstream: String, modelKeyEnv: String?, modelConnection: UpstreamOptions) -> [Deployment] {
        guard let items = list(node, expected: "a list of deployments") else { return [] }
        if items.isEmpty { fail(node, "'deployments' is empty; remove it or list at least one") }
        var result: [Deployment] = []
        var seen: Set<String> = []
        for (index, item) in items.enumerated() {
            let where_ = "\(context) deployment \(index + 1)"
            guard let d = fields(item, context: where_, expected: "a deployment (a mapping with name, base_url, ...)",
                                 allowed: ["name", "base_url", "upstream_model", "api_key_env", "weight"] + Self.upstreamKeys,
                                 required: ["name"]) else { continue }
            guard let name = d["name"].flatMap({ string($0, expected: "a deployment name") }) else { continue }
            if !seen.insert(name).inserted {
                fail(d["name"]!, "duplicate deployment name '\(name)' in \(context)")
                continue
            }
            var baseURL = modelBaseURL
            if let urlNode = d["base_url"] {
                if provider == .mock {
                    fail(urlNode, "base_url is not used by provider mock; remove it")
                } else if let url = httpURL(urlNode, what: "base_url") {
                    baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
                }
            } else if provider != .mock, baseURL == nil {
                fail(d.node, "\(where_) needs base_url (the model has none to inherit)")
            }
            let upstream = d["upstream_model"].flatMap { string($0, expected: "upstream_model") } ?? modelUpstream
            let keyEnv = d["api_key_env"].flatMap { environmentName($0, what: "api_key_env") } ?? modelKeyEnv
            let weight = d["weight"].flatMap { integer($0, expected: "weight (a whole number from 1 to 1000)", range: 1...1000) } ?? 1
            let connection = decodeUpstreamOptions(d, context: where_).over(modelConnection)
            result.append(Deployment(name: name, baseURL: baseURL, upstreamModel: upstream, apiKeyEnv: keyEnv, weight: Int(weight),
                                     connection: connection))
        }
        return result
    }

    private func decodePrice(_ node: YAMLNode, context: String) -> Price? {
        guard let f = fields(node, context: "\(context) price",
                             expected: "a price (a mapping with input_per_mtok and output_per_mtok)",
                             allowed: ["input_per_mtok", "output_per_mtok", "cached_per_mtok"],
                             required: ["input_per_mtok", "output_per_mtok"]) else { return nil }
        let input = f["input_per_mtok"].flatMap { money($0, what: "input_per_mtok") }
        let output = f["output_per_mtok"].flatMap { money($0, what: "output_per_mtok") }
        let cached = f["cached_per_mtok"].flatMap { money($0, what: "cached_per_mtok") }
        if f["cached_per_mtok"] != nil, cached == nil { return nil }
        guard let input, let output else { return nil }
        return Price(inputPerMTokNanos: input, outputPerMTokNanos: output, cachedPerMTokNanos: cached)
    }

    /// A USD amount from its text exactly as written, quoted or not.
    func money(_ node: YAMLNode, what: String) -> Int64? {
        guard let text = node.scalar?.text else {
            fail(node, "expected \(what) (USD as a decimal string such as \"0.40\"), got \(node.kindDescription)")
            return nil
        }
        switch Money.parseUSDOrExplain(text) {
        case .success(let nanos): return nanos
        case .failure(let why):
            fail(node, "invalid \(what) '\(text)': \(why)")
            return nil
        }
    }
}
