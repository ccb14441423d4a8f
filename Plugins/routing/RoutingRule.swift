/// One routing rule: when every condition of `match` holds, its actions
/// apply and no later rule is looked at.
struct RoutingRule: Sendable {
    /// The rule's `name`, else its index in `rules` — the value of the
    /// `routed_by_rule` attribute and the metric's `rule` label.
    var label: String
    var conditions: [Condition]
    /// Route to this public model.
    var model: String?
    /// Weighted pick among the (final) model's deployments.
    var deployments: [(name: String, weight: Int)]
    /// Models the core tries, in order, if the call fails before the first
    /// byte.
    var fallbacks: [String]?
}

/// What a rule can look at. Every value is a pattern (`*`, `?`) or a list
/// of patterns, any of which may match.
enum Condition: Sendable {
    /// The `use_case` attribute (set by the tagging plugin).
    case useCase(AnyOf)
    /// An attribute (tag) set by an earlier plugin.
    case attribute(key: String, AnyOf)
    case team(AnyOf)
    case org(AnyOf)
    case keyID(AnyOf)
    case keyClass(AnyOf)
    /// The model as the request stands when routing runs (the client's,
    /// unless an earlier plugin changed it).
    case model(AnyOf)
    /// The model the client asked for, before any plugin.
    case requestedModel(AnyOf)
    /// A request header (name lower-case, matched case-insensitively).
    case header(name: String, AnyOf)
}
