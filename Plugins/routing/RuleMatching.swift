import TollgatePluginKit

/// The values conditions look at, each asked of the host once per call at
/// most, when a condition first needs it: twenty rules on the team cost one
/// host call, not twenty.
struct RuleInputs {
    let call: Call
    private var team, org, keyID, keyClass, model, requestedModel: String??
    private var attributes: [String: String?] = [:]
    private var headers: [String: String?] = [:]

    init(call: Call) { self.call = call }

    private func once(_ slot: inout String??, _ read: () -> String?) -> String? {
        if let known = slot { return known }
        let value = read()
        slot = .some(value)
        return value
    }

    mutating func value(of condition: Condition) -> String? {
        let call = self.call
        switch condition {
        case .useCase: return attribute("use_case")
        case .attribute(let key, _): return attribute(key)
        case .team: return once(&team) { call.team }
        case .org: return once(&org) { call.org }
        case .keyID: return once(&keyID) { call.keyID }
        case .keyClass: return once(&keyClass) { call.keyClass }
        case .model: return once(&model) { call.model }
        case .requestedModel: return once(&requestedModel) { call.modelRequested }
        case .header(let name, _):
            if let known = headers[name] { return known }
            let value = call.requestHeader(name)
            headers[name] = .some(value)
            return value
        }
    }

    private mutating func attribute(_ key: String) -> String? {
        if let known = attributes[key] { return known }
        let value = call.attribute(key)
        attributes[key] = .some(value)
        return value
    }
}

extension Condition {
    var patterns: AnyOf {
        switch self {
        case .useCase(let p), .attribute(_, let p), .team(let p), .org(let p), .keyID(let p), .keyClass(let p),
             .model(let p), .requestedModel(let p), .header(_, let p):
            return p
        }
    }

    /// Whether the condition holds for the call behind `inputs`.
    func holds(for inputs: inout RuleInputs) -> Bool {
        patterns.matches(inputs.value(of: self))
    }
}

extension RoutingRule {
    /// All conditions hold (a rule without conditions matches every call);
    /// stops at the first that does not.
    func matches(_ inputs: inout RuleInputs) -> Bool {
        for condition in conditions where !condition.holds(for: &inputs) { return false }
        return true
    }

    /// A deployment name drawn by weight; nil when the rule has none.
    /// `random` gives a number in [0, 1), and is called only when there is
    /// a choice to make.
    func pickDeployment(random: () -> Double) -> String? {
        let total = deployments.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return nil }
        if deployments.count == 1 { return deployments[0].name }
        var left = random() * Double(total)
        for d in deployments where d.weight > 0 {
            left -= Double(d.weight)
            if left < 0 { return d.name }
        }
        return deployments.last { $0.weight > 0 }?.name
    }
}
