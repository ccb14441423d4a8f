import TollgateSupport
import TollgateJSON
import TollgateUnits

/// An error the gateway answers with, rendered in the client's dialect.
package struct GatewayError: Error, Sendable, Equatable {
    package var status: Int
    /// The gateway's type (OpenAI's `error.type`). A dialect whose clients
    /// know only their provider's types writes its own type for the status
    /// instead (AnthropicDialect.errorType).
    package var type: String
    /// OpenAI's `error.code` (a dialect without codes omits it).
    package var code: String?
    package var message: String
    /// OpenAI's `error.param`: the request field at fault, when one is.
    package var param: String?
    package var headers: [(String, String)]

    package init(status: Int, type: String, code: String? = nil, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.headers = headers
    }

    package static func == (a: GatewayError, b: GatewayError) -> Bool {
        a.status == b.status && a.type == b.type && a.code == b.code && a.message == b.message
    }

    /// The error body in `dialect` (OpenAIDialect.errorBody,
    /// AnthropicDialect.errorBody).
    package func body(for dialect: APIDialect) -> [UInt8] {
        dialect.wire.errorBody(self)
    }

    /// The terminal event that ends a stream which already started.
    package func sseEvent(for dialect: APIDialect) -> [UInt8] {
        SSEFraming.frame(name: dialect.wire.errorEventName, data: body(for: dialect))
    }
}

extension GatewayError {
    package static func invalidRequest(_ message: String) -> GatewayError {
        GatewayError(status: 400, type: "invalid_request_error", code: "invalid_request", message: message)
    }
    /// A 400 naming the body field at fault (`param`).
    package static func invalidField(_ param: String, _ message: String) -> GatewayError {
        var error = GatewayError(status: 400, type: "invalid_request_error", code: "invalid_\(param)", message: message)
        error.param = param
        return error
    }
    package static func authentication(_ message: String, code: String = "invalid_api_key") -> GatewayError {
        GatewayError(status: 401, type: "authentication_error", code: code, message: message)
    }
    package static func permission(_ message: String, code: String = "model_not_allowed") -> GatewayError {
        GatewayError(status: 403, type: "permission_error", code: code, message: message)
    }
    package static func notFound(_ message: String, code: String = "not_found") -> GatewayError {
        GatewayError(status: 404, type: "not_found_error", code: code, message: message)
    }
    package static func internalError(_ message: String) -> GatewayError {
        GatewayError(status: 500, type: "api_error", code: "internal_error", message: message)
    }
}
