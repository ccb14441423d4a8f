import TollgateConfig
import XCTest
import TollgateJSON
@testable import TollgateReports

final class FocusExportTests: XCTestCase {
    let day = FinanceTestTime.day
    let start = FinanceTestTime.november

    /// FOCUS 1.2's mandatory columns, as the spec names them (not read from
    /// the code under test).
    static let mandatory = [
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
        "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
        "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity",
        "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
    ]
    /// Mandatory columns that may be null: ChargeClass (null unless a
    /// correction of an invoiced period). The others must be filled on a
    /// usage charge.
    static let nullable: Set<String> = ["ChargeClass"]
    static let dates = ["BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart"]
    static let decimals = ["BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity", "ConsumedQuantity"]

    /// Two months of traffic: several orgs, teams, features, grants,
    /// models and providers, odd nano-dollar costs, refusals, a row that
    /// consumed nothing, and rows outside the range.
    func makeLedger() throws -> (FinanceTestLedger, expected: Int64) {
        let ledger = try FinanceTestLedger()
        var rows: [FinanceTestLedger.Row] = []
        let paths: [([String], String?)] = [(["acme", "recs", "recs-search"], "lead@acme.example"), (["acme", "recs"], "head@acme.example"), ([], nil)]
        var expected: Int64 = 0
        for i in 0..<3_000 {
            let (grants, grantOwner) = paths[i % 3]
            let ts = start - 5 * day + Int64(i) * 2_617_000_000  // ~30 min apart, from Oct 27 into December
            let rejected = i % 17 == 0
            let cost = rejected ? 0 : Int64(i) * 104_729 + 7
            let row = FinanceTestLedger.Row(
                ts: ts, org: i % 5 == 0 ? "globex" : "acme", team: ["payments", "search", "recs"][i % 3],
                feature: i % 4 == 0 ? nil : ["checkout", "autocomplete, beta", "quote\"d"][i % 3],
                provider: i % 2 == 0 ? "openai" : "anthropic", model: i % 2 == 0 ? "small" : "claude",
                owner: "key\(i % 4)@acme.example", tokensIn: rejected ? 0 : Int64(i % 900), tokensOut: rejected ? 0 : 17,
                tokensCached: rejected ? 0 : Int64(i % 3), cost: cost, estimated: i % 50 == 0, outcome: rejected ? "rejected" : "success",
                grants: grants, grantOwner: grantOwner)
            rows.append(row)
            if ts >= start, ts < start + 30 * day { expected += cost }
        }
        rows.append(.init(ts: start + 3 * day, outcome: "responded"))  // consumed nothing: not a charge
        try ledger.insert(rows)
        return (ledger, expected)
    }

    func testEveryMandatoryColumnIsThereFilledAndTheCostsAddUpToTheLedger() throws {
        let (ledger, expected) = try makeLedger()
        let range = LedgerTimeRange(from: start, to: start + 30 * day)
        let export = FocusExport(billingAccountId: nil, billingAccountName: nil,
                                 costCenters: [["acme", "payments"]: "CC-1042", ["acme", "search"]: "CC-7"])
        let charges = try FocusExport.charges(ledgerAt: ledger.path, range: range, slices: 1)
        let csv = export.render(charges, range: range, format: .csv)
        let table = try CSV.parse(csv)
        let header = try XCTUnwrap(table.first)
        let rows = Array(table.dropFirst())
        XCTAssertFalse(rows.isEmpty)
        for name in Self.mandatory { XCTAssertTrue(header.contains(name), "missing mandatory column \(name)") }
        for name in header where !Self.mandatory.contains(name) && !FocusSpec.optional.contains(name) {
            XCTAssertTrue(name.hasPrefix("x_"), "\(name) is neither a FOCUS column nor x_-prefixed")
        }
        XCTAssertEqual(Set(header).count, header.count)
        let column = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })

        var billed: Int64 = 0
        var billedNanos: Int64 = 0
        for row in rows {
            XCTAssertEqual(row.count, header.count)
            func cell(_ name: String) -> String { row[column[name]!] }
            for name in Self.mandatory where !Self.nullable.contains(name) {
                XCTAssertFalse(cell(name).isEmpty, "\(name) is null in \(row)")
            }
            XCTAssertEqual(cell("ChargeClass"), "")
            XCTAssertEqual(cell("ChargeCategory"), "Usage")
            XCTAssertEqual(cell("BillingCurrency"), "USD")
            XCTAssertEqual(cell("ServiceCategory"), "AI and Machine Learning")
            XCTAssertEqual(cell("ServiceSubcategory"), "Generative AI")
            XCTAssertEqual(cell("ConsumedUnit"), "Tokens")
            for name in Self.dates {
                XCTAssertNotNil(FocusSpec.parseDate(cell(name)), "\(name) is not ISO 8601 UTC: \(cell(name))")
            }
            let chargeStart = try XCTUnwrap(FocusSpec.parseDate(cell("ChargePeriodStart")))
            let chargeEnd = try XCTUnwrap(FocusSpec.parseDate(cell("ChargePeriodEnd")))
            XCTAssertEqual(chargeEnd - chargeStart, 86_400)
            XCTAssertGreaterThanOrEqual(chargeStart, start / 1_000_000)
            XCTAssertLessThanOrEqual(chargeEnd, range.to / 1_000_000)
            XCTAssertEqual(cell("BillingPeriodStart"), "2026-11-01T00:00:00Z")
            XCTAssertEqual(cell("BillingPeriodEnd"), "2026-12-01T00:00:00Z")
            for name in Self.decimals { XCTAssertNotNil(FocusSpec.parseDecimal(cell(name), scale: 9), "\(name): \(cell(name))") }
            let cost = try XCTUnwrap(FocusSpec.parseDecimal(cell("BilledCost"), scale: 9))
            for name in ["ContractedCost", "EffectiveCost", "ListCost"] { XCTAssertEqual(cell(name), cell("BilledCost")) }
            XCTAssertEqual(cost, Int64(cell("x_BilledCostNanos")))
            billed += cost
            billedNanos += Int64(cell("x_BilledCostNanos"))!
            let tokens = Int64(cell("ConsumedQuantity"))!
            XCTAssertEqual(tokens, Int64(cell("x_TokensIn"))! + Int64(cell("x_TokensOut"))! + Int64(cell("x_TokensCached"))!)
            XCTAssertEqual(FocusSpec.parseDecimal(cell("PricingQuantity"), scale: 6), tokens)
            XCTAssertEqual(cell("SkuId"), cell("ProviderName") == "OpenAI" ? "small" : "claude")
            XCTAssertEqual(cell("BillingAccountId"), cell("x_Org"))
            XCTAssertEqual(cell("SubAccountId"), cell("x_Org") + "/" + cell("x_Team"))
            switch (cell("x_Org"), cell("x_Team")) {
            case ("acme", "payments"): XCTAssertEqual(cell("x_CostCenter"), "CC-1042")
            case ("acme", "search"): XCTAssertEqual(cell("x_CostCenter"), "CC-7")
            default: XCTAssertEqual(cell("x_CostCenter"), "")
            }
            switch cell("x_GrantPath") {
            case "acme/recs/recs-search":
                XCTAssertEqual(cell("x_Grant"), "recs-search")
                XCTAssertEqual(cell("x_Owner"), "lead@acme.example")
            case "acme/recs":
                XCTAssertEqual(cell("x_Grant"), "recs")
                XCTAssertEqual(cell("x_GrantOwner"), "head@acme.example")
            default:
                XCTAssertEqual(cell("x_Grant"), "")
                XCTAssertEqual(cell("x_GrantOwner"), "")
                XCTAssertTrue(cell("x_Owner").hasPrefix("key"), cell("x_Owner"))
            }
        }
        // Exact: the ledger's nano-dollars, to the last one.
        XCTAssertEqual(billed, expected)
        XCTAssertEqual(billedNanos, expected)
        XCTAssertEqual(billed, try ledger.costSum(from: range.from, to: range.to))
        XCTAssertTrue(rows.contains { $0[column["x_Feature"]!] == "autocomplete, beta" })
        XCTAssertTrue(rows.contains { $0[column["x_Feature"]!] == "quote\"d" })

        // Parallel slices give the same charges, and the JSON the same rows.
        for kind in [LedgerScan.Plan.Kind.time, .rows] {
            XCTAssertEqual(try FocusExport.charges(ledgerAt: ledger.path, range: range, slices: 5, prefer: kind), charges)
        }
        let json = try JSONValue.parse(export.render(charges, range: range, format: .json))
        let objects = try XCTUnwrap(json.arrayValue)
        XCTAssertEqual(objects.count, rows.count)
        XCTAssertEqual(objects.first?["ChargeClass"], .null)
        XCTAssertNotNil(objects.first?["BilledCost"])
        XCTAssertEqual(objects.first?["BillingCurrency"], .string("USD"))

        // The writer renders an attribution's cells once and the charge's
        // own around them: byte for byte what rendering every cell gives.
        for format in FocusExport.Format.allCases {
            var expected: [UInt8] = []
            var head = ByteWriter()
            if format == .csv {
                head.bytes(FocusExport.columns.joined(separator: ",") + "\r\n")
            } else {
                head.bytes("[")
            }
            expected += head.buffer
            for (n, charge) in charges.rows.enumerated() {
                var out = ByteWriter()
                if format == .json { out.bytes(n == 0 ? "\n{" : ",\n{") }
                let values = export.values(charge, export.cells(charges.attributions[charge.attribution]),
                                           dates: .init(day: charge.day, range: range))
                for (c, value) in values.enumerated() {
                    if c > 0 { out.byte(0x2C) }
                    if format == .json {
                        out.jsonString(FocusExport.columns[c])
                        out.byte(0x3A)
                    }
                    out.cell(value, format: format)
                }
                out.bytes(format == .csv ? "\r\n" : "}")
                expected += out.buffer
            }
            if format == .json { expected += Array("\n]\n".utf8) }
            XCTAssertEqual(export.render(charges, range: range, format: format), String(decoding: expected, as: UTF8.self), "\(format)")
        }
    }

    func testBillingAccountFromFinanceAndAChargePeriodClippedToTheRange() throws {
        let ledger = try FinanceTestLedger()
        try ledger.insert([
            .init(ts: start + 10 * 3_600_000_000, tokensIn: 1_000_000, tokensOut: 1, cost: 123_456_789_012),
            .init(ts: start + 2 * 3_600_000_000, tokensIn: 5, cost: 1),  // before the range
        ])
        let range = LedgerTimeRange(from: start + 9 * 3_600_000_000 + 500_000, to: start + 2 * day)
        let export = FocusExport(billingAccountId: "acct-1", billingAccountName: "Acme AI spend")
        let charges = try FocusExport.charges(ledgerAt: ledger.path, range: range)
        XCTAssertEqual(charges.count, 1)
        let table = try CSV.parse(export.render(charges, range: range, format: .csv))
        let row = Dictionary(uniqueKeysWithValues: zip(table[0], table[1]))
        XCTAssertEqual(row["BillingAccountId"], "acct-1")
        XCTAssertEqual(row["BillingAccountName"], "Acme AI spend")
        XCTAssertEqual(row["ChargePeriodStart"], "2026-11-01T09:00:00Z")
        XCTAssertEqual(row["ChargePeriodEnd"], "2026-11-02T00:00:00Z")
        XCTAssertEqual(row["BilledCost"], "123.456789012")
        XCTAssertEqual(row["PricingQuantity"], "1.000001")
        XCTAssertEqual(row["PricingUnit"], "1000000 Tokens")
        XCTAssertEqual(row["ProviderName"], "OpenAI")
        XCTAssertEqual(row["ServiceProviderName"], "OpenAI")
        XCTAssertEqual(row["HostProviderName"], "OpenAI")
        XCTAssertEqual(row["x_GrantPath"], "")
        XCTAssertEqual(row["x_Owner"], "dev@acme.example")
    }

    func testDecimalsAreExactWithoutExponentOrPlusSign() {
        func decimal(_ units: Int64, _ scale: Int) -> String {
            var writer = ByteWriter()
            writer.decimal(units, scale: scale)
            return String(decoding: writer.buffer, as: UTF8.self)
        }
        XCTAssertEqual(decimal(0, 9), "0")
        XCTAssertEqual(decimal(1, 9), "0.000000001")
        XCTAssertEqual(decimal(1_500_000_000, 9), "1.5")
        XCTAssertEqual(decimal(-2_000_000_000, 9), "-2")
        XCTAssertEqual(decimal(Int64.max, 9), "9223372036.854775807")
        XCTAssertEqual(decimal(Int64.min, 9), "-9223372036.854775808")
        XCTAssertEqual(decimal(42, 0), "42")
    }
}

/// What the test checks FOCUS values against, written from the spec.
enum FocusSpec {
    /// Non-mandatory FOCUS columns the export may carry (1.2, and 1.3's provider names).
    static let optional: Set<String> = [
        "ChargeFrequency", "ConsumedQuantity", "ConsumedUnit", "HostProviderName", "PricingCategory", "ServiceProviderName",
        "ServiceSubcategory", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName",
    ]

    /// Seconds of a `YYYY-MM-DDTHH:mm:ssZ` value, nil for anything else.
    static func parseDate(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x5A else { return nil }
        for i in [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18] where !(0x30...0x39).contains(b[i]) { return nil }
        return (try? ReportTime.parseMicros(text)).map { $0 / 1_000_000 }
    }

    /// A FOCUS numeric value (no exponent, no plus sign, no separators)
    /// in units of 10^-scale; nil when it is not one or is not exact.
    static func parseDecimal(_ text: String, scale: Int) -> Int64? {
        var rest = Substring(text)
        let negative = rest.hasPrefix("-")
        if negative { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let whole = Int64(parts[0]) else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard parts.count == 1 || !fraction.isEmpty, fraction.count <= scale else { return nil }
        fraction += String(repeating: "0", count: scale - fraction.count)
        var power: Int64 = 1
        for _ in 0..<scale { power *= 10 }
        let value = whole * power + (Int64(fraction) ?? 0)
        return negative ? -value : value
    }
}

/// An RFC 4180 reader, enough to read the export back.
enum CSV {
    struct Malformed: Error {}

    static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar?
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = chars.next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = n }
                    } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty else { throw Malformed() }
                quoted = true
            case ",":
                row.append(field)
                field = ""
            case "\r":
                guard chars.next() == "\n" else { throw Malformed() }
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            default: field.unicodeScalars.append(c)
            }
        }
        guard !quoted, field.isEmpty, row.isEmpty else { throw Malformed() }
        return rows
    }
}
