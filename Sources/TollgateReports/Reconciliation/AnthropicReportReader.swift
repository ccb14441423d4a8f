import TollgateConfig
import TollgateJSON
import TollgateUnits

/// Reads pages of Anthropic's cost report (`GET /v1/organizations/cost_report`,
/// grouped by `description`) and messages usage report (`GET
/// /v1/organizations/usage_report/messages`, grouped by `model`) into a
/// `ProviderReport`. Each page: `{"data": [bucket...], "has_more",
/// "next_page"}`; a bucket: `starting_at`, `ending_at` (RFC 3339) and
/// `results`. Costs are cents (USD in its lowest units) as decimal strings.
package enum AnthropicReportReader {
    /// Adds a cost report page; returns `next_page` when `has_more`.
    package static func addCosts(_ page: JSONValue, to report: inout ProviderReport, where place: String) throws -> String? {
        try forEachResult(page, place: place) { day, result, at in
            let currency = result["currency"]?.stringValue ?? "USD"
            guard currency.uppercased() == "USD" else {
                throw ProviderReportError("\(at): amount in \(currency); reconcile compares US dollars")
            }
            let text: String?
            switch result["amount"] {
            case .string(let t)?: text = t
            case .number(let t)?: text = t
            default: text = nil
            }
            guard let text, let nanos = ProviderAmount.nanos(text, unitDigits: ProviderAmount.cents) else {
                throw ProviderReportError("\(at): amount is not an amount in cents")
            }
            // Costs that are not a model's tokens (web search, code execution)
            // have no model: they go under their description.
            let model = result["model"]?.stringValue ?? result["description"]?.stringValue
                ?? result["cost_type"]?.stringValue ?? "(no model)"
            try report.addCost(day: day, model: model, nanos: nanos)
        }
        return try OpenAIReportReader.nextPage(page, place: place)
    }

    /// Adds a usage report page (tokens only); returns `next_page` when `has_more`.
    package static func addUsage(_ page: JSONValue, to report: inout ProviderReport, where place: String) throws -> String? {
        try forEachResult(page, place: place) { day, result, at in
            func count(_ value: JSONValue?, _ key: String) throws -> Int64 {
                guard let value, !value.isNull else { return 0 }
                guard let n = value.int64Value, n >= 0 else { throw ProviderReportError("\(at): \(key) is not a token count") }
                return n
            }
            var input = try count(result["uncached_input_tokens"], "uncached_input_tokens")
            if case .object(let writes)? = result["cache_creation"] {
                for entry in writes.entries { input += try count(entry.value, "cache_creation.\(entry.key)") }
            }
            let tokens = ProviderReport.Tokens(input: input,
                                               cached: try count(result["cache_read_input_tokens"], "cache_read_input_tokens"),
                                               output: try count(result["output_tokens"], "output_tokens"))
            try report.addTokens(day: day, model: result["model"]?.stringValue ?? "(all models)", tokens)
        }
        return try OpenAIReportReader.nextPage(page, place: place)
    }

    static func forEachResult(_ page: JSONValue, place: String,
                              _ body: (_ day: Int64, _ result: JSONValue, _ at: String) throws -> Void) throws {
        guard case .array(let buckets)? = page["data"] else {
            throw ProviderReportError("\(place): not a report page (no \"data\" array)")
        }
        for (i, bucket) in buckets.enumerated() {
            guard let text = bucket["starting_at"]?.stringValue, let micros = try? ReportTime.parseMicros(text) else {
                throw ProviderReportError("\(place): data[\(i)] has no RFC 3339 starting_at")
            }
            guard case .array(let items)? = bucket["results"] ?? .array([]) else {
                throw ProviderReportError("\(place): data[\(i)].results is not a list")
            }
            for (j, result) in items.enumerated() {
                try body(UTCCalendar.floorDiv(micros, 86_400_000_000), result, "\(place): data[\(i)].results[\(j)]")
            }
        }
    }
}
