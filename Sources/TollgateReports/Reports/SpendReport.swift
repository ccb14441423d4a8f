import TollgateSupport
import TollgateJSON
import TollgateUnits

/// The answer of `tollgate report spend`: totals of requests, tokens and
/// cost per group, and the grand total — which is the exact integer sum of
/// the ledger rows in the range, and of the groups, except when the groups
/// nest (`--by grant`: a request counts under every grant on its path, so a
/// parent includes its children and the groups add up to more).
package struct SpendReport: Equatable, Sendable {
    package struct Totals: Equatable, Sendable {
        package var requests: Int64 = 0
        package var tokensIn: Int64 = 0
        package var tokensOut: Int64 = 0
        package var tokensCached: Int64 = 0
        package var costNanos: Int64 = 0
        /// Rows whose usage was the host's estimate (no provider figure).
        package var estimatedRequests: Int64 = 0

        package init(requests: Int64 = 0, tokensIn: Int64 = 0, tokensOut: Int64 = 0, tokensCached: Int64 = 0,
                    costNanos: Int64 = 0, estimatedRequests: Int64 = 0) {
            self.requests = requests
            self.tokensIn = tokensIn
            self.tokensOut = tokensOut
            self.tokensCached = tokensCached
            self.costNanos = costNanos
            self.estimatedRequests = estimatedRequests
        }

        /// Adds `other`; nil on Int64 overflow (a ledger that large is a
        /// bug worth stopping on, not a number to wrap).
        func adding(_ other: Totals) -> Totals? {
            func add(_ a: Int64, _ b: Int64) -> Int64? {
                let (sum, overflow) = a.addingReportingOverflow(b)
                return overflow ? nil : sum
            }
            guard let requests = add(requests, other.requests), let tokensIn = add(tokensIn, other.tokensIn),
                  let tokensOut = add(tokensOut, other.tokensOut), let tokensCached = add(tokensCached, other.tokensCached),
                  let costNanos = add(costNanos, other.costNanos),
                  let estimated = add(estimatedRequests, other.estimatedRequests)
            else { return nil }
            return Totals(requests: requests, tokensIn: tokensIn, tokensOut: tokensOut, tokensCached: tokensCached,
                          costNanos: costNanos, estimatedRequests: estimated)
        }
    }

    package struct Group: Equatable, Sendable {
        /// One value per dimension, in `dimensions` order; nil when the
        /// ledger has none (an untagged field, no model served).
        package var keys: [String?]
        package var totals: Totals

        package init(keys: [String?], totals: Totals) {
            self.keys = keys
            self.totals = totals
        }
    }

    package var dimensions: [String]
    package var fromMicros: Int64?
    package var toMicros: Int64?
    /// Most expensive first, then by keys.
    package var groups: [Group]
    package var total: Totals
    /// A request may count in several groups (`--by grant`); `total` still
    /// counts it once.
    package var groupsNest: Bool

    package struct Overflow: Error, CustomStringConvertible {
        package var description: String { "the report's totals do not fit in 64-bit integers" }
    }

    /// Sorts the groups and sums them into the total, or, when the groups
    /// nest, takes `rowTotal` (each ledger row once) as the total.
    package init(dimensions: [String], fromMicros: Int64?, toMicros: Int64?, groups: [Group], rowTotal: Totals? = nil) throws {
        self.dimensions = dimensions
        groupsNest = rowTotal != nil
        self.fromMicros = fromMicros
        self.toMicros = toMicros
        self.groups = groups.sorted { a, b in
            if a.totals.costNanos != b.totals.costNanos { return a.totals.costNanos > b.totals.costNanos }
            // Then by keys, a missing value (NULL) before any text: a total
            // order, so the groups come out the same however they were read.
            for (x, y) in zip(a.keys, b.keys) where x != y {
                guard let y else { return false }
                guard let x else { return true }
                return x < y
            }
            return false
        }
        if let rowTotal {
            total = rowTotal
            return
        }
        var total = Totals()
        for group in groups {
            guard let sum = total.adding(group.totals) else { throw Overflow() }
            total = sum
        }
        self.total = total
    }
}
