import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// The price table and routing facts for every public model name. The one
/// place prices live; plugins ask the host, which asks this.
package struct ModelCatalog: Sendable {
    /// In configuration order.
    package let entries: [ModelEntry]
    private let indexByName: [String: Int]

    /// Later duplicates are ignored (the config loader rejects them first).
    package init(entries: [ModelEntry]) {
        self.entries = entries
        var index: [String: Int] = [:]
        for (position, entry) in entries.enumerated() where index[entry.name] == nil {
            index[entry.name] = position
        }
        indexByName = index
    }

    package var names: [String] { entries.map(\.name) }

    package func model(named name: String) -> ModelEntry? {
        indexByName[name].map { entries[$0] }
    }

    /// Nano-dollars for the given usage of `model`; nil for an unknown model
    /// or an impossible count (see `Cost.nanos`).
    package func cost(model: String, tokensIn: Int64, tokensOut: Int64, tokensCached: Int64 = 0) -> Int64? {
        guard let entry = self.model(named: model) else { return nil }
        return Cost.nanos(price: entry.price, tokensIn: tokensIn, tokensOut: tokensOut, tokensCached: tokensCached)
    }
}
