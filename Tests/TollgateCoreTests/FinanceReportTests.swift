import Foundation
import XCTest
import TollgateSQLite
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateReports
import TollgateJSON
import TollgateUnits

/// The chargeback, forecast and proposal reports against our own
/// computation from hand-made ledger rows: exact money, scope, haircut.
final class FinanceReportTests: XCTestCase {
    static let yaml = """
        models:
          - {name: small, provider: openai, base_url: "http://127.0.0.1:1/v1", price: {input_per_mtok: "1", output_per_mtok: "2"}}
        orgs:
          - name: acme
            outcome_metrics: [resolved_ticket, merged_pr, qualified_lead]
            teams:
              - {name: payments, owner: a@x, outcomes: [resolved_ticket], cost_center: CC-1}
              - {name: search, owner: b@x, outcomes: [merged_pr, qualified_lead], cost_center: CC-2}
              - {name: growth, owner: c@x}
        grants:
          - {id: acme, scope: org/acme, owner: cfo@x, amount: "100", period: monthly}
          - {id: payments, scope: team/acme/payments, owner: a@x, amount: "60", period: monthly, rationale: {priority: 1}}
          - {id: search, scope: team/acme/search, owner: b@x, amount: "30", period: monthly, rationale: {priority: 3}}
        finance:
          haircut: {below_percent: 70, periods: 2, cut_percent: 25}
        """
    let config = try! ConfigLoader.parse(yaml: FinanceReportTests.yaml, file: "/tmp/finance-test.yaml")
    var table: GrantTable {
        let registry = try! GovernanceRegistry(store: MemoryGovernanceStore())
        registry.configure(config)
        return registry.current.table
    }
    let november = ReportPeriod(.month(2026, 11))
    let hour: Int64 = 3_600_000_000

    func testChargebackByTeamEqualsOurOwnSums() throws {
        let ledger = try ReportTestLedger()
        var rows: [ReportTestLedger.Row] = []
        var spend: [String: [Int64]] = [:]  // team -> [previous, current]
        var requests: [String: Int64] = [:]
        for i in 0..<600 {
            let team = ["payments", "search", "growth"][i % 3]
            let inNovember = i % 4 != 0
            let ts = (inNovember ? november : november.previous).fromMicros + Int64(i) * hour
            let cost = Int64(i * 7_919 + 13)
            rows.append(.init(ts: ts, team: team, cost: cost))
            spend[team, default: [0, 0]][inNovember ? 1 : 0] += cost
            if inNovember { requests[team, default: 0] += 1 }
        }
        // A row of December: outside both periods.
        rows.append(.init(ts: november.toMicros, team: "payments", cost: 1_000_000_000))
        try ledger.insert(rows)
        let outcomes: [OutcomeTotal] = [
            .init(org: "acme", team: "payments", feature: nil, grantIDs: ["acme", "payments"], grantOwner: "a@x", metric: "resolved_ticket", count: 7),
            .init(org: "acme", team: "search", feature: nil, grantIDs: ["acme", "search"], grantOwner: "b@x", metric: "qualified_lead", count: 3),
            .init(org: "acme", team: "search", feature: "x", grantIDs: ["acme", "search"], grantOwner: "b@x", metric: "merged_pr", count: 4),
        ]
        let report = try ChargebackReport.run(config: config, grants: table, ledgerPath: ledger.path, period: november, by: .team) { from, _ in
            from == self.november.fromMicros ? outcomes : [outcomes[0].with(count: 5)]
        }
        let total = spend.values.reduce(0) { $0 + $1[1] }
        XCTAssertEqual(report.totalSpendNanos, total)
        XCTAssertEqual(report.previousTotalSpendNanos, spend.values.reduce(0) { $0 + $1[0] })
        XCTAssertEqual(report.totalRequests, requests.values.reduce(0, +))
        XCTAssertEqual(report.rows.map(\.spendNanos).reduce(0, +), total, "the rows add up to the bill exactly")
        let payments = try XCTUnwrap(report.rows.first { $0.keys == ["acme/payments"] })
        XCTAssertEqual(payments.spendNanos, spend["payments"]![1])
        XCTAssertEqual(payments.costCenter, "CC-1")
        XCTAssertEqual(payments.metrics.map(\.name), ["resolved_ticket"])
        XCTAssertEqual(payments.metrics[0].count, 7)
        XCTAssertEqual(payments.metrics[0].costPerOutcome, (spend["payments"]![1] * 2 + 7) / 14, "rounded half up to the nano-dollar")
        XCTAssertEqual(payments.metrics[0].previousCostPerOutcome, (spend["payments"]![0] * 2 + 5) / 10)
        let search = try XCTUnwrap(report.rows.first { $0.keys == ["acme/search"] })
        XCTAssertEqual(search.metrics.map(\.name), ["merged_pr", "qualified_lead"], "the team's declared metrics, in its order")
        XCTAssertEqual(search.metrics.map(\.count), [4, 3])
        XCTAssertNil(search.metrics[0].change, "no outcomes the period before: no trend")
        let growth = try XCTUnwrap(report.rows.first { $0.keys == ["acme/growth"] })
        XCTAssertTrue(growth.metrics.isEmpty)

        let json = ReportFormat.json(report.table)
        XCTAssertEqual(json["total"]?["spend_nanos"]?.int64Value, total)
        let share = try XCTUnwrap(json["rows"]?.arrayValue?.first { $0["team"]?.stringValue == "acme/payments" }?["share_of_bill"]?.stringValue)
        let expectedBP = (spend["payments"]![1] * 20_000 + total) / (total * 2)
        XCTAssertEqual(share, String(ReportFormat.percent(expectedBP).dropLast()))
    }

    func testChargebackScopeShowsOneTeamAndItsOwnBill() throws {
        let ledger = try ReportTestLedger()
        try ledger.insert([.init(ts: november.fromMicros, team: "payments", cost: 500), .init(ts: november.fromMicros, team: "search", cost: 700)])
        let report = try ChargebackReport.run(config: config, grants: table, ledgerPath: ledger.path, period: november, by: .team,
                                              scope: .team("acme", "search")) { _, _ in
            [.init(org: "acme", team: "payments", feature: nil, grantIDs: [], grantOwner: nil, metric: "resolved_ticket", count: 9)]
        }
        XCTAssertEqual(report.rows.map(\.keys), [["acme/search"]])
        XCTAssertEqual(report.totalSpendNanos, 700)
    }

    func testChargebackByGrantNestsButTheBillCountsEachRequestOnce() throws {
        let ledger = try ReportTestLedger()
        try ledger.insert([
            .init(ts: november.fromMicros, team: "payments", cost: 100, grants: ["acme", "payments"], grantOwner: "a@x"),
            .init(ts: november.fromMicros + 1, team: "search", cost: 40, grants: ["acme", "search"], grantOwner: "b@x"),
            .init(ts: november.fromMicros + 2, team: "growth", cost: 3),
        ])
        let report = try ChargebackReport.run(config: config, grants: table, ledgerPath: ledger.path, period: november, by: .grant) { _, _ in [] }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: report.rows.map { ($0.keys[0], $0.spendNanos) }),
                       ["acme": 140, "payments": 100, "search": 40, "(none)": 3])
        XCTAssertEqual(report.totalSpendNanos, 143)
        XCTAssertEqual(report.totalRequests, 3)
        let byOwner = try ChargebackReport.run(config: config, grants: table, ledgerPath: ledger.path, period: november, by: .owner) { _, _ in [] }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: byOwner.rows.map { ($0.keys[0], $0.spendNanos) }), ["a@x": 100, "b@x": 40, "(none)": 3])
    }

    func testForecastHaircutAfterTheConfiguredPeriodsUnderTheShare() throws {
        let ledger = try ReportTestLedger()
        let october = november.previous
        try ledger.insert([
            .init(ts: october.fromMicros, team: "payments", cost: 50 * 1_000_000_000),   // 50% of 100
            .init(ts: november.fromMicros, team: "payments", cost: 60 * 1_000_000_000),  // 60% of 100
            .init(ts: october.fromMicros, team: "search", cost: 50 * 1_000_000_000),     // 50% of 100
            .init(ts: november.fromMicros, team: "search", cost: 90 * 1_000_000_000),    // 90%: not a haircut
        ])
        func forecast(_ team: String, _ period: ReportPeriod, _ dollars: Int64) -> Forecast {
            Forecast(team: "acme/" + team, period: period.description, amountNanos: dollars * 1_000_000_000, submittedBy: "t", submittedAt: 0)
        }
        let forecasts = [forecast("payments", october, 100), forecast("payments", november, 100), forecast("payments", november.next, 80),
                         forecast("search", october, 100), forecast("search", november, 100)]
        let report = try ForecastReport.run(config: config, grants: table, ledgerPath: ledger.path, period: november, forecasts: forecasts)
        let payments = try XCTUnwrap(report.haircut(of: "acme/payments"))
        XCTAssertEqual(payments.evidence.map(\.period), [october, november])
        XCTAssertEqual(payments.evidence.compactMap(\.accuracy), [5_000, 6_000])
        XCTAssertEqual(payments.baseNanos, 80 * 1_000_000_000, "the cut applies to next period's forecast")
        XCTAssertEqual(payments.recommendedNanos, 60 * 1_000_000_000, "80 less 25%")
        XCTAssertNil(report.haircut(of: "acme/search"))
        XCTAssertNil(report.haircut(of: "acme/growth"), "no forecast: nothing to judge")
        XCTAssertTrue(report.table.notes.contains { $0.contains("Haircut acme/payments") && $0.contains("60%") })

        // Without a forecast for the next period the cut applies to the team's grant.
        let noNext = try ForecastReport.run(config: config, grants: table, ledgerPath: ledger.path, period: november,
                                            forecasts: Array(forecasts.prefix(2)))
        XCTAssertEqual(noNext.haircut(of: "acme/payments")?.recommendedNanos, 45 * 1_000_000_000, "grant 60 less 25%")
    }

    func testProposalCutsChildrenToFitTheParentByPriority() throws {
        let ledger = try ReportTestLedger()
        let december = november.next
        let forecasts = [
            Forecast(team: "acme/payments", period: december.description, amountNanos: 80_000_000_000, submittedBy: "t", submittedAt: 0),
            Forecast(team: "acme/search", period: december.description, amountNanos: 40_000_000_000, submittedBy: "t", submittedAt: 0),
        ]
        let proposal = try AllocationProposal.run(config: config, grants: table, ledgerPath: ledger.path, period: december, forecasts: forecasts)
        let byID = Dictionary(uniqueKeysWithValues: proposal.lines.map { ($0.grant, $0) })
        XCTAssertEqual(byID["acme"]?.proposedNanos, 100_000_000_000, "no spend, no forecast: unchanged")
        let payments = byID["payments"]!.proposedNanos, search = byID["search"]!.proposedNanos
        XCTAssertEqual(payments + search, 100_000_000_000, "the children fit the parent exactly")
        // Cut 20 shared by 80x1 : 40x3 -> payments 8, search 12.
        XCTAssertEqual(payments, 72_000_000_000)
        XCTAssertEqual(search, 28_000_000_000)
        XCTAssertEqual(proposal.table.meta.first { $0.0 == "applied" }?.1, .bool(false))
    }

    func testReportTableFormatsKeepMoneyExact() {
        let table = ReportTable(title: "T", columns: [.init("team"), .init("spend"), .init("share")],
                                rows: [[.text("a,b"), .money(1_234_567_891), .percent(1_250)], [.text("c"), .money(1), .none]],
                                total: [.text("TOTAL"), .money(1_234_567_892), .percent(10_000)])
        XCTAssertEqual(ReportFormat.csv.render(table), "team,spend,spend_nanos,share\r\n\"a,b\",1.234567891,1234567891,12.5\r\nc,0.000000001,1,\r\n")
        XCTAssertTrue(ReportFormat.markdown.render(table).contains("| a,b | $1.234567891 | 12.5% |"))
        XCTAssertTrue(ReportFormat.table.render(table).contains("TOTAL  $1.234567892   100%"))
        XCTAssertEqual(ReportFormat.percent(-3), "-0.03%")
    }

    func testPeriodsParseAndStep() throws {
        let now: Int64 = 1_796_256_000  // 2026-12-03
        XCTAssertEqual(try ReportPeriod.parse("next", nowSeconds: now).description, "2027-01")
        XCTAssertEqual(try ReportPeriod.parse("2026-Q1", nowSeconds: now).previous.description, "2025-Q4")
        XCTAssertEqual(ReportPeriod(.quarter(2026, 4)).toMicros, ReportPeriod(.month(2027, 1)).fromMicros)
        XCTAssertThrowsError(try ReportPeriod.parse("2026-13", nowSeconds: now))
        XCTAssertThrowsError(try ReportPeriod.resolve(period: "2026-11", from: "2026-11-01", to: nil, nowSeconds: now))
    }
}

extension OutcomeTotal {
    func with(count: Int64) -> OutcomeTotal {
        var copy = self
        copy.count = count
        return copy
    }
}
