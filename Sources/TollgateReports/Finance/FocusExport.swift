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
    /// Who and what a charge is for: everything but the day.
    package struct Attribution: Hashable, Sendable {
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

        /// The sort order of the export (after the day); none before "".
        var sortKey: [String] {
            func key(_ s: String?) -> String { s.map { "\u{1}" + $0 } ?? "" }
            return [key(org), key(team), key(feature), grantPath.joined(separator: "/"), key(owner), key(grantOwner),
                    key(model), key(provider)]
        }
    }

    /// One row of the export: a day's spend of one attribution.
    package struct Charge: Equatable, Sendable {
        /// Days since 1970-01-01 (UTC).
        package var day: Int64
        /// Index in `Charges.attributions`.
        package var attribution: Int
        package var totals: SpendReport.Totals
    }

    /// The export's rows: a few thousand attributions, each charged on
    /// many days. Sorted by day, then attribution (org, team, feature,
    /// grant path, owner, grant owner, model, provider).
    package struct Charges: Equatable, Sendable {
        package var attributions: [Attribution]
        package var rows: [Charge]

        package var count: Int { rows.count }

        /// The charges whose org and team `scope` covers (a credential's
        /// download from the dashboard).
        package func narrowed(to scope: FinanceScope) -> Charges {
            guard scope != .everything else { return self }
            return Charges(attributions: attributions, rows: rows.filter { charge in
                let a = attributions[charge.attribution]
                return scope.covers(org: a.org, team: a.team)
            })
        }
        package var costNanos: Int64 { rows.reduce(0) { Saturating.add($0, $1.totals.costNanos) } }
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

    /// `grant_owner IS NULL` rather than the column itself: with the owner
    /// (the grant's, else the key's) it says the same in fewer key bytes.
    static let query = LedgerQuery(
        select: ["ts_us / 86400000000", "org", "team", "feature", "grant_ids", "grant_owner IS NULL",
                 "COALESCE(grant_owner, owner)", "COALESCE(model_served, model_requested)", "provider",
                 "tokens_in", "tokens_out", "tokens_cached", "cost_nanos", "usage_estimated"],
        filter: "cost_nanos <> 0 OR tokens_in <> 0 OR tokens_out <> 0 OR tokens_cached <> 0")

    /// The same groups from the daily rollup: its `consumed` rows are the
    /// ledger rows the filter above keeps.
    static let dailyQuery = LedgerQuery(
        select: ["day", "org", "team", "feature", "grant_ids", "grant_owner IS NULL", "COALESCE(grant_owner, owner)", "model",
                 "provider", "requests", "tokens_in", "tokens_out", "tokens_cached", "cost_nanos", "estimated_requests"],
        filter: "consumed", source: .daily)

    /// The charges of `range`: from the daily rollup when the range is
    /// whole UTC days and the ledger has it (`LedgerRollup`; `rollup:
    /// false` reads the rows regardless), else from the rows. Checks the
    /// ledger has the grant columns (schema 2) first.
    package static func charges(ledgerAt path: String, range: LedgerTimeRange, slices: Int? = nil,
                                prefer: LedgerScan.Plan.Kind? = nil, rollup: Bool = true) throws -> Charges {
        _ = try LedgerFile.openForReading(path, dimensions: [.grant, try ReportDimension.parse("grant_owner")])
        let scanned = try LedgerScan(path: path).aggregate(rows: query, daily: dailyQuery, range: range, dimensions: 9,
                                                           slices: slices, prefer: prefer, rollup: rollup)
        func text(_ value: SQLiteValue) -> String? {
            switch value {
            case .text(let t): return t
            case .integer(let n): return String(n)
            case .real(let r): return String(r)
            case .null: return nil
            }
        }
        var paths: [String: [String]] = [:]
        var index: [[String?]: Int] = [:]
        var found: [Attribution] = []
        var rows: [Charge] = []
        rows.reserveCapacity(scanned.groups.count)
        for group in scanned.groups {
            let k = group.keys
            let fields = k[1...].map(text)
            let attribution: Int
            if let known = index[fields] {
                attribution = known
            } else {
                let json = text(k[4]) ?? "[]"
                if paths[json] == nil { paths[json] = ((try? JSONValue.parse(json))?.arrayValue ?? []).compactMap(\.stringValue) }
                let owner = text(k[6])
                attribution = found.count
                index[fields] = attribution
                found.append(Attribution(org: text(k[1]), team: text(k[2]), feature: text(k[3]), grantPath: paths[json]!,
                                         grantOwner: k[5] == .integer(1) ? nil : owner, owner: owner, model: text(k[7]),
                                         provider: text(k[8])))
            }
            guard case .integer(let day) = k[0] else { continue }
            rows.append(Charge(day: day, attribution: attribution, totals: group.totals))
        }
        // Attributions sorted once (a few thousand); rows by integers.
        let order = found.indices.sorted { found[$0].sortKey.lexicographicallyPrecedes(found[$1].sortKey) }
        var rank = Array(repeating: 0, count: found.count)
        for (r, i) in order.enumerated() { rank[i] = r }
        rows = rows.map { Charge(day: $0.day, attribution: rank[$0.attribution], totals: $0.totals) }
        rows.sort { $0.day != $1.day ? $0.day < $1.day : $0.attribution < $1.attribution }
        return Charges(attributions: order.map { found[$0] }, rows: rows)
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
