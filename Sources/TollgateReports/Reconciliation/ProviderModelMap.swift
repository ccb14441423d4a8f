import TollgateConfig

/// Names a provider's model the way the ledger does. The provider reports
/// the model it ran (a dated snapshot: `gpt-4o-2024-08-06`,
/// `claude-sonnet-4-5-20250929`); the ledger has the catalog's public
/// name (`COALESCE(model_served, model_requested)`). The catalog says which
/// upstream model each public name is served by (`upstream_model`, and each
/// deployment's), for entries of the reconciled provider:
///
/// 1. a provider model that is an upstream model is its public name;
/// 2. else, without its date suffix (`-2024-08-06`, `-20250929`), one that
///    matches an upstream model also without it (or without `-latest`);
/// 3. else it keeps the provider's name (it is then unattributed).
///
/// Public names that share an upstream model cannot be told apart on the
/// provider's side: they are compared as one, named `a+b`.
package struct ProviderModelMap: Sendable {
    /// Upstream model -> label.
    private var exact: [String: String] = [:]
    /// Upstream model without its date or `-latest` -> label (nil: ambiguous).
    private var undated: [String: String?] = [:]
    /// Public name -> label.
    private var ledgerLabels: [String: String] = [:]

    package init(catalog: ModelCatalog, provider: ReconcileProvider) {
        let entries = catalog.entries.filter { $0.provider == provider.kind }
        // Group public names that share an upstream model (union-find).
        var parent: [String: String] = [:]
        func root(_ name: String) -> String {
            var n = name
            while let p = parent[n], p != n { n = p }
            return n
        }
        var namesByUpstream: [String: [String]] = [:]
        for entry in entries {
            parent[entry.name] = parent[entry.name] ?? entry.name
            for upstream in Set([entry.upstreamModel] + entry.deployments.map(\.upstreamModel)) {
                namesByUpstream[upstream, default: []].append(entry.name)
            }
        }
        for names in namesByUpstream.values {
            for name in names.dropFirst() {
                let (a, b) = (root(names[0]), root(name))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        var members: [String: [String]] = [:]
        for name in parent.keys { members[root(name), default: []].append(name) }
        for (_, group) in members {
            let label = group.sorted().joined(separator: "+")
            for name in group { ledgerLabels[name] = label }
        }
        for (upstream, names) in namesByUpstream {
            guard let label = names.first.flatMap({ ledgerLabels[$0] }) else { continue }
            exact[upstream] = label
            let key = Self.undated(upstream)
            if let existing = undated[key], existing != label {
                undated[key] = .some(nil)
            } else {
                undated[key] = label
            }
        }
    }

    /// The label of a model the provider reports.
    package func label(forProvider model: String) -> String {
        if let label = exact[model] { return label }
        if let found = undated[Self.undated(model)], let label = found { return label }
        return model
    }

    /// The label of a ledger model (a public name).
    package func label(forLedger model: String) -> String { ledgerLabels[model] ?? model }

    /// `gpt-4o-2024-08-06` -> `gpt-4o`, `claude-sonnet-4-5-20250929` ->
    /// `claude-sonnet-4-5`, `claude-3-5-sonnet-latest` -> `claude-3-5-sonnet`.
    package static func undated(_ model: String) -> String {
        if model.hasSuffix("-latest") { return String(model.dropLast(7)) }
        let b = Array(model.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { b[$0] >= 0x30 && b[$0] <= 0x39 } }
        let n = b.count
        let dash = UInt8(ascii: "-")
        // -YYYY-MM-DD
        if n > 11, b[n - 11] == dash, digits(n - 10..<n - 6), b[n - 6] == dash, digits(n - 5..<n - 3), b[n - 3] == dash,
           digits(n - 2..<n) {
            return String(decoding: b[..<(n - 11)], as: UTF8.self)
        }
        // -YYYYMMDD
        if n > 9, b[n - 9] == dash, digits(n - 8..<n) {
            return String(decoding: b[..<(n - 9)], as: UTF8.self)
        }
        return model
    }
}
