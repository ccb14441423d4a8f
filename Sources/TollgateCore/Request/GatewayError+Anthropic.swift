/// What an error says on the Anthropic route. Anthropic's SDKs and
/// clients know a fixed set of `error.type` values, one per status
/// (https://docs.anthropic.com/en/api/errors); the gateway's own reasons
/// (`budget_exceeded`, `rate_limit_exceeded`, a plugin's type) are not
/// among them. On that route the type is Anthropic's for the status; the
/// specific reason stays in the message and in `x-tollgate-error-code`.
extension GatewayError {
    /// Anthropic's documented type for `status`. Other 4xx are
    /// `invalid_request_error` (Anthropic: "we may also use this error type
    /// for other 4XX status codes"); every 5xx but 529 is `api_error`: the
    /// gateway's 502/503/504 (upstream down or timed out, a plugin that
    /// failed closed) are failures, not load shedding.
    public static func anthropicType(status: Int) -> String {
        switch status {
        case 400: return "invalid_request_error"
        case 401: return "authentication_error"
        case 403: return "permission_error"
        case 404: return "not_found_error"
        case 413: return "request_too_large"
        case 429: return "rate_limit_error"
        case 529: return "overloaded_error"
        case 400..<500: return "invalid_request_error"
        default: return "api_error"
        }
    }

    /// The gateway's specific reason: the code, else the type
    /// (`budget_exceeded`, `pii_detected`, `upstream_timeout`).
    public var reasonCode: String { code ?? type }

    /// The headers every error response the gateway writes carries: JSON,
    /// and the specific reason — unless a plugin gave a code that cannot
    /// be a header value.
    public var responseHeaders: [(String, String)] {
        var headers: [(String, String)] = [("content-type", "application/json")]
        let reason = reasonCode
        if !reason.isEmpty, HTTPHeaderValidation.isValidValue(reason) {
            headers.append(("x-tollgate-error-code", reason))
        }
        return headers
    }
}
