import TollgatePluginKit

extension Condition {
    /// Whether the condition holds for `call`. Each asks the host for one
    /// value only, so a rule that fails early costs little.
    func holds(for call: Call) -> Bool {
        switch self {
        case .useCase(let p): return p.matches(call.attribute("use_case"))
        case .attribute(let key, let p): return p.matches(call.attribute(key))
        case .team(let p): return p.matches(call.team)
        case .org(let p): return p.matches(call.org)
        case .keyID(let p): return p.matches(call.keyID)
        case .keyClass(let p): return p.matches(call.keyClass)
        case .model(let p): return p.matches(call.model)
        case .requestedModel(let p): return p.matches(call.modelRequested)
        case .header(let name, let p): return p.matches(call.requestHeader(name))
        }
    }
}

extension RoutingRule {
    /// All conditions hold (a rule without conditions matches every call).
    func matches(_ call: Call) -> Bool {
        conditions.allSatisfy { $0.holds(for: call) }
    }

    /// A deployment name drawn by weight; nil when the rule has none.
    /// `random` is in [0, 1).
    func pickDeployment(random: Double) -> String? {
        let total = deployments.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return nil }
        var left = random * Double(total)
        for d in deployments where d.weight > 0 {
            left -= Double(d.weight)
            if left < 0 { return d.name }
        }
        return deployments.last { $0.weight > 0 }?.name
    }
}
