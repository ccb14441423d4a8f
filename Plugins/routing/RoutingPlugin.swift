import TollgatePluginKit

/// Sends each call to the right model by rules: the first rule whose
/// conditions all hold sets the model, pins a deployment by weight, and
/// hands the core an ordered fallback list. The core does the rest: it
/// checks the final model and every fallback against the key's allowed
/// models (403 otherwise), tries the fallbacks on a failure before the
/// first byte, and keeps deployment health (it sees every attempt; a
/// plugin sees only the final outcome). See docs/plugins/routing.md.
public final class RoutingPlugin: TollgatePlugin, PreCallHook {
    /// Fail closed: routing is a governance control, and a call that
    /// skipped it would go to whatever model the client asked for.
    public static let info = PluginInfo(name: "routing", version: "1.0.0", failClosed: true, requiredMinor: 2)

    let host: PluginHost
    let rules: [RoutingRule]
    let matches: Metric
    /// Draws for weighted deployments. Not the system generator: that is a
    /// getrandom(2) system call per draw, and a weight needs no secrecy.
    let draws = Locked(SplitMix64(seed: UInt64.random(in: 0...UInt64.max)))

    public required init(host: PluginHost, config: JSONValue) throws {
        self.host = host
        rules = try RoutingConfig(json: config, modelExists: { host.price(of: $0) != nil }).rules
        matches = try host.defineCounter(name: "tollgate_routing_matches_total",
                                         help: "Calls a routing rule matched, by rule (its name or index).",
                                         labels: ["rule"])
    }

    public func preCall(_ call: Call) throws -> PreCallVerdict {
        var inputs = RuleInputs(call: call)
        // By index: `first(where:)` would copy each rule it tries.
        guard let index = rules.indices.first(where: { rules[$0].matches(&inputs) }) else { return .continue }
        let rule = rules[index]
        if let model = rule.model {
            let status = call.setModel(model)
            guard status == .ok else { throw PluginError("rule \(rule.label): setting model '\(model)' failed: \(status)") }
        }
        if let deployment = rule.pickDeployment(random: { draws.withLock { $0.unit() } }) {
            // A name the final model does not have is a config mistake the
            // plugin cannot see at create (the ABI does not list
            // deployments): say so, and let the core pick by its weights.
            let status = call.setDeployment(deployment)
            if status != .ok {
                host.log(.warning, "rule \(rule.label): model '\(call.model ?? "?")' has no deployment '\(deployment)' "
                    + "(\(status)); the core picks one", call: call)
            }
        }
        if let fallbacks = rule.fallbacks {
            let status = call.setFallbackModels(fallbacks)
            guard status == .ok else { throw PluginError("rule \(rule.label): setting fallbacks failed: \(status)") }
        }
        call.setAttribute("routed_by_rule", rule.label)
        matches.record(1, labels: [rule.label])
        return .continue
    }
}

@_cdecl("tollgate_plugin_entry_v1")
public func tollgate_plugin_entry_v1(_ hostMajor: UInt16, _ hostMinor: UInt16) -> UnsafeRawPointer? {
    PluginExport.entry(RoutingPlugin.self, hostMajor: hostMajor, hostMinor: hostMinor)
}

/// SplitMix64 (Steele, Lea, Flood 2014): fast, statistically sound, seeded
/// once from the system generator.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
