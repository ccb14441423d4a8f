import TollgateConfig
import TollgateJSON
import TollgateSupport
import TollgateUnits

/// The providers' own usage and cost reports, served from what the mock
/// billed (deterministic: the calls it answered, priced by `MockInvoice`),
/// in each provider's shape: OpenAI's organization costs and completions
/// usage, Anthropic's cost report and messages usage report. They need an
/// admin key, as the real ones do. `tollgate reconcile` reads them.
struct MockUsageReports: Sendable {
    let invoice: MockInvoice
    let recorder: MockProviderRecorder
    /// Unix seconds (a report without an end runs to now).
    let now: @Sendable () -> Int64

    static let openAICosts = "/v1/organization/costs"
    static let openAIUsage = "/v1/organization/usage/completions"
    static let anthropicCosts = "/v1/organizations/cost_report"
    static let anthropicUsage = "/v1/organizations/usage_report/messages"

    /// The answer to `GET path`, or nil when it is not a report route.
    func answer(path: String, uri: String, headers: [(String, String)]) -> (status: Int, body: [UInt8])? {
        let api: MockAPI
        switch path {
        case Self.openAICosts, Self.openAIUsage: api = .openai
        case Self.anthropicCosts, Self.anthropicUsage: api = .anthropic
        default: return nil
        }
        if let refusal = authenticate(api: api, headers: headers) { return refusal }
        let query = MockReportQuery(uri: uri)
        do {
            if let width = query.first("bucket_width"), width != "1d" {
                throw MockReportPage.Refusal(message: "bucket_width '\(width)': the mock provider serves daily buckets (1d) only.")
            }
            let body: JSONValue
            switch path {
            case Self.openAICosts: body = try openAICosts(query)
            case Self.openAIUsage: body = try openAIUsage(query)
            case Self.anthropicCosts: body = try anthropicCosts(query)
            default: body = try anthropicUsage(query)
            }
            return (200, body.serialized())
        } catch let refusal as MockReportPage.Refusal {
            return (400, Array(MockErrors.body(api: api, status: 400, message: refusal.message).utf8))
        } catch {
            return (500, Array(MockErrors.body(api: api, status: 500, message: "The mock provider cannot bill: \(error)").utf8))
        }
    }

    /// OpenAI: `Authorization: Bearer <admin key>`. Anthropic: `x-api-key`
    /// and `anthropic-version` (whose absence is a 400, as there).
    private func authenticate(api: MockAPI, headers: [(String, String)]) -> (status: Int, body: [UInt8])? {
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name }.map { $0.1.trimmingSpaces() }
        }
        let presented: String?
        switch api {
        case .openai:
            let value = header("authorization") ?? ""
            presented = value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)).trimmingSpaces() : nil
        case .anthropic:
            presented = header("x-api-key")
        }
        func refuse(_ status: Int, _ message: String) -> (status: Int, body: [UInt8]) {
            (status, Array(MockErrors.body(api: api, status: status, message: message).utf8))
        }
        guard let key = presented, !key.isEmpty else {
            return refuse(401, api == .openai
                ? "You didn't provide an API key. Usage and cost reports need an admin key in the Authorization header (Bearer)."
                : "x-api-key header is required: usage and cost reports need an admin key.")
        }
        if let expected = invoice.adminKey, key != expected {
            return refuse(401, api == .openai ? "Incorrect API key provided: this is not the organization's admin key."
                                             : "invalid x-api-key: this is not the organization's admin key.")
        }
        if api == .anthropic, (header("anthropic-version") ?? "").isEmpty {
            return refuse(400, "anthropic-version: header is required")
        }
        return nil
    }

    /// The billed cells of `api` on `days`.
    func billed(api: MockAPI, days: Range<Int64>) throws -> [MockBilledCell] {
        let prices = try invoice.prices()
        return try recorder.billed.cells(api: api, fromDay: days.lowerBound, toDay: days.upperBound)
            .map { try invoice.bill($0, prices: prices) }
    }

    /// Exact decimal text of `nanos` in a unit of 10^`unitDigits` nano-dollars:
    /// 9 for dollars ("0.0000264"), 7 for cents ("0.00264").
    static func decimal(_ nanos: Int64, unitDigits: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<unitDigits { scale *= 10 }
        let whole = nanos.magnitude / scale
        var fraction = String(nanos.magnitude % scale)
        fraction = String(repeating: "0", count: unitDigits - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (nanos < 0 ? "-" : "") + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }
}
