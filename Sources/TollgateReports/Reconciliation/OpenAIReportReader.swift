import TollgateJSON
import TollgateUnits

/// Reads pages of OpenAI's organization costs (`GET /v1/organization/costs`,
/// grouped by `line_item`) and completions usage (`GET
/// /v1/organization/usage/completions`, grouped by `model`) into a
/// `ProviderReport`. Each page: `{"object": "page", "data": [bucket...],
/// "has_more", "next_page"}`; a bucket: `start_time`, `end_time` (Unix
/// seconds) and `results`.
package enum OpenAIReportReader {
    /// Adds a costs page; returns `next_page` when `has_more`.
    package static func addCosts(_ page: JSONValue, to report: inout ProviderReport, where place: String) throws -> String? {
        try forEachResult(page, place: place) { day, result, at in
            guard let amount = result["amount"], amount.objectValue != nil else {
                throw ProviderReportError("\(at): no amount")
            }
            let currency = amount["currency"]?.stringValue ?? "usd"
            guard currency.lowercased() == "usd" else {
                throw ProviderReportError("\(at): amount in \(currency); reconcile compares US dollars")
            }
            let text: String?
            switch amount["value"] {
            case .number(let t)?: text = t
            case .string(let t)?: text = t
            default: text = nil
            }
            guard let text, let nanos = ProviderAmount.nanos(text, unitDigits: ProviderAmount.dollars) else {
                throw ProviderReportError("\(at): amount.value is not a dollar amount")
            }
            try report.addCost(day: day, model: model(ofLineItem: result["line_item"]?.stringValue), nanos: nanos)
        }
        return try nextPage(page, place: place)
    }

    /// Adds a usage page (tokens only); returns `next_page` when `has_more`.
    package static func addUsage(_ page: JSONValue, to report: inout ProviderReport, where place: String) throws -> String? {
        try forEachResult(page, place: place) { day, result, at in
            func count(_ key: String) throws -> Int64 {
                guard let value = result[key] else { return 0 }
                guard let n = value.int64Value, n >= 0 else { throw ProviderReportError("\(at): \(key) is not a token count") }
                return n
            }
            let input = try count("input_tokens")
            let cached = try count("input_cached_tokens")
            let model = result["model"]?.stringValue ?? "(all models)"
            // input_tokens includes the cache reads; the ledger counts them apart.
            try report.addTokens(day: day, model: model,
                                 ProviderReport.Tokens(input: max(0, input - cached), cached: cached, output: try count("output_tokens")))
        }
        return try nextPage(page, place: place)
    }

    /// The model a cost line item is for: "gpt-4o-2024-08-06, input" and
    /// "priority | gpt-4o-2024-08-06, cached input" are gpt-4o-2024-08-06,
    /// "gpt-image-1 image, output" is gpt-image-1; an item that names no
    /// token kind ("web search tool calls") is its own name.
    package static func model(ofLineItem lineItem: String?) -> String {
        guard var text = lineItem?.trimmingWhitespace(), !text.isEmpty else { return "(no line item)" }
        if let bar = text.range(of: " | ") { text = String(text[bar.upperBound...]).trimmingWhitespace() }
        guard let comma = text.firstIndex(of: ",") else { return text }
        let head = text[..<comma]
        return head.split(separator: " ").first.map(String.init) ?? String(head)
    }

    static func forEachResult(_ page: JSONValue, place: String,
                              _ body: (_ day: Int64, _ result: JSONValue, _ at: String) throws -> Void) throws {
        guard case .array(let buckets)? = page["data"] else {
            throw ProviderReportError("\(place): not a page of buckets (no \"data\" array)")
        }
        for (i, bucket) in buckets.enumerated() {
            guard let start = bucket["start_time"]?.int64Value else {
                throw ProviderReportError("\(place): data[\(i)] has no start_time")
            }
            let results = bucket["results"] ?? bucket["result"] ?? .array([])
            guard case .array(let items) = results else { throw ProviderReportError("\(place): data[\(i)].results is not a list") }
            for (j, result) in items.enumerated() {
                try body(UTCCalendar.floorDiv(start, 86_400), result, "\(place): data[\(i)].results[\(j)]")
            }
        }
    }

    static func nextPage(_ page: JSONValue, place: String) throws -> String? {
        guard page["has_more"]?.boolValue == true else { return nil }
        guard let next = page["next_page"]?.stringValue, !next.isEmpty else {
            throw ProviderReportError("\(place): has_more is true but there is no next_page")
        }
        return next
    }
}
