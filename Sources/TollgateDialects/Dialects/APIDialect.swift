import TollgateSupport
import TollgateJSON
import TollgateUnits

/// Which provider API a client called, and so which dialect requests,
/// responses and errors are written in. This small value is what the rest
/// of the core carries (the call, the ledger's `api` column, metric
/// labels: its raw value); what the dialect means lives in its
/// `ProviderDialect` implementation, reached through `wire`.
package enum APIDialect: String, Sendable, CaseIterable {
    case openai
    case anthropic

    /// The dialect's implementation. The one place dialects are listed:
    /// adding a provider API is a file implementing `ProviderDialect`, a
    /// case above and a line here (docs/operations.md, "Adding a provider
    /// API").
    package var wire: any ProviderDialect.Type {
        switch self {
        case .openai: return OpenAIDialect.self
        case .anthropic: return AnthropicDialect.self
        }
    }

    /// The route clients call in this dialect.
    package var route: String { wire.route }

    /// The dialect whose route `path` (without its query) is.
    package init?(route path: String) {
        for (route, dialect) in APIDialect.routes where route == path {
            self = dialect
            return
        }
        return nil
    }

    /// Once: `allCases` builds a new array on every use, and routing runs
    /// on every request.
    private static let routes: [(String, APIDialect)] = allCases.map { ($0.route, $0) }

    /// Errors on a path that belongs to no provider API — admin, health,
    /// unknown routes, a request head that did not parse — are written in
    /// OpenAI's shape, the gateway's own error format.
    package static let unrouted = APIDialect.openai

    /// The dialect of errors answered on `uri`: a provider route's own
    /// (a query string or trailing segment after it included), the
    /// unrouted one everywhere else.
    package init(errorsOn uri: String) {
        self = APIDialect.routes.first { uri.hasPrefix($0.0) }?.1 ?? .unrouted
    }
}
