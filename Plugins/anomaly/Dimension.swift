import TollgatePluginKit

/// What spend is grouped by. Each call adds its cost to one subject per
/// configured dimension; the subject string is also the alert's subject.
enum Dimension: String, CaseIterable {
    /// team/ORG/TEAM
    case team
    /// key/KEY_ID (key ids are unique across the config)
    case key
    /// feature/ORG/FEATURE, from the request attribute `feature` (set by the
    /// tagging plugin); calls without it add to no feature subject.
    case feature

    func subject(of call: Call) -> String? {
        switch self {
        case .team:
            guard let org = call.org, let team = call.team else { return nil }
            return "team/\(org)/\(team)"
        case .key:
            return call.keyID.map { "key/\($0)" }
        case .feature:
            guard let org = call.org, let feature = call.attribute("feature"), !feature.isEmpty else { return nil }
            return "feature/\(org)/\(feature)"
        }
    }

    /// True for a string shaped like a subject of some dimension.
    static func isSubject(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard let first = parts.first, let dimension = Dimension(rawValue: String(first)),
              parts.dropFirst().allSatisfy({ !$0.isEmpty }) else { return false }
        return parts.count == (dimension == .key ? 2 : 3)
    }
}
