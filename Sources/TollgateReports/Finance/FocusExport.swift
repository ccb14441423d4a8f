import TollgateConfig
import TollgateJSON
import TollgateSQLite
import TollgateUnits

/// `tollgate report focus`: the ledger as a FinOps FOCUS 1.2 cost and
/// usage dataset. One charge per UTC day × org/team/feature × grant path ×
/// owner × model × provider — aggregated, so a year of ledger exports in
/// seconds and a FinOps tool ingests it as it would a cloud bill. Every
/// FOCUS 1.2 mandatory column is present (`FocusExport.mandatoryColumns`),
/// plus the 1.3 provider names and the gateway's own attribution as `x_`
/// columns. Costs are exact decimals of the ledger's integer nano-dollars:
/// BilledCost adds up to the ledger's `cost_nanos` to the nano-dollar.
/// Rows that consumed nothing (no tokens, no cost: refusals, answers a
/// plugin gave itself) are not charges and are left out.
package struct FocusExport: Sendable {
    /// One row of the export: a day's spend of one attribution.
    package struct Charge: Equatable, Sendable {
        /// Days since 1970-01-01 (UTC).
        package var day: Int64
        package var org: String?
        package var team: String?
        package var feature: String?
        /// Grants charged, root first (the ledger's `grant_ids`); empty: none.
        package var grantPath: [String]
        /// Owner of the deepest grant (`grant_owner`).
        package var grantOwner: String?
        /// Who the charge is to: the grant's owner, else the key's owner.
        package var owner: String?
        package var model: String?
        package var provider: String?
        package var totals: SpendReport.Totals
    }

    /// FOCUS's BillingAccountId / Name when `finance:` sets them (else the org's name).
    package var billingAccountId: String?
    package var billingAccountName: String?
    /// `orgs[].teams[].cost_center`, by [org, team].
    package var costCenters: [[String]: String]

    package init(billingAccountId: String? = nil, billingAccountName: String? = nil, costCenters: [[String]: String] = [:]) {
        self.billingAccountId = billingAccountId
        self.billingAccountName = billingAccountName
        self.costCenters = costCenters
    }

    package init(config: TollgateConfig) {
        var centers: [[String]: String] = [:]
        for org in config.orgs {
            for team in org.teams {
                if let center = team.costCenter { centers[[org.name, team.name]] = center }
            }
        }
        self.init(billingAccountId: config.finance.billingAccountId, billingAccountName: config.finance.billingAccountName,
                  costCenters: centers)
    }

    /// The 21 columns FOCUS 1.2 makes mandatory.
    package static let mandatoryColumns = [
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
        "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
        "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
        "ServiceCategory", "ServiceName",
    ]

    static let sql = """
        SELECT ts_us / 86400000000, org, team, feature, grant_ids, grant_owner, COALESCE(grant_owner, owner),
          COALESCE(model_served, model_requested), provider,
          tokens_in, tokens_out, tokens_cached, cost_nanos, usage_estimated
        FROM ledger WHERE ts_us >= ?1 AND ts_us < ?2
          AND (cost_nanos <> 0 OR tokens_in <> 0 OR tokens_out <> 0 OR tokens_cached <> 0)
        """

    /// The charges of `range`, sorted by day, org, team, feature, grant
    /// path, owner, model and provider. Checks the ledger has the grant
    /// columns (schema 2) first.
    package static func charges(ledgerAt path: String, range: LedgerTimeRange, slices: Int? = nil) throws -> [Charge] {
        _ = try LedgerFile.openForReading(path, dimensions: [.grant, try ReportDimension.parse("grant_owner")])
        let scanned = try LedgerScan(path: path).aggregate(sql: sql, range: range, dimensions: 9, slices: slices)
        var paths: [String: [String]] = [:]
        func text(_ value: SQLiteValue) -> String? {
            switch value {
            case .text(let t): return t
            case .integer(let n): return String(n)
            case .real(let r): return String(r)
            case .null: return nil
            }
        }
        let charges = scanned.groups.map { group -> Charge in
            let k = group.keys
            let json = text(k[4]) ?? "[]"
            let path: [String]
            if let known = paths[json] {
                path = known
            } else {
                path = ((try? JSONValue.parse(json))?.arrayValue ?? []).compactMap(\.stringValue)
                paths[json] = path
            }
            let day: Int64
            if case .integer(let d) = k[0] { day = d } else { day = 0 }
            return Charge(day: day, org: text(k[1]), team: text(k[2]), feature: text(k[3]), grantPath: path,
                          grantOwner: text(k[5]), owner: text(k[6]), model: text(k[7]), provider: text(k[8]),
                          totals: group.totals)
        }
        return sorted(charges)
    }

    /// Sorts by ranks of each field's distinct values (few), so the sort
    /// compares integers rather than strings.
    static func sorted(_ charges: [Charge]) -> [Charge] {
        func ranks(_ field: (Charge) -> String?) -> [String?: Int] {
            let distinct = Set(charges.map(field))
            let ordered = distinct.sorted { ($0 ?? "") < ($1 ?? "") || ($0 == nil && $1 == "") }
            return Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) })
        }
        let fields: [(Charge) -> String?] = [
            \.org, \.team, \.feature, { $0.grantPath.joined(separator: "/") }, \.owner, \.grantOwner, \.model, \.provider,
        ]
        let tables = fields.map(ranks)
        let keys: [[Int64]] = charges.map { charge in
            [charge.day] + zip(fields, tables).map { field, table in Int64(table[field(charge)]!) }
        }
        let order = charges.indices.sorted { a, b in keys[a].lexicographicallyPrecedes(keys[b]) }
        return order.map { charges[$0] }
    }

    /// Provider ids as FOCUS names them.
    static func providerName(_ id: String?) -> String {
        switch id {
        case "openai": return "OpenAI"
        case "anthropic": return "Anthropic"
        case "mock": return "Mock"
        case let other?: return other
        case nil: return "(unknown)"
        }
    }
}
