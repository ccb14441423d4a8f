import TollgateConfig
import TollgateUnits

/// The provider whose account `tollgate reconcile` compares with the ledger.
package enum ReconcileProvider: String, CaseIterable, Sendable {
    case openai, anthropic

    package var displayName: String { self == .openai ? "OpenAI" : "Anthropic" }
    /// Where its admin key is read from by default.
    package var adminKeyEnv: String { self == .openai ? "OPENAI_ADMIN_KEY" : "ANTHROPIC_ADMIN_KEY" }
    package var defaultBaseURL: String { self == .openai ? "https://api.openai.com" : "https://api.anthropic.com" }
    /// The catalog's and the ledger's name for it (`provider:`).
    package var kind: ProviderKind { self == .openai ? .openai : .anthropic }
}

/// What a provider says the account spent, per UTC day and model (as the
/// provider names the model): exact nano-dollars, and tokens when the
/// report has them. Built by the API readers and the CSV reader.
package struct ProviderReport: Equatable, Sendable {
    package struct Tokens: Equatable, Sendable {
        /// Input not read from the cache (cache writes included).
        package var input: Int64 = 0
        package var cached: Int64 = 0
        package var output: Int64 = 0

        package init(input: Int64 = 0, cached: Int64 = 0, output: Int64 = 0) {
            self.input = input
            self.cached = cached
            self.output = output
        }

        package var total: Int64? { Self.sum([input, cached, output]) }

        static func sum(_ values: [Int64]) -> Int64? {
            var total: Int64 = 0
            for value in values {
                let (next, overflow) = total.addingReportingOverflow(value)
                if overflow { return nil }
                total = next
            }
            return total
        }
    }

    package struct Cell: Equatable, Sendable {
        /// Days since 1970-01-01, UTC.
        package var day: Int64
        package var model: String
        package var costNanos: Int64
        /// Nil when the report gave no tokens for the cell.
        package var tokens: Tokens?

        package init(day: Int64, model: String, costNanos: Int64, tokens: Tokens? = nil) {
            self.day = day
            self.model = model
            self.costNanos = costNanos
            self.tokens = tokens
        }
    }

    package var provider: ReconcileProvider
    /// Where the figures came from ("OpenAI organization costs API at
    /// https://api.openai.com", "file nov.csv").
    package var source: String
    /// In the order first seen; `sortedCells` for a stable order.
    package private(set) var cells: [Cell] = []
    private var index: [String: Int] = [:]

    package init(provider: ReconcileProvider, source: String, cells: [Cell] = []) throws {
        self.provider = provider
        self.source = source
        for cell in cells {
            try addCost(day: cell.day, model: cell.model, nanos: cell.costNanos)
            if let tokens = cell.tokens { try addTokens(day: cell.day, model: cell.model, tokens) }
        }
    }

    package static func == (a: ProviderReport, b: ProviderReport) -> Bool {
        a.provider == b.provider && a.source == b.source && a.sortedCells == b.sortedCells
    }

    package var sortedCells: [Cell] { cells.sorted { ($0.day, $0.model) < ($1.day, $1.model) } }

    package struct Overflow: Error, CustomStringConvertible {
        package var description: String { "the provider's figures do not fit in 64-bit integers" }
    }

    private mutating func slot(day: Int64, model: String) -> Int {
        let key = String(day) + "\u{0}" + model
        if let existing = index[key] { return existing }
        cells.append(Cell(day: day, model: model, costNanos: 0))
        index[key] = cells.count - 1
        return cells.count - 1
    }

    package mutating func addCost(day: Int64, model: String, nanos: Int64) throws {
        let i = slot(day: day, model: model)
        let (sum, overflow) = cells[i].costNanos.addingReportingOverflow(nanos)
        if overflow { throw Overflow() }
        cells[i].costNanos = sum
    }

    package mutating func addTokens(day: Int64, model: String, _ tokens: Tokens) throws {
        let i = slot(day: day, model: model)
        let old = cells[i].tokens ?? Tokens()
        guard let input = Tokens.sum([old.input, tokens.input]), let cached = Tokens.sum([old.cached, tokens.cached]),
              let output = Tokens.sum([old.output, tokens.output]) else { throw Overflow() }
        cells[i].tokens = Tokens(input: input, cached: cached, output: output)
    }
}

/// A provider's answer or file that cannot be read; `description` says
/// where and what was wrong.
package struct ProviderReportError: Error, Equatable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
