import TollgateUnits

/// The tokens the provider bills for one call, split as the gateway's
/// ledger splits them: input not read from the cache, cache reads, output.
package struct MockUsage: Sendable, Hashable {
    package var inputTokens: Int64
    package var cachedTokens: Int64
    package var outputTokens: Int64

    package init(inputTokens: Int64, cachedTokens: Int64, outputTokens: Int64) {
        self.inputTokens = inputTokens
        self.cachedTokens = cachedTokens
        self.outputTokens = outputTokens
    }
}

/// Every call the mock billed, counted by dialect, UTC day, model and
/// usage. Calls with the same usage are one entry with a count, so a long
/// benchmark does not grow it without bound, and the cost can still be
/// computed call by call (rounded per call, as the ledger rounds per row).
package struct MockBilling: Sendable, Equatable {
    package struct Key: Sendable, Hashable {
        package var api: MockAPI
        /// Days since 1970-01-01 (UTC).
        package var day: Int64
        package var model: String
        package var usage: MockUsage
    }

    package private(set) var calls: [Key: Int64] = [:]

    package init() {}

    package mutating func add(api: MockAPI, atSecond second: Int64, model: String, usage: MockUsage, count: Int64 = 1) {
        let key = Key(api: api, day: UTCCalendar.floorDiv(second, 86_400), model: model, usage: usage)
        calls[key, default: 0] += count
    }

    /// One day and model of one dialect: the calls' usages with their counts.
    package struct Cell: Sendable, Equatable {
        package var day: Int64
        package var model: String
        package var usages: [(usage: MockUsage, count: Int64)]

        package var requests: Int64 { usages.reduce(0) { $0 + $1.count } }

        package func tokens(_ kind: KeyPath<MockUsage, Int64>) -> Int64 {
            usages.reduce(0) { $0 + $1.usage[keyPath: kind] * $1.count }
        }

        package static func == (a: Cell, b: Cell) -> Bool {
            a.day == b.day && a.model == b.model && a.usages.map(\.usage) == b.usages.map(\.usage)
                && a.usages.map(\.count) == b.usages.map(\.count)
        }
    }

    /// The cells of `api` on days [fromDay, toDay), by day then model.
    package func cells(api: MockAPI, fromDay: Int64, toDay: Int64) -> [Cell] {
        var byCell: [String: Cell] = [:]
        for (key, count) in calls where key.api == api && key.day >= fromDay && key.day < toDay {
            let id = String(key.day) + "\u{0}" + key.model
            byCell[id, default: Cell(day: key.day, model: key.model, usages: [])].usages.append((key.usage, count))
        }
        return byCell.values
            .map { cell in
                var sorted = cell
                sorted.usages.sort { a, b in
                    (a.usage.inputTokens, a.usage.cachedTokens, a.usage.outputTokens)
                        < (b.usage.inputTokens, b.usage.cachedTokens, b.usage.outputTokens)
                }
                return sorted
            }
            .sorted { ($0.day, $0.model) < ($1.day, $1.model) }
    }
}
