import TollgateUnits

extension FocusExport {
    /// A cell of the export.
    enum Value {
        case text(String)
        case integer(Int64)
        /// An exact decimal: `units` of 10^-`scale` (nano-dollars: scale 9).
        case decimal(Int64, scale: Int)
        /// FOCUS null: an empty CSV field, JSON null.
        case null
    }

    /// The export's columns in order: the FOCUS 1.2 columns (the mandatory
    /// ones and those a usage charge fills), the 1.3 provider names, then
    /// Tollgate's attribution as custom `x_` columns.
    package static let columns = [
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
        "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
        "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "EffectiveCost", "HostProviderName", "InvoiceIssuerName",
        "ListCost", "PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
        "ServiceCategory", "ServiceName", "ServiceProviderName", "ServiceSubcategory", "SkuId", "SkuPriceId",
        "SubAccountId", "SubAccountName",
        "x_Org", "x_Team", "x_Feature", "x_CostCenter", "x_Grant", "x_GrantPath", "x_GrantOwner", "x_Owner",
        "x_Requests", "x_TokensIn", "x_TokensOut", "x_TokensCached", "x_EstimatedRequests", "x_BilledCostNanos",
    ]

    /// Catalog prices are per million tokens: the pricing unit.
    static let pricingUnit = "1000000 Tokens"

    /// The dates of one day's charges, clipped to the export's range.
    struct Dates {
        var day: Int64
        var chargeStart: String
        var chargeEnd: String
        var billingStart: String
        var billingEnd: String

        init(day: Int64, range: LedgerTimeRange) {
            self.day = day
            let start = max(day * 86_400, UTCCalendar.floorDiv(range.from, 1_000_000))
            let end = min((day + 1) * 86_400, UTCCalendar.floorDiv(range.to + 999_999, 1_000_000))
            chargeStart = UTCCalendar.iso8601(start)
            chargeEnd = UTCCalendar.iso8601(end)
            let civil = UTCCalendar.civil(fromDays: day)
            let monthStart = UTCCalendar.days(year: civil.year, month: civil.month, day: 1)
            let nextMonth = civil.month == 12
                ? UTCCalendar.days(year: civil.year + 1, month: 1, day: 1)
                : UTCCalendar.days(year: civil.year, month: civil.month + 1, day: 1)
            billingStart = UTCCalendar.iso8601(monthStart * 86_400)
            billingEnd = UTCCalendar.iso8601(nextMonth * 86_400)
        }
    }

    /// The cells of `charge`, in `columns` order.
    func values(_ charge: Charge, dates: Dates) -> [Value] {
        func text(_ s: String?) -> Value { s.map(Value.text) ?? .null }
        let t = charge.totals
        let cost = Value.decimal(t.costNanos, scale: 9)
        let tokens = Saturating.add(Saturating.add(t.tokensIn, t.tokensOut), t.tokensCached)
        let provider = Self.providerName(charge.provider)
        let org = charge.org ?? "(none)"
        let team = charge.team ?? "(none)"
        let model = charge.model ?? "(unknown)"
        let account = billingAccountId ?? org
        let center = charge.org.flatMap { o in charge.team.flatMap { costCenters[[o, $0]] } }
        var description = model + " tokens on " + provider + " for " + org + "/" + team
        if let feature = charge.feature { description += ", feature " + feature }
        return [
            cost, .text(account), .text(billingAccountName ?? account), .text("USD"),
            .text(dates.billingEnd), .text(dates.billingStart),
            .text("Usage"), .null, .text(description), .text("Usage-Based"), .text(dates.chargeEnd), .text(dates.chargeStart),
            .integer(tokens), .text("Tokens"), cost, cost, .text(provider), .text(provider),
            cost, .text("Standard"), .decimal(tokens, scale: 6), .text(Self.pricingUnit), .text(provider), .text(provider),
            .text("AI and Machine Learning"), .text(provider + " API"), .text(provider), .text("Generative AI"),
            .text(model), .text(model),
            .text(org + "/" + team), .text(team),
            text(charge.org), text(charge.team), text(charge.feature), text(center), text(charge.grantPath.last),
            charge.grantPath.isEmpty ? .null : .text(charge.grantPath.joined(separator: "/")), text(charge.grantOwner),
            text(charge.owner),
            .integer(t.requests), .integer(t.tokensIn), .integer(t.tokensOut), .integer(t.tokensCached),
            .integer(t.estimatedRequests), .integer(t.costNanos),
        ]
    }
}
