import Foundation
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// Who serves a model: a provider speaking one of the gateway's dialects
/// (named after it in the config: `provider: openai`), or `mock`, an
/// in-process fake upstream for demos and tests that answers in whichever
/// dialect the call came in.
package struct ProviderKind: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The API the provider speaks; nil for the mock.
    package let dialect: APIDialect?

    package init(dialect: APIDialect?) { self.dialect = dialect }

    package static let mock = ProviderKind(dialect: nil)
    package static let openai = ProviderKind(dialect: .openai)
    package static let anthropic = ProviderKind(dialect: .anthropic)

    /// Every dialect, then the mock.
    package static var allCases: [ProviderKind] { APIDialect.allCases.map { ProviderKind(dialect: $0) } + [.mock] }

    package var rawValue: String { dialect?.rawValue ?? "mock" }

    package init?(rawValue: String) {
        if rawValue == "mock" {
            self = .mock
        } else if let dialect = APIDialect(rawValue: rawValue) {
            self.init(dialect: dialect)
        } else {
            return nil
        }
    }

    package var description: String { rawValue }
}

/// How the in-process mock upstream answers.
package struct MockOptions: Sendable, Equatable {
    package var chunks = 5
    package var chunkDelayMs = 0
    package var outputTokens = 16

    package init(chunks: Int = 5, chunkDelayMs: Int = 0, outputTokens: Int = 16) {
        self.chunks = chunks
        self.chunkDelayMs = chunkDelayMs
        self.outputTokens = outputTokens
    }
}

/// One place a model is served: an endpoint, the provider's id for the
/// model there, its credentials, and its share of traffic.
package struct Deployment: Sendable, Equatable {
    package var name: String
    package var baseURL: String?
    package var upstreamModel: String
    package var apiKeyEnv: String?
    /// Relative share when the core picks among healthy deployments.
    package var weight: Int
    /// How to connect (transport, HTTP/2, proxy, certificates): its own
    /// settings over its model's over its provider's.
    package var connection: UpstreamOptions

    package init(name: String, baseURL: String?, upstreamModel: String, apiKeyEnv: String?, weight: Int = 1,
                 connection: UpstreamOptions = UpstreamOptions()) {
        self.name = name
        self.baseURL = baseURL
        self.upstreamModel = upstreamModel
        self.apiKeyEnv = apiKeyEnv
        self.weight = weight
        self.connection = connection
    }

    package func apiKey(environment: [String: String]? = nil) -> String? {
        apiKeyEnv.flatMap { environmentAPIKey($0, environment: environment) }
    }
}

/// One public model name and where and at what price it is served.
package struct ModelEntry: Sendable, Equatable {
    package var name: String
    package var provider: ProviderKind
    /// Without a trailing slash; nil only for `mock`.
    package var baseURL: String?
    package var upstreamModel: String
    /// Name of the environment variable holding the upstream API key. Read at
    /// request time (see `apiKey(environment:)`), so rotating the key needs
    /// only a restart of the environment, not a config change.
    package var apiKeyEnv: String?
    package var price: Price
    package var maxOutputTokens: Int64?
    package var contextWindow: Int64?
    package var mock: MockOptions
    /// Where the model is served; never empty. A model configured without
    /// `deployments:` has one, named after the model, from its own fields.
    package var deployments: [Deployment]
    /// The model's connection settings over its provider's (each
    /// deployment carries its own resolution).
    package var connection: UpstreamOptions

    package init(name: String, provider: ProviderKind, baseURL: String? = nil, upstreamModel: String? = nil,
                apiKeyEnv: String? = nil, price: Price, maxOutputTokens: Int64? = nil,
                contextWindow: Int64? = nil, mock: MockOptions = MockOptions(), deployments: [Deployment] = [],
                connection: UpstreamOptions = UpstreamOptions()) {
        self.name = name
        self.provider = provider
        self.baseURL = baseURL
        self.upstreamModel = upstreamModel ?? name
        self.apiKeyEnv = apiKeyEnv
        self.price = price
        self.maxOutputTokens = maxOutputTokens
        self.contextWindow = contextWindow
        self.mock = mock
        self.connection = connection
        self.deployments = deployments.isEmpty
            ? [Deployment(name: name, baseURL: baseURL, upstreamModel: upstreamModel ?? name, apiKeyEnv: apiKeyEnv,
                          connection: connection)]
            : deployments
    }

    package func deployment(named name: String) -> Deployment? {
        deployments.first { $0.name == name }
    }

    /// The upstream key from the environment, or nil when unset or empty.
    package func apiKey(environment: [String: String]? = nil) -> String? {
        apiKeyEnv.flatMap { environmentAPIKey($0, environment: environment) }
    }
}

/// The key in environment variable `name` (the process's own environment
/// unless one is given), without surrounding whitespace; nil when unset or
/// empty. Read with getenv: building the whole environment dictionary per
/// request costs more than the rest of the lookup.
func environmentAPIKey(_ name: String, environment: [String: String]? = nil) -> String? {
    let raw: String?
    if let environment {
        raw = environment[name]
    } else {
        raw = getenv(name).map { String(cString: $0) }
    }
    guard let raw else { return nil }
    let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
    return value.isEmpty ? nil : value
}
