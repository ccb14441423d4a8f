import TollgateSQLite

extension LedgerScan {
    /// The hash aggregation of one scan (or one slice of it): groups keyed
    /// by the bytes of their dimension values, and the exact Int64 sums of
    /// the five summed columns (plus the request count), six per group in
    /// one flat array. `counted`: each row already sums several requests
    /// (the daily rollup), its count the first summed column; a sum SQLite
    /// turned into a float (its integers overflow to REAL) is an overflow.
    struct Grouping {
        let dimensions: Int
        let rowTotal: Bool
        let counted: Bool
        private var index = ByteKeyTable()
        /// Each group's dimension values, read once, when it is created.
        private var values: [[SQLiteValue]] = []
        /// requests, tokens_in, tokens_out, tokens_cached, cost_nanos, estimated.
        private var sums: [Int64] = []
        private let key = KeyBuffer()
        private var total: [Int64] = Array(repeating: 0, count: 6)
        private var lastRowID: Int64?
        private var overflow = false

        init(dimensions: Int, rowTotal: Bool, counted: Bool = false) {
            self.dimensions = dimensions
            self.rowTotal = rowTotal
            self.counted = counted
        }

        mutating func add(_ row: Row) {
            key.reset()
            let n = Int32(dimensions)
            for column in 0..<n { row.appendKey(column, to: key) }
            let (group, inserted) = index.index(of: key.bytes)
            if inserted {
                values.append((0..<n).map { row.value($0) })
                sums.append(contentsOf: repeatElement(0, count: 6))
            }
            let counted = self.counted
            sums.withUnsafeMutableBufferPointer {
                Self.add(row, from: n, counted: counted, to: $0.baseAddress! + group * 6, overflow: &overflow)
            }
            if rowTotal {
                let rowID = row.int64(n + (counted ? 6 : 5))
                if rowID != lastRowID {
                    lastRowID = rowID
                    total.withUnsafeMutableBufferPointer { Self.add(row, from: n, counted: counted, to: $0.baseAddress!, overflow: &overflow) }
                }
            }
        }

        @inline(__always)
        private static func add(_ row: Row, from n: Int32, counted: Bool, to sums: UnsafeMutablePointer<Int64>, overflow: inout Bool) {
            if counted {
                for i in 0...5 {
                    let column = n + Int32(i)
                    let (sum, o) = sums[i].addingReportingOverflow(row.int64(column))
                    sums[i] = sum
                    overflow = overflow || o || !row.isInteger(column)
                }
                return
            }
            sums[0] += 1
            for i in 1...5 {
                let (sum, o) = sums[i].addingReportingOverflow(row.int64(n + Int32(i) - 1))
                sums[i] = sum
                overflow = overflow || o
            }
        }

        /// Adds another slice's groups and totals into these.
        mutating func merge(_ other: Grouping) {
            overflow = overflow || other.overflow
            index.reserve(keys: other.index.count, bytes: other.index.byteCount)
            values.reserveCapacity(values.count + other.values.count)
            sums.reserveCapacity(sums.count + other.sums.count)
            for i in 0..<other.index.count {
                let (group, inserted) = other.index.key(i).withUnsafeBytes { index.index(of: $0) }
                if inserted {
                    values.append(other.values[i])
                    sums.append(contentsOf: other.sums[i * 6..<i * 6 + 6])
                } else {
                    for j in 0..<6 { Self.add(&sums[group * 6 + j], other.sums[i * 6 + j], &overflow) }
                }
            }
            if rowTotal {
                for j in 0..<6 { Self.add(&total[j], other.total[j], &overflow) }
            }
        }

        private static func add(_ a: inout Int64, _ b: Int64, _ overflow: inout Bool) {
            let (sum, o) = a.addingReportingOverflow(b)
            a = sum
            overflow = overflow || o
        }

        private static func totals(_ s: ArraySlice<Int64>) -> SpendReport.Totals {
            let b = s.startIndex
            return SpendReport.Totals(requests: s[b], tokensIn: s[b + 1], tokensOut: s[b + 2], tokensCached: s[b + 3],
                                      costNanos: s[b + 4], estimatedRequests: s[b + 5])
        }

        func result() throws -> (groups: [(keys: [SQLiteValue], totals: SpendReport.Totals)], rowTotal: SpendReport.Totals?) {
            if overflow { throw SpendReport.Overflow() }
            let groups = values.indices.map { (keys: values[$0], totals: Self.totals(sums[$0 * 6..<$0 * 6 + 6])) }
            return (groups, rowTotal ? Self.totals(total[...]) : nil)
        }
    }
}
