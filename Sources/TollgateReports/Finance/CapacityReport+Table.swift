import TollgateConfig
import TollgateJSON
import TollgateUnits

extension CapacityReport {
    /// The report in the finance reports' shared shape: team lines, then
    /// each org's aggregate, the gateway's, and the configured pools.
    package var table: ReportTable {
        let columns: [ReportTable.Column] = [
            .init("scope"), .init("name"), .init("peak_tpm", "peak TPM"), .init("peak_at", "peak minute"),
            .init("p95_tpm", "p95 TPM"), .init("sum_of_team_peaks", "sum of team peaks"),
            .init("team_peaks_over_p95", "team peaks / p95"), .init("capacity_tpm", "capacity TPM"),
            .init("p95_of_capacity", "p95 / capacity"), .init("peak_of_capacity", "peak / capacity"),
            .init("active_minutes", "active minutes"), .init("tokens"),
        ]
        func ratio(_ part: Int64, _ whole: Int64?) -> ReportTable.Cell {
            guard let whole, whole > 0 else { return .none }
            return .percent(Saturating.multiplyDivide(part, 10_000, whole))
        }
        func usage(_ u: Usage) -> (peak: [ReportTable.Cell], tail: [ReportTable.Cell]) {
            ([.integer(u.peakTPM), u.activeMinutes > 0 ? .text(ReportTime.format(micros: u.peakAtMicros)) : .none,
              u.p95TPM.map(ReportTable.Cell.integer) ?? .none],
             [.integer(u.activeMinutes), .integer(u.tokens)])
        }
        var rows: [[ReportTable.Cell]] = []
        for team in teams {
            let u = usage(team.usage)
            rows.append([.text("team"), .text((team.org ?? "(none)") + "/" + (team.team ?? "(none)"))] + u.peak
                + [.none, .none, .none, .none, .none] + u.tail)
        }
        for aggregate in aggregates {
            let u = usage(aggregate.usage)
            rows.append([.text(aggregate.isGateway ? "gateway" : "org"),
                         .text(aggregate.isGateway ? "all" : aggregate.org ?? "(none)")] + u.peak
                + [.integer(aggregate.sumOfTeamPeaks), ratio(aggregate.sumOfTeamPeaks, aggregate.usage.p95TPM),
                   .none, .none, .none] + u.tail)
        }
        for pool in pools {
            let u = usage(pool.usage)
            rows.append([.text("pool"), .text(pool.provider + "/" + (pool.model ?? "*"))] + u.peak
                + [.none, .none, pool.tpm.map(ReportTable.Cell.integer) ?? .none,
                   ratio(pool.usage.p95TPM ?? 0, pool.tpm), ratio(pool.usage.peakTPM, pool.tpm)] + u.tail)
        }
        var notes = [
            "TPM: tokens (input, cached included, plus output) of the ledger's rows per UTC minute of their receipt.",
            "p95: nearest rank over the minutes with traffic of that org, the gateway or the pool (quiet minutes left out).",
            "Provision throughput to the aggregate (p95, with the peak as the ceiling), not to the sum of the teams' peaks:",
            "peaks that do not coincide would leave that sum mostly idle. team peaks / p95 says how much it would over-buy.",
        ]
        if let gateway = aggregates.last, gateway.usage.activeMinutes > 0 {
            notes.append("Gateway: p95 \(gateway.usage.p95TPM ?? 0) TPM, peak \(gateway.usage.peakTPM) TPM; the teams' peaks add up to "
                + "\(gateway.sumOfTeamPeaks) TPM.")
        }
        for pool in pools {
            guard let tpm = pool.tpm, let p95 = pool.usage.p95TPM else { continue }
            let name = pool.provider + "/" + (pool.model ?? "*")
            if p95 > tpm {
                notes.append("Pool \(name): the p95 (\(p95) TPM) is above its capacity (\(tpm) TPM): buy more or shape the traffic.")
            } else if pool.usage.peakTPM > tpm {
                notes.append("Pool \(name): the peak (\(pool.usage.peakTPM) TPM) passed its capacity (\(tpm) TPM) in some minutes.")
            }
        }
        let from = ReportTime.format(micros: range.from)
        let to = ReportTime.format(micros: range.to)
        return ReportTable(title: "Capacity from \(from) to \(to) (exclusive): tokens per minute", columns: columns, rows: rows,
                           notes: notes, meta: [("from", .string(from)), ("to", .string(to))])
    }
}
