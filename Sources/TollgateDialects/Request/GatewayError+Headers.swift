import TollgateSupport
import TollgateJSON
import TollgateUnits

/// The headers of an error response, the same in every dialect. A body may
/// carry the provider's type for the status rather than the gateway's
/// (Anthropic's route); the specific reason is in `x-tollgate-error-code`
/// whatever the dialect.
extension GatewayError {
    /// The gateway's specific reason: the code, else the type
    /// (`budget_exceeded`, `pii_detected`, `upstream_timeout`).
    package var reasonCode: String { code ?? type }

    /// The headers every error response the gateway writes carries: JSON,
    /// and the specific reason — unless a plugin gave a code that cannot
    /// be a header value.
    package var responseHeaders: [(String, String)] {
        var headers: [(String, String)] = [("content-type", "application/json")]
        let reason = reasonCode
        if !reason.isEmpty, HTTPHeaderValidation.isValidValue(reason) {
            headers.append(("x-tollgate-error-code", reason))
        }
        return headers
    }
}
