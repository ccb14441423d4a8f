import TollgateJSON
import TollgateUnits

/// Pulls a provider's cost and usage reports for [from, to) with its admin
/// key, page by page, into a `ProviderReport`. The HTTP GET is a parameter
/// (URLSession in the CLI, a closure in tests).
///
/// - OpenAI: `GET /v1/organization/costs?start_time&end_time&bucket_width=1d&group_by=line_item&limit=31`
///   and `/v1/organization/usage/completions?...&group_by=model`, with
///   `Authorization: Bearer <admin key>`.
/// - Anthropic: `GET /v1/organizations/cost_report?starting_at&ending_at&bucket_width=1d&group_by[]=description&limit=31`
///   and `/v1/organizations/usage_report/messages?...&group_by[]=model`, with
///   `x-api-key` and `anthropic-version: 2023-06-01`.
package struct ProviderReportFetch: Sendable {
    /// GET `url` with `headers`: the status and body, or a thrown
    /// `ProviderFetchError.unreachable`.
    package typealias Get = @Sendable (_ url: String, _ headers: [(String, String)]) throws -> (status: Int, body: [UInt8])

    package var provider: ReconcileProvider
    /// Without a trailing slash or `/v1`.
    package var baseURL: String
    package var adminKey: String
    package var get: Get

    /// Pages one report may take before we suspect a loop.
    static let maxPages = 500

    package init(provider: ReconcileProvider, baseURL: String? = nil, adminKey: String, get: @escaping Get) {
        self.provider = provider
        var base = baseURL ?? provider.defaultBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        self.baseURL = base
        self.adminKey = adminKey
        self.get = get
    }

    package var headers: [(String, String)] {
        switch provider {
        case .openai: return [("Authorization", "Bearer " + adminKey), ("Accept", "application/json")]
        case .anthropic: return [("x-api-key", adminKey), ("anthropic-version", "2023-06-01"), ("Accept", "application/json")]
        }
    }

    /// The costs (and the tokens) of [fromSeconds, toSeconds).
    package func fetch(fromSeconds: Int64, toSeconds: Int64) throws -> ProviderReport {
        var report = try ProviderReport(provider: provider, source: "\(provider.displayName) cost report API at \(baseURL)")
        switch provider {
        case .openai:
            let range = [("start_time", String(fromSeconds)), ("end_time", String(toSeconds)), ("bucket_width", "1d")]
            try pages("/v1/organization/costs", range + [("group_by", "line_item"), ("limit", "31")]) { page, place in
                try OpenAIReportReader.addCosts(page, to: &report, where: place)
            }
            try pages("/v1/organization/usage/completions", range + [("group_by", "model"), ("limit", "31")]) { page, place in
                try OpenAIReportReader.addUsage(page, to: &report, where: place)
            }
        case .anthropic:
            let range = [("starting_at", UTCCalendar.iso8601(fromSeconds)), ("ending_at", UTCCalendar.iso8601(toSeconds)),
                         ("bucket_width", "1d")]
            try pages("/v1/organizations/cost_report", range + [("group_by[]", "description"), ("limit", "31")]) { page, place in
                try AnthropicReportReader.addCosts(page, to: &report, where: place)
            }
            try pages("/v1/organizations/usage_report/messages", range + [("group_by[]", "model"), ("limit", "31")]) { page, place in
                try AnthropicReportReader.addUsage(page, to: &report, where: place)
            }
        }
        return report
    }

    /// GETs `path` and its following pages, handing each page to `read`,
    /// which returns the next page token (nil: done).
    func pages(_ path: String, _ query: [(String, String)], _ read: (JSONValue, String) throws -> String?) throws {
        var page: String?
        var seen: Set<String> = []
        for number in 1...Self.maxPages {
            let url = baseURL + path + "?" + (query + (page.map { [("page", $0)] } ?? []))
                .map { Self.encode($0.0) + "=" + Self.encode($0.1) }.joined(separator: "&")
            let answer = try get(url, headers)
            guard (200..<300).contains(answer.status) else {
                throw ProviderFetchError.refused(url: baseURL + path, status: answer.status, excerpt: Self.excerpt(answer.body))
            }
            guard let json = try? JSONValue.parse(answer.body) else {
                throw ProviderFetchError.notJSON(url: baseURL + path, excerpt: Self.excerpt(answer.body))
            }
            guard let next = try read(json, "\(path) page \(number)") else { return }
            guard seen.insert(next).inserted else {
                throw ProviderReportError("\(path): next_page '\(next)' came back twice; stopping rather than looping")
            }
            page = next
        }
        throw ProviderReportError("\(path): more than \(Self.maxPages) pages; ask for a shorter period")
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
            }
        }
        return out
    }

    /// The provider's error message when the body is its error JSON, else
    /// the start of the body.
    static func excerpt(_ body: [UInt8]) -> String {
        if let json = try? JSONValue.parse(body), let message = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue {
            return message
        }
        var text = String(decoding: body.prefix(300), as: UTF8.self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        if body.count > 300 { text += "..." }
        return text.isEmpty ? "(empty body)" : text
    }
}

/// Why a provider's report could not be fetched; `description` is what the
/// command prints (never the key).
package enum ProviderFetchError: Error, Equatable, CustomStringConvertible {
    case refused(url: String, status: Int, excerpt: String)
    case notJSON(url: String, excerpt: String)
    case unreachable(url: String, reason: String)

    package var description: String {
        switch self {
        case .refused(let url, let status, let excerpt):
            var hint = ""
            if status == 401 || status == 403 {
                hint = " (the reports need an organization admin key, not an API key)"
            }
            return "GET \(url) answered HTTP \(status): \(excerpt)\(hint)"
        case .notJSON(let url, let excerpt):
            return "GET \(url) did not answer JSON: \(excerpt)"
        case .unreachable(let url, let reason):
            return "cannot reach \(url): \(reason)"
        }
    }
}
