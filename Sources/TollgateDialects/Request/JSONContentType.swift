import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits

/// Whether a proxy request's Content-Type lets the gateway read its body
/// as JSON. Accepted: `application/json` and any `type/subtype+json`, with
/// any parameters (`; charset=utf-8`), in any case; and no Content-Type at
/// all (curl without -H and some SDKs send none). Anything else present —
/// `text/plain`, a form, an empty value — is a 415, so a client that sent
/// the wrong thing learns it instead of having it read anyway.
package enum JSONContentType {
    /// The error to answer with, or nil when the body may be read.
    package static func check(_ headers: HTTPHeaders) -> GatewayError? {
        for value in headers["content-type"] where !isJSON(value) {
            return GatewayError(status: 415, type: "invalid_request_error", code: "unsupported_media_type",
                                message: "Content-Type '\(value)' is not supported: send the request body as JSON with 'Content-Type: application/json'.")
        }
        return nil
    }

    static func isJSON<S: StringProtocol>(_ value: S) -> Bool {
        let mediaType = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let essence = String(mediaType).trimmingSpaces().lowercased()
        guard let slash = essence.firstIndex(of: "/") else { return false }
        let type = essence[..<slash], subtype = essence[essence.index(after: slash)...]
        guard !type.isEmpty, !type.contains(" "), !subtype.contains(" ") else { return false }
        return (type == "application" && subtype == "json") || (subtype.hasSuffix("+json") && subtype.count > 5)
    }
}
