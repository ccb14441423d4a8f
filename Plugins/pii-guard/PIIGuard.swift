import TollgatePluginKit

/// Keeps personal data and credentials out of what is sent to models.
/// Prompts (every text segment of both APIs, through the request view) are
/// scanned in preCall: per category the rule redacts (stable placeholders),
/// blocks (400 naming the categories) or only counts. Answers are scanned in
/// onChunk across chunk boundaries, and placeholders are put back when
/// `restore` is on. Values are never logged; `/metrics` counts findings in
/// `tollgate_pii_findings_total{category,action,direction}`.
public final class PIIGuard: TollgatePlugin, PreCallHook, ChunkHook {
    public static let info = PluginInfo(name: "pii-guard", version: "1.0.0", failClosed: true)

    let host: PluginHost
    let config: GuardConfig
    let findingsMetric: Metric
    /// Read from the request only when some policy matches on them.
    let policyKeys: Set<PolicyMatch.Key>

    public init(host: PluginHost, config: JSONValue) throws {
        self.host = host
        self.config = try GuardConfig(json: config)
        findingsMetric = try host.defineCounter(
            name: "tollgate_pii_findings_total",
            help: "PII findings by category, rule action and direction (input: prompts, output: answers)",
            labels: ["category", "action", "direction"])
        policyKeys = Set(self.config.policies.flatMap { $0.match.conditions.map(\.key) })
        let enabled = self.config.base.enabled.categories.map(\.name).joined(separator: ",")
        host.log(.info, "pii-guard ready: detecting \(enabled.isEmpty ? "nothing" : enabled), "
            + "\(self.config.policies.count) policies, restore=\(self.config.base.restore)")
    }

    /// The rules for this request (first matching policy, else the base).
    func rules(for call: Call) -> RuleSet {
        if policyKeys.isEmpty { return config.base }
        return config.rules { key in
            switch key {
            case .provider: return call.provider
            case .model: return call.model
            case .keyClass: return call.keyClass
            case .team: return call.team
            case .org: return call.org
            }
        }
    }

    /// Adds per-category counts to the findings metric.
    func record(_ counts: [Int], rules: RuleSet, direction: String) {
        for category in PIICategory.allCases where counts[category.rawValue] > 0 {
            guard let action = rules.action(for: category) else { continue }
            findingsMetric.record(Double(counts[category.rawValue]), labels: [category.name, action.rawValue, direction])
        }
    }
}

@_cdecl("tollgate_plugin_entry_v1")
public func tollgate_plugin_entry_v1(_ hostMajor: UInt16, _ hostMinor: UInt16) -> UnsafeRawPointer? {
    PluginExport.entry(PIIGuard.self, hostMajor: hostMajor, hostMinor: hostMinor)
}
