import TollgateUnits

/// The ledger against a provider's own report, per UTC day and model.
/// Drift is provider - ledger (nano-dollars); drift % is basis points of
/// the provider's figure. A cell is
/// - `matched`: both have it and |drift| <= tolerance x provider;
/// - `drift`: both have it, beyond the tolerance;
/// - `unattributed`: the provider billed it and the ledger has nothing —
///   spend on the account the gateway never saw: a bypass to chase;
/// - `ledger_only`: the ledger has spend the provider does not report.
package struct Reconciliation: Equatable, Sendable {
    package enum Status: String, CaseIterable, Sendable {
        case matched, drift, unattributed
        case ledgerOnly = "ledger_only"
    }

    package struct Cell: Equatable, Sendable {
        package var day: Int64
        /// The ledger's name (ProviderModelMap's label).
        package var model: String
        package var ledgerNanos: Int64
        package var providerNanos: Int64
        package var ledgerTokens: Int64?
        package var providerTokens: Int64?
        package var status: Status
        /// The names the provider reported this cell under, when not `model`.
        package var providerModels: [String]

        package var driftNanos: Int64 { providerNanos - ledgerNanos }
        package var driftBasisPoints: Int64? { Reconciliation.basisPoints(driftNanos, of: providerNanos) }
    }

    package var provider: ReconcileProvider
    package var fromMicros: Int64
    package var toMicros: Int64
    package var toleranceBasisPoints: Int64
    package var source: String
    /// By day, then model.
    package var cells: [Cell]

    package struct Overflow: Error, CustomStringConvertible {
        package var description: String { "the reconciliation's totals do not fit in 64-bit integers" }
    }

    /// Compares on the provider report's days inside [fromMicros, toMicros).
    package static func compare(ledger: [LedgerCell], report: ProviderReport, models: ProviderModelMap,
                                toleranceBasisPoints: Int64, fromMicros: Int64, toMicros: Int64) throws -> Reconciliation {
        struct Sides {
            var ledger: Int64?
            var provider: Int64?
            var ledgerTokens: Int64?
            var providerTokens: Int64?
            var tokensKnown = true
            var providerModels: Set<String> = []
        }
        func add(_ a: Int64?, _ b: Int64?) throws -> Int64? {
            guard let b else { return a }
            let (sum, overflow) = (a ?? 0).addingReportingOverflow(b)
            if overflow { throw Overflow() }
            return sum
        }
        let firstDay = UTCCalendar.floorDiv(fromMicros, 86_400_000_000)
        let endDay = UTCCalendar.floorDiv(toMicros + 86_399_999_999, 86_400_000_000)
        var sides: [String: Sides] = [:]
        var keys: [String: (day: Int64, model: String)] = [:]
        func slot(_ day: Int64, _ model: String) -> String {
            let key = String(day) + "\u{0}" + model
            if keys[key] == nil { keys[key] = (day, model) }
            return key
        }
        for cell in ledger where cell.day >= firstDay && cell.day < endDay {
            let key = slot(cell.day, models.label(forLedger: cell.model))
            sides[key, default: Sides()].ledger = try add(sides[key]?.ledger, cell.costNanos)
            sides[key]!.ledgerTokens = try add(sides[key]!.ledgerTokens, cell.tokens.total)
        }
        for cell in report.cells where cell.day >= firstDay && cell.day < endDay {
            let label = models.label(forProvider: cell.model)
            // Tokens without a cost (a usage line the cost report has not
            // priced) are no spend on their own.
            if cell.costNanos == 0, sides[String(cell.day) + "\u{0}" + label] == nil { continue }
            let key = slot(cell.day, label)
            var side = sides[key] ?? Sides()
            side.provider = try add(side.provider, cell.costNanos)
            if let total = cell.tokens?.total { side.providerTokens = try add(side.providerTokens, total) } else { side.tokensKnown = false }
            if cell.model != label { side.providerModels.insert(cell.model) }
            sides[key] = side
        }
        var cells: [Cell] = []
        for (key, side) in sides {
            guard let place = keys[key] else { continue }
            let ledgerNanos = side.ledger ?? 0
            let providerNanos = side.provider ?? 0
            let status: Status
            switch (side.ledger, side.provider) {
            case (nil, _): status = .unattributed
            case (_, nil): status = .ledgerOnly
            default:
                guard providerNanos.subtractingReportingOverflow(ledgerNanos).overflow == false else { throw Overflow() }
                status = within(providerNanos - ledgerNanos, of: providerNanos, toleranceBasisPoints) ? .matched : .drift
            }
            cells.append(Cell(day: place.day, model: place.model, ledgerNanos: ledgerNanos, providerNanos: providerNanos,
                              ledgerTokens: side.ledger == nil ? nil : side.ledgerTokens,
                              providerTokens: side.provider == nil || !side.tokensKnown ? nil : (side.providerTokens ?? 0),
                              status: status, providerModels: side.providerModels.sorted()))
        }
        cells.sort { ($0.day, $0.model) < ($1.day, $1.model) }
        return Reconciliation(provider: report.provider, fromMicros: fromMicros, toMicros: toMicros,
                              toleranceBasisPoints: toleranceBasisPoints, source: report.source, cells: cells)
    }

    /// |drift| <= bp x |provider| / 10000, in 128 bits.
    package static func within(_ drift: Int64, of provider: Int64, _ basisPoints: Int64) -> Bool {
        let left = drift.magnitude.multipliedFullWidth(by: 10_000)
        let right = provider.magnitude.multipliedFullWidth(by: UInt64(max(0, basisPoints)))
        return (left.high, left.low) <= (right.high, right.low)
    }

    /// part x 10000 / whole, rounded half away from zero; nil when whole is 0.
    package static func basisPoints(_ part: Int64, of whole: Int64) -> Int64? {
        guard whole != 0 else { return nil }
        let product = part.magnitude.multipliedFullWidth(by: 10_000)
        let divisor = whole.magnitude
        guard product.high < divisor else { return nil }
        let (quotient, remainder) = divisor.dividingFullWidth(product)
        var value = quotient
        if remainder >= divisor - remainder { value += 1 }
        guard value <= UInt64(Int64.max) else { return nil }
        return (part < 0) != (whole < 0) ? -Int64(value) : Int64(value)
    }

    /// Totals over cells with `status` (all cells when nil).
    package func total(_ status: Status? = nil) throws -> (ledger: Int64, provider: Int64, count: Int) {
        var ledger: Int64 = 0
        var provider: Int64 = 0
        var count = 0
        for cell in cells where status == nil || cell.status == status {
            let (l, o1) = ledger.addingReportingOverflow(cell.ledgerNanos)
            let (p, o2) = provider.addingReportingOverflow(cell.providerNanos)
            if o1 || o2 { throw Overflow() }
            (ledger, provider, count) = (l, p, count + 1)
        }
        return (ledger, provider, count)
    }
}
