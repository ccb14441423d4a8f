import TollgateJSON

/// An error the gateway answers with, rendered in the client's dialect.
public struct GatewayError: Error, Sendable, Equatable {
    public var status: Int
    /// OpenAI `error.type`. On the Anthropic route the body carries
    /// Anthropic's type for the status instead (GatewayError+Anthropic).
    public var type: String
    /// OpenAI `error.code` (omitted for Anthropic, which has none).
    public var code: String?
    public var message: String
    public var headers: [(String, String)]

    public init(status: Int, type: String, code: String? = nil, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.headers = headers
    }

    public static func == (a: GatewayError, b: GatewayError) -> Bool {
        a.status == b.status && a.type == b.type && a.code == b.code && a.message == b.message
    }

    /// `{"error":{"message","type","param","code"}}` or
    /// `{"type":"error","error":{"type","message"}}` with Anthropic's type
    /// for the status.
    public func body(for dialect: APIDialect) -> [UInt8] {
        switch dialect {
        case .openai:
            let error = JSONObject([
                ("message", .string(message)),
                ("type", .string(type)),
                ("param", .null),
                ("code", code.map { .string($0) } ?? .null),
            ])
            return JSONValue.object(JSONObject([("error", .object(error))])).serialized()
        case .anthropic:
            let error = JSONObject([("type", .string(Self.anthropicType(status: status))), ("message", .string(message))])
            return JSONValue.object(JSONObject([("type", .string("error")), ("error", .object(error))])).serialized()
        }
    }

    /// The terminal event that ends a stream which already started.
    public func sseEvent(for dialect: APIDialect) -> [UInt8] {
        var out: [UInt8] = []
        if dialect == .anthropic { out.append(contentsOf: "event: error\n".utf8) }
        out.append(contentsOf: "data: ".utf8)
        out.append(contentsOf: body(for: dialect))
        out.append(contentsOf: "\n\n".utf8)
        return out
    }
}

extension GatewayError {
    public static func invalidRequest(_ message: String) -> GatewayError {
        GatewayError(status: 400, type: "invalid_request_error", code: "invalid_request", message: message)
    }
    public static func authentication(_ message: String, code: String = "invalid_api_key") -> GatewayError {
        GatewayError(status: 401, type: "authentication_error", code: code, message: message)
    }
    public static func permission(_ message: String, code: String = "model_not_allowed") -> GatewayError {
        GatewayError(status: 403, type: "permission_error", code: code, message: message)
    }
    public static func notFound(_ message: String, code: String = "not_found") -> GatewayError {
        GatewayError(status: 404, type: "not_found_error", code: code, message: message)
    }
    public static func internalError(_ message: String) -> GatewayError {
        GatewayError(status: 500, type: "api_error", code: "internal_error", message: message)
    }
}
