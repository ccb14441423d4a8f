import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateUpstream

/// Error answers in each provider's dialect.
package enum MockErrors {
    static func plan(api: MockAPI, status: Int, message: String) -> MockPlan {
        let body = Array(self.body(api: api, status: status, message: message).utf8)
        var headers = [("content-type", "application/json"), ("content-length", String(body.count))]
        if status == 429 { headers.append(("retry-after", "1")) }
        return MockPlan(status: status, headers: headers, parts: [.bytes(body, delayMsBefore: 0)])
    }

    static func body(api: MockAPI, status: Int, message: String) -> String {
        let quoted = JSONValue.quoted(message)
        switch api {
        case .openai:
            let (type, code): (String, String) = switch status {
            case 400: ("invalid_request_error", "null")
            case 401: ("invalid_request_error", "\"invalid_api_key\"")
            case 429: ("requests", "\"rate_limit_exceeded\"")
            case 404: ("invalid_request_error", "\"not_found\"")
            default: ("server_error", "null")
            }
            return "{\"error\":{\"message\":\(quoted),\"type\":\"\(type)\",\"param\":null,\"code\":\(code)}}"
        case .anthropic:
            let type = switch status {
            case 400: "invalid_request_error"
            case 401: "authentication_error"
            case 404: "not_found_error"
            case 429: "rate_limit_error"
            case 503: "overloaded_error"
            default: "api_error"
            }
            return "{\"type\":\"error\",\"error\":{\"type\":\"\(type)\",\"message\":\(quoted)}}"
        }
    }
}
