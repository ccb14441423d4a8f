import TollgateJSON
import TollgateUnits

/// Anthropic's `GET /v1/organizations/cost_report` and
/// `/v1/organizations/usage_report/messages`: `data`, a list of daily
/// buckets (`starting_at`/`ending_at`, RFC 3339), `has_more`, `next_page`.
/// Costs are in cents ("USD" in its lowest units) as a decimal string;
/// grouped by `description` each result names its `model` and `token_type`
/// (`uncached_input_tokens`, `cache_read_input_tokens`, `output_tokens`).
/// Usage grouped by `model` has `uncached_input_tokens`,
/// `cache_read_input_tokens`, `cache_creation` and `output_tokens`.
extension MockUsageReports {
    private func anthropicRange(_ query: MockReportQuery) throws -> (start: Int64, end: Int64) {
        guard let text = query.first("starting_at") else {
            throw MockReportPage.Refusal(message: "starting_at: field required (an RFC 3339 timestamp).")
        }
        guard let start = MockReportQuery.rfc3339Seconds(text) else {
            throw MockReportPage.Refusal(message: "starting_at: '\(text)' is not an RFC 3339 timestamp.")
        }
        var end = now()
        if let text = query.first("ending_at") {
            guard let value = MockReportQuery.rfc3339Seconds(text) else {
                throw MockReportPage.Refusal(message: "ending_at: '\(text)' is not an RFC 3339 timestamp.")
            }
            end = value
        }
        guard end > start else { throw MockReportPage.Refusal(message: "ending_at must be after starting_at.") }
        return (start, end)
    }

    private func anthropicPage(_ page: MockReportPage, bucket: (Int64) throws -> [JSONValue]) rethrows -> JSONValue {
        let buckets = try page.days.map { day in
            JSONValue.object(JSONObject([
                ("starting_at", .string(UTCCalendar.iso8601(day * 86_400))),
                ("ending_at", .string(UTCCalendar.iso8601((day + 1) * 86_400))),
                ("results", .array(try bucket(day))),
            ]))
        }
        return .object(JSONObject([
            ("data", .array(buckets)),
            ("has_more", .bool(page.nextPage != nil)),
            ("next_page", page.nextPage.map(JSONValue.string) ?? .null),
        ]))
    }

    func anthropicCosts(_ query: MockReportQuery) throws -> JSONValue {
        let (start, end) = try anthropicRange(query)
        let page = try MockReportPage.make(start: start, end: end, limitText: query.first("limit"), defaultLimit: 7,
                                           maxLimit: 31, page: query.first("page"))
        let cells = try billed(api: .anthropic, days: page.days)
        let byDescription = query.all("group_by").contains("description")
        func result(_ nanos: Int64, model: String?, tokenType: String?, description: String?) -> JSONValue {
            .object(JSONObject([
                ("currency", .string("USD")),
                ("amount", .string(Self.decimal(nanos, unitDigits: 7))),
                ("workspace_id", .null),
                ("description", description.map(JSONValue.string) ?? .null),
                ("cost_type", description == nil ? .null : .string("tokens")),
                ("context_window", description == nil ? .null : .string("0-200k")),
                ("model", model.map(JSONValue.string) ?? .null),
                ("service_tier", description == nil ? .null : .string("standard")),
                ("token_type", tokenType.map(JSONValue.string) ?? .null),
            ]))
        }
        return anthropicPage(page) { day in
            let today = cells.filter { $0.day == day }
            guard byDescription else {
                return today.isEmpty ? [] : [result(today.reduce(0) { $0 + $1.totalNanos }, model: nil, tokenType: nil, description: nil)]
            }
            return today.flatMap { cell -> [JSONValue] in
                var items: [JSONValue] = []
                func item(_ nanos: Int64, _ tokens: Int64, _ type: String, _ what: String) {
                    guard tokens > 0 || nanos > 0 else { return }
                    items.append(result(nanos, model: cell.model, tokenType: type, description: "\(cell.model) Usage - \(what)"))
                }
                item(cell.inputNanos, cell.usage.inputTokens, "uncached_input_tokens", "Input Tokens")
                item(cell.cachedNanos, cell.usage.cachedTokens, "cache_read_input_tokens", "Input Tokens, Cache Hit")
                item(cell.outputNanos, cell.usage.outputTokens, "output_tokens", "Output Tokens")
                return items
            }
        }
    }

    func anthropicUsage(_ query: MockReportQuery) throws -> JSONValue {
        let (start, end) = try anthropicRange(query)
        let page = try MockReportPage.make(start: start, end: end, limitText: query.first("limit"), defaultLimit: 7,
                                           maxLimit: 31, page: query.first("page"))
        let cells = try billed(api: .anthropic, days: page.days)
        let byModel = query.all("group_by").contains("model")
        func result(_ model: String?, _ usage: MockUsage) -> JSONValue {
            .object(JSONObject([
                ("uncached_input_tokens", .int(usage.inputTokens)),
                ("cache_creation", .object(JSONObject([("ephemeral_1h_input_tokens", .int(0)),
                                                       ("ephemeral_5m_input_tokens", .int(0))]))),
                ("cache_read_input_tokens", .int(usage.cachedTokens)),
                ("output_tokens", .int(usage.outputTokens)),
                ("server_tool_use", .object(JSONObject([("web_search_requests", .int(0))]))),
                ("api_key_id", .null), ("workspace_id", .null),
                ("model", model.map(JSONValue.string) ?? .null),
                ("service_tier", .null), ("context_window", .null),
            ]))
        }
        return anthropicPage(page) { day in
            let today = cells.filter { $0.day == day }
            if byModel { return today.map { result($0.model, $0.usage) } }
            guard !today.isEmpty else { return [] }
            return [result(nil, today.reduce(MockUsage(inputTokens: 0, cachedTokens: 0, outputTokens: 0)) {
                MockUsage(inputTokens: $0.inputTokens + $1.usage.inputTokens, cachedTokens: $0.cachedTokens + $1.usage.cachedTokens,
                          outputTokens: $0.outputTokens + $1.usage.outputTokens)
            })]
        }
    }
}
