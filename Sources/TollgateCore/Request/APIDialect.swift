/// Which provider API a client called, and so which dialect requests,
/// responses and errors are written in.
public enum APIDialect: String, Sendable {
    case openai
    case anthropic

    public var route: String {
        switch self {
        case .openai: return "/v1/chat/completions"
        case .anthropic: return "/v1/messages"
        }
    }

    /// The dialect of errors answered on `uri`: Anthropic's on its route,
    /// OpenAI's everywhere else (unknown routes included).
    init(errorsOn uri: String) {
        self = uri.hasPrefix(APIDialect.anthropic.route) ? .anthropic : .openai
    }
}
