import TollgatePluginKit

extension FakeHostTable {
    /// Fallbacks and deployments (ABI 1.2), with the gateway's rules:
    /// pre-call only, at most 8 fallbacks, a pinned deployment must belong
    /// to the current model and is cleared when set_model changes it.
    static func installRouting(_ api: inout tollgate_type_host_api) {
        api.set_model = { call, model in
            FakeHostTable.onCall(call, .setModel) { c in
                guard let model = FakeHostTable.string(model), !model.isEmpty else { return .invalidArgument }
                if model != c.model { c.pinnedDeployment = nil }
                c.model = model
                return .ok
            }
        }
        api.set_fallback_models = { call, models, count in
            FakeHostTable.onCall(call, .setFallbackModels) { c in
                guard count <= ArgumentRules.maxFallbackModels, count == 0 || models != nil else { return .invalidArgument }
                var list: [String] = []
                for i in 0..<count {
                    guard let name = FakeHostTable.string(models![i]), !name.isEmpty else { return .invalidArgument }
                    list.append(name)
                }
                c.fallbackModels = list
                return .ok
            }
        }
        api.set_deployment = { call, deployment in
            FakeHostTable.onCall(call, .setDeployment) { c in
                guard let name = FakeHostTable.string(deployment), !name.isEmpty else { return .invalidArgument }
                let known = c.catalogDeployments[c.model] ?? (c.host?.catalog[c.model] != nil ? [c.model] : [])
                guard known.contains(name) else { return .notFound }
                c.pinnedDeployment = name
                return .ok
            }
        }
    }
}
