import Foundation
import TollgateConfig
import TollgateHost
import TollgateReports
import TollgateUnits

/// The config the chargeback, forecast and proposal cases run with: the
/// synthetic ledger's orgs and teams (an owner and a cost centre each) and
/// its grants (org > team > feature, monthly, the ids the ledger records),
/// and a forecast per team for the last months.
enum FinanceBenchConfig {
    static var yaml: String {
        var lines = ["models:",
                     "  - {name: small, provider: openai, base_url: \"http://127.0.0.1:1/v1\", price: {input_per_mtok: \"0.4\", output_per_mtok: \"1.6\"}}",
                     "orgs:"]
        var grants = ["grants:"]
        let teams = FinanceLedger.teams()
        for org in FinanceLedger.orgs {
            lines += ["  - name: \(org)", "    teams:"]
            grants.append("  - {id: \(org), scope: org/\(org), owner: cfo@\(org).example, amount: \"400000\", period: monthly}")
            for (i, team) in teams.enumerated() where team.org == org {
                lines.append("      - {name: \(team.name), owner: lead-\(team.name)@\(org).example, cost_center: CC-\(100 + i)}")
                let id = "\(org)-\(team.name)"
                grants.append("  - {id: \(id), scope: team/\(org)/\(team.name), parent: \(org), owner: lead-\(team.name)@\(org).example, "
                    + "amount: \"\(20_000 + 1_000 * (i % 7))\", period: monthly, rationale: {priority: \(1 + i % 3)}}")
                for feature in team.featureGrants.sorted() {
                    grants.append("  - {id: \(id)-\(feature), scope: feature/\(org)/\(team.name)/\(feature), parent: \(id), "
                        + "owner: \(feature)-owner-\(team.name)@\(org).example, amount: \"5000\", period: monthly}")
                }
            }
        }
        return (lines + grants + ["finance:", "  haircut: {below_percent: 70, periods: 2, cut_percent: 25}"]).joined(separator: "\n")
    }

    static func load() throws -> (config: TollgateConfig, grants: GrantTable) {
        let config = try ConfigLoader.parse(yaml: yaml, file: "finance-bench.yaml")
        let registry = try GovernanceRegistry(store: MemoryGovernanceStore())
        let problems = registry.configure(config)
        if !problems.isEmpty { print("finance: grant problems: \(problems)") }
        return (config, registry.current.table)
    }

    /// A forecast per team for each of `periods` (some teams forecast far
    /// too high, so the haircut rule has something to find).
    static func forecasts(_ periods: [ReportPeriod]) -> [Forecast] {
        var out: [Forecast] = []
        for (i, team) in FinanceLedger.teams().enumerated() {
            for period in periods {
                let dollars: Int64 = i % 4 == 0 ? 90_000 : 6_000 + Int64(i) * 250
                out.append(Forecast(team: "\(team.org)/\(team.name)", period: period.description, amountNanos: dollars * 1_000_000_000,
                                    submittedBy: "bench", submittedAt: 0))
            }
        }
        return out
    }
}
