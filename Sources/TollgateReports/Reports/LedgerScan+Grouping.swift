import TollgateSQLite

extension LedgerScan {
    /// The hash aggregation of one scan (or one time slice of it): groups
    /// keyed by the bytes of their dimension values, and the exact Int64
    /// sums of the five summed columns.
    struct Grouping {
        let dimensions: Int
        let rowTotal: Bool
        private var index: [[UInt8]: Int] = [:]
        private var keys: [[UInt8]] = []
        private var groups: [(keys: [SQLiteValue], totals: SpendReport.Totals)] = []
        private var key: [UInt8] = []
        private var total = SpendReport.Totals()
        private var lastRowID: Int64?
        private var overflow = false

        init(dimensions: Int, rowTotal: Bool) {
            self.dimensions = dimensions
            self.rowTotal = rowTotal
            key.reserveCapacity(256)
        }

        mutating func add(_ row: Row) {
            key.removeAll(keepingCapacity: true)
            let n = Int32(dimensions)
            for column in 0..<n { row.appendKey(column, to: &key) }
            let group: Int
            if let existing = index[key] {
                group = existing
            } else {
                group = groups.count
                index[key] = group
                keys.append(key)
                groups.append(((0..<n).map { row.value($0) }, SpendReport.Totals()))
            }
            Self.add(row, from: n, to: &groups[group].totals, overflow: &overflow)
            if rowTotal {
                let rowID = row.int64(n + 5)
                if rowID != lastRowID {
                    lastRowID = rowID
                    Self.add(row, from: n, to: &total, overflow: &overflow)
                }
            }
        }

        @inline(__always)
        private static func add(_ row: Row, from n: Int32, to totals: inout SpendReport.Totals, overflow: inout Bool) {
            func add(_ a: inout Int64, _ column: Int32) {
                let (sum, o) = a.addingReportingOverflow(row.int64(column))
                a = sum
                overflow = overflow || o
            }
            totals.requests += 1
            add(&totals.tokensIn, n)
            add(&totals.tokensOut, n + 1)
            add(&totals.tokensCached, n + 2)
            add(&totals.costNanos, n + 3)
            add(&totals.estimatedRequests, n + 4)
        }

        /// Adds another slice's groups and totals into these.
        mutating func merge(_ other: Grouping) {
            overflow = overflow || other.overflow
            for (i, otherKey) in other.keys.enumerated() {
                if let existing = index[otherKey] {
                    guard let sum = groups[existing].totals.adding(other.groups[i].totals) else {
                        overflow = true
                        continue
                    }
                    groups[existing].totals = sum
                } else {
                    index[otherKey] = groups.count
                    keys.append(otherKey)
                    groups.append(other.groups[i])
                }
            }
            if rowTotal {
                if let sum = total.adding(other.total) { total = sum } else { overflow = true }
            }
        }

        func result() throws -> (groups: [(keys: [SQLiteValue], totals: SpendReport.Totals)], rowTotal: SpendReport.Totals?) {
            if overflow { throw SpendReport.Overflow() }
            return (groups, rowTotal ? total : nil)
        }
    }
}
