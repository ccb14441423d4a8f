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

    /// An attribution's cells, worked out once for all its days.
    struct Cells {
        var account: Value
        var accountName: Value
        var description: Value
        var provider: Value
        var serviceName: Value
        var model: Value
        var subAccountId: Value
        var subAccountName: Value
        var attribution: [Value]
    }

    func cells(_ a: Attribution) -> Cells {
        func text(_ s: String?) -> Value { s.map(Value.text) ?? .null }
        let provider = Self.providerName(a.provider)
        let org = a.org ?? "(none)"
        let team = a.team ?? "(none)"
        let model = a.model ?? "(unknown)"
        let account = billingAccountId ?? org
        let center = a.org.flatMap { o in a.team.flatMap { costCenters[[o, $0]] } }
        var description = model + " tokens on " + provider + " for " + org + "/" + team
        if let feature = a.feature { description += ", feature " + feature }
        return Cells(account: .text(account), accountName: .text(billingAccountName ?? account), description: .text(description),
                     provider: .text(provider), serviceName: .text(provider + " API"), model: .text(model),
                     subAccountId: .text(org + "/" + team), subAccountName: .text(team),
                     attribution: [text(a.org), text(a.team), text(a.feature), text(center), text(a.grantPath.last),
                                   a.grantPath.isEmpty ? .null : .text(a.grantPath.joined(separator: "/")),
                                   text(a.grantOwner), text(a.owner)])
    }

    /// Where the cells that change from charge to charge go in a row (its
    /// day's dates, its sums), in `chargeValues` order; every other cell is
    /// the attribution's or a constant (`attributionRow`), so the writer
    /// renders it once per attribution.
    static let chargeColumns = [0, 4, 5, 10, 11, 12, 14, 15, 18, 20, 40, 41, 42, 43, 44, 45]

    /// A row of the attribution of `c`, `.null` where the charge's own
    /// cells go (`chargeColumns`).
    func attributionRow(_ c: Cells) -> [Value] {
        var row: [Value] = [
            .null, c.account, c.accountName, .text("USD"), .null, .null,
            .text("Usage"), .null, c.description, .text("Usage-Based"), .null, .null,
            .null, .text("Tokens"), .null, .null, c.provider, c.provider,
            .null, .text("Standard"), .null, .text(Self.pricingUnit), c.provider, c.provider,
            .text("AI and Machine Learning"), c.serviceName, c.provider, .text("Generative AI"), c.model, c.model,
            c.subAccountId, c.subAccountName,
        ]
        row.reserveCapacity(Self.columns.count)
        row += c.attribution
        row += Array(repeating: .null, count: 6)
        return row
    }

    /// The charge's own cells, in `chargeColumns` order: BilledCost,
    /// BillingPeriodEnd/Start, ChargePeriodEnd/Start, ConsumedQuantity,
    /// ContractedCost, EffectiveCost, ListCost, PricingQuantity, then the
    /// x_ sums.
    func chargeValues(_ charge: Charge, dates: Dates) -> [Value] {
        let t = charge.totals
        let cost = Value.decimal(t.costNanos, scale: 9)
        let tokens = Saturating.add(Saturating.add(t.tokensIn, t.tokensOut), t.tokensCached)
        return [cost, .text(dates.billingEnd), .text(dates.billingStart), .text(dates.chargeEnd), .text(dates.chargeStart),
                .integer(tokens), cost, cost, cost, .decimal(tokens, scale: 6),
                .integer(t.requests), .integer(t.tokensIn), .integer(t.tokensOut), .integer(t.tokensCached),
                .integer(t.estimatedRequests), .integer(t.costNanos)]
    }

    /// The cells of `charge`, in `columns` order.
    func values(_ charge: Charge, _ c: Cells, dates: Dates) -> [Value] {
        var row = attributionRow(c)
        for (column, value) in zip(Self.chargeColumns, chargeValues(charge, dates: dates)) { row[column] = value }
        return row
    }
}
