import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TollgateJSON

/// Where the admin API is and what to present to it.
///   URL:        --url, else $TOLLGATE_URL, else http://127.0.0.1:4000
///   credential: --credential, else $TOLLGATE_CREDENTIAL, else $TOLLGATE_MASTER_KEY
/// The credential is sent as `Authorization: Bearer` and never printed.
package struct AdminEndpoint: Sendable, Equatable {
    package static let defaultURL = "http://127.0.0.1:4000"

    /// Without a trailing slash.
    package var baseURL: String
    package var credential: String?

    package init(baseURL: String, credential: String?) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.credential = credential
    }

    package static func resolve(url: String?, credential: String?, environment: [String: String]) -> AdminEndpoint {
        func nonEmpty(_ s: String?) -> String? { (s?.isEmpty ?? true) ? nil : s }
        let base = nonEmpty(url) ?? nonEmpty(environment["TOLLGATE_URL"]) ?? defaultURL
        let secret = nonEmpty(credential) ?? nonEmpty(environment["TOLLGATE_CREDENTIAL"])
            ?? nonEmpty(environment["TOLLGATE_MASTER_KEY"])
        return AdminEndpoint(baseURL: base, credential: secret)
    }

    /// The full URL of an admin path ("/admin/grants"), or nil when the base
    /// is not an http(s) URL.
    package func url(_ path: String) -> URL? {
        guard let components = URLComponents(string: baseURL),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              components.host?.isEmpty == false else { return nil }
        return URL(string: baseURL + path)
    }
}

/// One admin request, as a transport sees it.
package struct AdminRequest: Sendable, Equatable {
    package var method: String
    package var url: URL
    package var headers: [(String, String)]
    package var body: [UInt8]?

    package init(method: String, url: URL, headers: [(String, String)], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    package static func == (a: AdminRequest, b: AdminRequest) -> Bool {
        a.method == b.method && a.url == b.url && a.body == b.body
            && a.headers.map { "\($0.0): \($0.1)" } == b.headers.map { "\($0.0): \($0.1)" }
    }
}

/// What went wrong talking to the admin API. `description` is what the
/// command prints (it never holds the credential).
package enum AdminClientError: Error, Equatable, CustomStringConvertible {
    /// The server said no: its message, status and code.
    case server(status: Int, message: String, code: String?)
    /// Nothing answered at the URL (or the connection broke).
    case connection(url: String, reason: String)
    /// The base URL cannot be used.
    case badURL(String)
    /// An answer that is not what the admin API sends.
    case badResponse(url: String, reason: String)

    /// 1 for the server's refusals and odd answers, 2 when the gateway
    /// could not be reached.
    package var exitCode: Int32 {
        switch self {
        case .server, .badResponse: return 1
        case .connection, .badURL: return 2
        }
    }

    package var description: String {
        switch self {
        case .server(let status, let message, let code):
            return "\(message) (HTTP \(status)\(code.map { ", " + $0 } ?? ""))"
        case .connection(let url, let reason):
            return "cannot reach the gateway at \(url): \(reason)"
        case .badURL(let url):
            return "'\(url)' is not a gateway URL: give --url (or TOLLGATE_URL) as http://HOST:PORT"
        case .badResponse(let url, let reason):
            return "unexpected answer from \(url): \(reason)"
        }
    }

    /// The error for a 4xx/5xx answer: the admin API's
    /// `{"error": {"message", "type", "code"}}`, else the start of the body.
    package static func fromResponse(status: Int, body: [UInt8], path: String, sentCredential: Bool) -> AdminClientError {
        var message: String
        var code: String?
        if let json = try? JSONValue.parse(body), let error = json["error"] {
            message = error["message"]?.stringValue ?? error.stringValue ?? "the gateway refused the request"
            code = error["code"]?.stringValue
        } else {
            let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty ? "the gateway answered HTTP \(status)" : text
        }
        if status == 401, !sentCredential {
            message += " (no credential given: use --credential, or set TOLLGATE_CREDENTIAL or TOLLGATE_MASTER_KEY)"
        }
        if status == 404, path.hasPrefix("/admin/allocation"), message.hasPrefix("No admin route") {
            message += " (GET /admin/allocation is served by the budget plugin: is it enabled in the gateway's config?)"
        }
        return .server(status: status, message: message, code: code)
    }
}

/// A blocking admin-API client. The transport is a parameter so tests can
/// answer without a server; the default one is URLSession.
package struct AdminClient: Sendable {
    package typealias Transport = @Sendable (AdminRequest) -> Result<(status: Int, body: [UInt8]), AdminClientError>

    package var endpoint: AdminEndpoint
    package var transport: Transport

    package init(endpoint: AdminEndpoint, timeout: TimeInterval = 30, transport: Transport? = nil) {
        self.endpoint = endpoint
        let session = URLSessionTransport(timeout: timeout)
        self.transport = transport ?? { session.send($0) }
    }

    /// The request for `method path` with an optional JSON body.
    package func request(_ method: String, _ path: String, body: JSONValue? = nil) throws -> AdminRequest {
        guard let url = endpoint.url(path) else { throw AdminClientError.badURL(endpoint.baseURL) }
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let credential = endpoint.credential { headers.append(("Authorization", "Bearer " + credential)) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return AdminRequest(method: method, url: url, headers: headers, body: body.map { $0.serialized() })
    }

    /// The raw body of a 2xx answer; throws the server's refusal otherwise.
    package func send(_ method: String, _ path: String, body: JSONValue? = nil) throws -> [UInt8] {
        let request = try request(method, path, body: body)
        switch transport(request) {
        case .failure(let error):
            throw error
        case .success(let answer):
            guard (200..<300).contains(answer.status) else {
                throw AdminClientError.fromResponse(status: answer.status, body: answer.body, path: path,
                                                    sentCredential: endpoint.credential != nil)
            }
            return answer.body
        }
    }

    /// A 2xx answer's JSON.
    package func json(_ method: String, _ path: String, body: JSONValue? = nil) throws -> JSONValue {
        let bytes = try send(method, path, body: body)
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw AdminClientError.badResponse(url: endpoint.baseURL + path, reason: "the body is not JSON (\(error))")
        }
    }

    package func get(_ path: String) throws -> JSONValue { try json("GET", path) }

    /// Percent-encodes an id for a path segment ("/admin/grants/" + id).
    package static func pathSegment(_ id: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
    }
}

/// Foundation's URLSession (libcurl underneath on Linux), driven blocking.
/// Also what `tollgate reconcile` fetches a provider's reports with.
package struct URLSessionTransport: Sendable {
    var timeout: TimeInterval

    package init(timeout: TimeInterval) { self.timeout = timeout }

    package func send(_ request: AdminRequest) -> Result<(status: Int, body: [UInt8]), AdminClientError> {
        var urlRequest = URLRequest(url: request.url, timeoutInterval: timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if let body = request.body { urlRequest.httpBody = Data(body) }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        let base = request.url.absoluteString.components(separatedBy: "/admin/").first ?? request.url.absoluteString
        session.dataTask(with: urlRequest) { data, response, error in
            if let error {
                box.result = .failure(.connection(url: base, reason: Self.reason(error)))
            } else if let http = response as? HTTPURLResponse {
                box.result = .success((http.statusCode, Array(data ?? Data())))
            } else {
                box.result = .failure(.badResponse(url: base, reason: "not an HTTP answer"))
            }
            done.signal()
        }.resume()
        done.wait()
        return box.result ?? .failure(.connection(url: base, reason: "no answer"))
    }

    /// The useful part of a URL-loading error ("Couldn't connect to server").
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let text = ns.userInfo[NSLocalizedDescriptionKey] as? String, !text.isEmpty { return text }
        switch ns.code {
        case NSURLErrorTimedOut: return "timed out"
        case NSURLErrorCannotConnectToHost: return "connection refused"
        case NSURLErrorCannotFindHost: return "unknown host"
        default: return "\(error)"
        }
    }
}

/// Written by URLSession's delegate queue once, read after the semaphore.
private final class ResultBox: @unchecked Sendable {
    var result: Result<(status: Int, body: [UInt8]), AdminClientError>?
}
