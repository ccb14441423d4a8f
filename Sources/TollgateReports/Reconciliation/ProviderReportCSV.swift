import TollgateConfig
import TollgateUnits

/// A provider's cost report exported as CSV (`tollgate reconcile --file`).
/// The header decides how each column is read (names are matched without
/// case; other columns are ignored):
///
/// | | day | model | cost | tokens (optional) |
/// |---|---|---|---|---|
/// | Tollgate | `date` | `model` | `cost_usd` (dollars) | `input_tokens` (not from cache), `cached_tokens`, `output_tokens` |
/// | OpenAI cost export (Usage, Export, Cost data, group by line item, 1 day) | `start_time` (Unix seconds) | from `line_item` ("gpt-4o-2024-08-06, input") | `amount_value` (dollars), `amount_currency` | — |
/// | Anthropic cost export / cost report flattened | `usage_date_utc`, `date` or `starting_at` | `model` (else `description`) | `cost_usd` (dollars), or `amount` (cents) with `currency` | `uncached_input_tokens`, `cache_read_input_tokens`, `output_tokens` |
///
/// A day is `YYYY-MM-DD`, an RFC 3339 timestamp or Unix seconds (UTC).
/// Amounts are exact decimals (a leading `$` is allowed; negative amounts
/// are credits). Any malformed value is an error naming its line and column.
package enum ProviderReportCSV {
    static let dayColumns = ["date", "usage_date_utc", "day", "starting_at", "start_time"]
    static let modelColumns = ["model", "line_item", "description"]
    static let dollarColumns = ["cost_usd", "amount_value", "cost"]
    static let centColumns = ["amount", "amount_cents"]
    static let currencyColumns = ["amount_currency", "currency"]
    static let inputColumns = ["input_tokens", "uncached_input_tokens"]
    static let cachedColumns = ["cached_tokens", "cache_read_input_tokens", "input_cached_tokens"]
    static let outputColumns = ["output_tokens"]

    /// Reads `text` (the file `name`, for messages) as `provider`'s report.
    package static func read(_ text: String, name: String, provider: ReconcileProvider) throws -> ProviderReport {
        let records: [CSVRecords.Record]
        do {
            records = try CSVRecords.parse(text)
        } catch let malformed as CSVRecords.Malformed {
            throw ProviderReportError("\(name):\(malformed.line):\(malformed.column): \(malformed.message)")
        }
        guard let header = records.first else { throw ProviderReportError("\(name): the file is empty (expected a header row)") }
        let names = header.fields.map { $0.trimmingWhitespace().lowercased() }
        func column(_ candidates: [String]) -> Int? {
            for candidate in candidates { if let i = names.firstIndex(of: candidate) { return i } }
            return nil
        }
        func missing(_ what: String, _ candidates: [String]) -> ProviderReportError {
            ProviderReportError("\(name):\(header.line): no \(what) column: expected one of \(candidates.joined(separator: ", ")) "
                + "(columns: date,model,cost_usd[,input_tokens,output_tokens,cached_tokens], or a provider's cost export; "
                + "see docs/finance.md#reconciliation)")
        }
        guard let dayColumn = column(dayColumns) else { throw missing("day", dayColumns) }
        guard let modelColumn = column(modelColumns) else { throw missing("model", modelColumns) }
        let dollarColumn = column(dollarColumns)
        let centColumn = dollarColumn == nil ? column(centColumns) : nil
        guard let costColumn = dollarColumn ?? centColumn else { throw missing("cost", dollarColumns + centColumns) }
        let unitDigits = dollarColumn != nil ? ProviderAmount.dollars : ProviderAmount.cents
        let currencyColumn = column(currencyColumns)
        let tokenColumns = (column(inputColumns), column(cachedColumns), column(outputColumns))
        let hasTokens = tokenColumns.0 != nil || tokenColumns.1 != nil || tokenColumns.2 != nil

        var report = try ProviderReport(provider: provider, source: "file \(name)")
        for record in records.dropFirst() {
            func fail(_ index: Int, _ message: String) -> ProviderReportError {
                ProviderReportError("\(name):\(record.line):\(index + 1): \(names[index]) \(message)")
            }
            guard record.fields.count == names.count else {
                throw ProviderReportError("\(name):\(record.line): \(record.fields.count) field(s) where the header has \(names.count)")
            }
            func value(_ index: Int) -> String { record.fields[index].trimmingWhitespace() }
            let dayText = value(dayColumn)
            guard let day = Self.day(dayText) else {
                throw fail(dayColumn, "'\(dayText)' is not a day (YYYY-MM-DD, RFC 3339 or Unix seconds)")
            }
            var modelText = value(modelColumn)
            // Costs that are no model's tokens (web search) go under their description.
            if modelText.isEmpty, let description = names.firstIndex(of: "description") { modelText = value(description) }
            guard !modelText.isEmpty else { throw fail(modelColumn, "is empty") }
            let model = names[modelColumn] == "line_item" ? OpenAIReportReader.model(ofLineItem: modelText) : modelText
            if let currencyColumn {
                let currency = value(currencyColumn)
                guard currency.isEmpty || currency.lowercased() == "usd" else {
                    throw fail(currencyColumn, "'\(currency)': reconcile compares US dollars")
                }
            }
            var costText = value(costColumn)
            if costText.hasPrefix("$") { costText.removeFirst() } else if costText.hasPrefix("-$") { costText = "-" + costText.dropFirst(2) }
            guard let nanos = ProviderAmount.nanos(costText, unitDigits: unitDigits) else {
                throw fail(costColumn, "'\(value(costColumn))' is not an exact decimal amount (\(unitDigits == 9 ? "dollars" : "cents"))")
            }
            try report.addCost(day: day, model: model, nanos: nanos)
            if hasTokens {
                func count(_ index: Int?) throws -> Int64 {
                    guard let index else { return 0 }
                    let text = value(index)
                    if text.isEmpty { return 0 }
                    guard let n = Int64(text), n >= 0 else { throw fail(index, "'\(text)' is not a token count") }
                    return n
                }
                try report.addTokens(day: day, model: model, ProviderReport.Tokens(input: try count(tokenColumns.0),
                                                                                  cached: try count(tokenColumns.1),
                                                                                  output: try count(tokenColumns.2)))
            }
        }
        return report
    }

    /// Days since 1970 of `2026-11-03`, `2026-11-03T00:00:00Z` or `1793750400`.
    static func day(_ text: String) -> Int64? {
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seconds = Int64(text) {
            return UTCCalendar.floorDiv(seconds, 86_400)
        }
        guard let micros = try? ReportTime.parseMicros(text) else { return nil }
        return UTCCalendar.floorDiv(micros, 86_400_000_000)
    }
}
