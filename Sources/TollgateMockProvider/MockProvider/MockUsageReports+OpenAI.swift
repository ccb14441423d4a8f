import TollgateJSON
import TollgateUnits

/// OpenAI's `GET /v1/organization/costs` and `/v1/organization/usage/completions`:
/// a `page` of daily `bucket`s (`start_time`/`end_time`, Unix seconds),
/// `has_more` and `next_page`. Costs are dollars as a JSON number; grouped
/// by `line_item` they come as "MODEL, input", "MODEL, cached input" and
/// "MODEL, output". Usage grouped by `model` has `input_tokens` (cache reads
/// included), `input_cached_tokens`, `output_tokens`, `num_model_requests`.
extension MockUsageReports {
    private func openAIRange(_ query: MockReportQuery) throws -> (start: Int64, end: Int64) {
        guard let text = query.first("start_time") else {
            throw MockReportPage.Refusal(message: "Missing query parameter 'start_time' (Unix seconds).")
        }
        guard let start = Int64(text) else { throw MockReportPage.Refusal(message: "start_time must be Unix seconds, got '\(text)'.") }
        var end = now()
        if let text = query.first("end_time") {
            guard let value = Int64(text) else { throw MockReportPage.Refusal(message: "end_time must be Unix seconds, got '\(text)'.") }
            end = value
        }
        guard end > start else { throw MockReportPage.Refusal(message: "end_time must be after start_time.") }
        return (start, end)
    }

    private func openAIPage(_ page: MockReportPage, bucket: (Int64) throws -> [JSONValue]) rethrows -> JSONValue {
        let buckets = try page.days.map { day in
            JSONValue.object(JSONObject([
                ("object", .string("bucket")),
                ("start_time", .int(day * 86_400)),
                ("end_time", .int((day + 1) * 86_400)),
                ("results", .array(try bucket(day))),
            ]))
        }
        return .object(JSONObject([
            ("object", .string("page")),
            ("data", .array(buckets)),
            ("has_more", .bool(page.nextPage != nil)),
            ("next_page", page.nextPage.map(JSONValue.string) ?? .null),
        ]))
    }

    func openAICosts(_ query: MockReportQuery) throws -> JSONValue {
        let (start, end) = try openAIRange(query)
        let page = try MockReportPage.make(start: start, end: end, limitText: query.first("limit"), defaultLimit: 7,
                                           maxLimit: 180, page: query.first("page"))
        let cells = try billed(api: .openai, days: page.days)
        let byLineItem = query.all("group_by").contains("line_item")
        func result(_ nanos: Int64, _ lineItem: String?) -> JSONValue {
            .object(JSONObject([
                ("object", .string("organization.costs.result")),
                ("amount", .object(JSONObject([("value", .number(Self.decimal(nanos, unitDigits: 9))),
                                              ("currency", .string("usd"))]))),
                ("line_item", lineItem.map(JSONValue.string) ?? .null),
                ("project_id", .null),
            ]))
        }
        return openAIPage(page) { day in
            let today = cells.filter { $0.day == day }
            guard byLineItem else {
                return today.isEmpty ? [] : [result(today.reduce(0) { $0 + $1.totalNanos }, nil)]
            }
            return today.flatMap { cell -> [JSONValue] in
                var items: [JSONValue] = []
                if cell.usage.inputTokens > 0 || cell.inputNanos > 0 { items.append(result(cell.inputNanos, cell.model + ", input")) }
                if cell.usage.cachedTokens > 0 || cell.cachedNanos > 0 {
                    items.append(result(cell.cachedNanos, cell.model + ", cached input"))
                }
                if cell.usage.outputTokens > 0 || cell.outputNanos > 0 { items.append(result(cell.outputNanos, cell.model + ", output")) }
                return items
            }
        }
    }

    func openAIUsage(_ query: MockReportQuery) throws -> JSONValue {
        let (start, end) = try openAIRange(query)
        let page = try MockReportPage.make(start: start, end: end, limitText: query.first("limit"), defaultLimit: 7,
                                           maxLimit: 31, page: query.first("page"))
        let cells = try billed(api: .openai, days: page.days)
        let byModel = query.all("group_by").contains("model")
        func result(_ model: String?, _ usage: MockUsage, _ requests: Int64) -> JSONValue {
            .object(JSONObject([
                ("object", .string("organization.usage.completions.result")),
                ("input_tokens", .int(usage.inputTokens + usage.cachedTokens)),
                ("output_tokens", .int(usage.outputTokens)),
                ("input_cached_tokens", .int(usage.cachedTokens)),
                ("input_audio_tokens", .int(0)),
                ("output_audio_tokens", .int(0)),
                ("num_model_requests", .int(requests)),
                ("project_id", .null), ("user_id", .null), ("api_key_id", .null),
                ("model", model.map(JSONValue.string) ?? .null),
                ("batch", .null),
            ]))
        }
        return openAIPage(page) { day in
            let today = cells.filter { $0.day == day }
            if byModel { return today.map { result($0.model, $0.usage, $0.requests) } }
            guard !today.isEmpty else { return [] }
            let sum = today.reduce(MockUsage(inputTokens: 0, cachedTokens: 0, outputTokens: 0)) {
                MockUsage(inputTokens: $0.inputTokens + $1.usage.inputTokens, cachedTokens: $0.cachedTokens + $1.usage.cachedTokens,
                          outputTokens: $0.outputTokens + $1.usage.outputTokens)
            }
            return [result(nil, sum, today.reduce(0) { $0 + $1.requests })]
        }
    }
}
