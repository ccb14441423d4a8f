import TollgateConfig
import TollgateUnits

/// How the mock bills what it served, for its usage and cost report
/// endpoints: the price of each model (the gateway's catalog prices when
/// it is given the gateway's config, so an undisturbed run reconciles to
/// zero drift), a markup per model to plant drift, and the admin key the
/// report endpoints require.
package struct MockInvoice: Sendable {
    /// Prices by model name (upstream and public names), read each time a
    /// report is asked for; may throw (a config that does not load).
    package var prices: @Sendable () throws -> [String: Price]
    /// Basis points added to a model's billed cost (1000: +10%; negative:
    /// a discount, down to -10000); `*` applies to every model without its own.
    package var markupBasisPoints: [String: Int64]
    /// The one admin key the report endpoints accept; nil: any non-empty key.
    package var adminKey: String?

    /// The price of a model the mock knows no price for, per million
    /// tokens: $1.00 input, $2.00 output, $0.10 cache reads.
    package static let defaultPrice = Price(inputPerMTokNanos: 1_000_000_000, outputPerMTokNanos: 2_000_000_000,
                                            cachedPerMTokNanos: 100_000_000)

    package init(prices: @escaping @Sendable () throws -> [String: Price] = { [:] },
                 markupBasisPoints: [String: Int64] = [:], adminKey: String? = nil) {
        self.prices = prices
        self.markupBasisPoints = markupBasisPoints
        self.adminKey = adminKey
    }

    /// The prices of a catalog: each model under its public name and under
    /// the upstream model of each of its deployments (the first entry wins
    /// when two share a name).
    package static func prices(of catalog: ModelCatalog) -> [String: Price] {
        var prices: [String: Price] = [:]
        for entry in catalog.entries {
            for name in [entry.name, entry.upstreamModel] + entry.deployments.map(\.upstreamModel) where prices[name] == nil {
                prices[name] = entry.price
            }
        }
        return prices
    }

    package func markup(for model: String) -> Int64 {
        markupBasisPoints[model] ?? markupBasisPoints["*"] ?? 0
    }
}

/// A day and model as billed: the total and its split into the token kinds
/// (line items). The parts add up to the total exactly.
package struct MockBilledCell: Sendable, Equatable {
    package var day: Int64
    package var model: String
    package var requests: Int64
    package var usage: MockUsage
    /// Nano-dollars, markup included.
    package var totalNanos: Int64
    package var inputNanos: Int64
    package var cachedNanos: Int64
    /// The rest of the total, so the parts add up exactly.
    package var outputNanos: Int64 { totalNanos - inputNanos - cachedNanos }
}

package struct MockBillingOverflow: Error, CustomStringConvertible {
    package var model: String
    package var description: String { "the mock's bill for \(model) does not fit in 64-bit nano-dollars" }
}

extension MockInvoice {
    /// Bills a cell: each call costs what the gateway's one cost formula
    /// (`Cost.nanos`, rounded up per call) says at the model's price, so
    /// the total equals the ledger's to the nano-dollar; then the markup,
    /// cost x bp / 10000 rounded to the nearest nano-dollar (halves away
    /// from zero). Input and cache reads are priced on the day's tokens,
    /// rounded down and marked up the same way; output is the rest.
    package func bill(_ cell: MockBilling.Cell, prices: [String: Price]) throws -> MockBilledCell {
        let price = prices[cell.model] ?? Self.defaultPrice
        var base: Int64 = 0
        for (usage, count) in cell.usages {
            guard let one = Cost.nanos(price: price, tokensIn: usage.inputTokens, tokensOut: usage.outputTokens,
                                       tokensCached: usage.cachedTokens) else { throw MockBillingOverflow(model: cell.model) }
            let (calls, o1) = one.multipliedReportingOverflow(by: count)
            let (sum, o2) = base.addingReportingOverflow(calls)
            guard !o1, !o2 else { throw MockBillingOverflow(model: cell.model) }
            base = sum
        }
        let usage = MockUsage(inputTokens: cell.tokens(\.inputTokens), cachedTokens: cell.tokens(\.cachedTokens),
                              outputTokens: cell.tokens(\.outputTokens))
        let bp = min(1_000_000, max(-10_000, markup(for: cell.model)))
        guard let total = Self.markedUp(base, bp), let inputBase = Self.floorNanos(usage.inputTokens, price.inputPerMTokNanos),
              let cachedBase = Self.floorNanos(usage.cachedTokens, price.cachedPerMTokNanos),
              let input = Self.markedUp(inputBase, bp, roundDown: true),
              let cached = Self.markedUp(cachedBase, bp, roundDown: true)
        else { throw MockBillingOverflow(model: cell.model) }
        return MockBilledCell(day: cell.day, model: cell.model, requests: cell.requests, usage: usage, totalNanos: total,
                              inputNanos: input, cachedNanos: cached)
    }

    /// floor(tokens x perMillion / 1e6), nil when it does not fit.
    static func floorNanos(_ tokens: Int64, _ perMillion: Int64) -> Int64? {
        guard tokens >= 0, perMillion >= 0 else { return nil }
        let product = UInt64(tokens).multipliedFullWidth(by: UInt64(perMillion))
        guard product.high < 1_000_000 else { return nil }
        let quotient = UInt64(1_000_000).dividingFullWidth(product).quotient
        return quotient <= UInt64(Int64.max) ? Int64(quotient) : nil
    }

    /// amount + amount x bp / 10000: rounded half away from zero, or down.
    static func markedUp(_ amount: Int64, _ bp: Int64, roundDown: Bool = false) -> Int64? {
        guard bp != 0 else { return amount }
        let product = amount.multipliedFullWidth(by: bp)
        let (quotient, remainder) = Int64(10_000).dividingFullWidth(product)
        var markup = quotient
        if !roundDown, remainder.magnitude * 2 >= 10_000 { markup += remainder < 0 ? -1 : 1 }
        if roundDown, remainder < 0 { markup -= 1 }
        let (total, overflow) = amount.addingReportingOverflow(markup)
        return overflow || total < 0 ? nil : total
    }
}
