import TollgatePluginKit

/// Which models a limit counts: all together (no `model:`), one model
/// (`model: large`), or each model separately (`model: "*"`).
enum ModelMatch: Equatable {
    case all
    case named(String)
    case each

    init(_ text: String?) {
        switch text {
        case nil: self = .all
        case "*"?: self = .each
        case let name?: self = .named(name)
        }
    }
}

/// What is limited, and the counter window that holds it.
enum RateMetric: String, CaseIterable, Comparable {
    case rpm, tpm, rpd

    var window: CounterWindow { self == .rpd ? .day : .minute }
    var countsTokens: Bool { self == .tpm }

    /// "requests per minute (RPM)".
    var displayName: String {
        switch self {
        case .rpm: return "requests per minute (RPM)"
        case .tpm: return "tokens per minute (TPM)"
        case .rpd: return "requests per day (RPD)"
        }
    }

    static func < (a: RateMetric, b: RateMetric) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
