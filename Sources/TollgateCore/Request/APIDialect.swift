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
}
