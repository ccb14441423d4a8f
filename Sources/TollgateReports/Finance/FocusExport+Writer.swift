import Dispatch

extension FocusExport {
    /// `--format` of the export: RFC 4180 CSV (the FinOps tools' usual
    /// input), or a JSON array of one object per charge.
    package enum Format: String, CaseIterable, Sendable {
        case csv, json
    }

    /// Writes the export of `charges` over `range` to `sink`: the rows are
    /// rendered straight to bytes, a few thousand at a time on every core,
    /// and handed to `sink` in order — never as one string (a year of
    /// charges is hundreds of megabytes).
    package func write(_ charges: Charges, range: LedgerTimeRange, format: Format, to sink: ([UInt8]) -> Void) {
        let columns = Self.columns
        var head = ByteWriter()
        switch format {
        case .csv:
            for (i, name) in columns.enumerated() {
                if i > 0 { head.byte(0x2C) }
                head.csv(name)
            }
            head.bytes("\r\n")
        case .json:
            head.bytes("[")
        }
        sink(head.buffer)
        // Each attribution's cells rendered once, between the charge's own.
        let templates = charges.attributions.map { segments(attributionRow(cells($0)), format: format) }
        let rows = charges.rows
        let chunk = 4_096
        let chunks = (rows.count + chunk - 1) / chunk
        let wave = min(16, LedgerScan.cores * 2)
        var next = 0
        while next < chunks {
            let base = next
            let count = min(wave, chunks - base)
            let outputs = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: count)
            outputs.initialize(repeating: [])
            // Each chunk writes only its own slot.
            DispatchQueue.concurrentPerform(iterations: count) { i in
                var out = ByteWriter()
                var dates: Dates?
                for n in (base + i) * chunk..<min((base + i + 1) * chunk, rows.count) {
                    let charge = rows[n]
                    if dates?.day != charge.day { dates = Dates(day: charge.day, range: range) }
                    let template = templates[charge.attribution]
                    if format == .json { out.bytes(n == 0 ? "\n{" : ",\n{") }
                    out.buffer.append(contentsOf: template[0])
                    for (k, value) in chargeValues(charge, dates: dates!).enumerated() {
                        out.cell(value, format: format)
                        out.buffer.append(contentsOf: template[k + 1])
                    }
                }
                outputs[i] = out.buffer
            }
            for i in 0..<count { sink(outputs[i]) }
            outputs.deinitialize()
            outputs.deallocate()
            next += count
        }
        if format == .json { sink(Array("\n]\n".utf8)) }
    }

    /// A row's bytes around the charge's own cells (`chargeColumns`):
    /// segment k ends just before the k-th of them (its separator and, in
    /// JSON, its name included); the last one ends the row.
    func segments(_ row: [Value], format: Format) -> [[UInt8]] {
        var segments: [[UInt8]] = []
        var out = ByteWriter()
        let variable = Set(Self.chargeColumns)
        for (c, value) in row.enumerated() {
            if c > 0 { out.byte(0x2C) }
            if format == .json {
                out.jsonString(Self.columns[c])
                out.byte(0x3A)
            }
            if variable.contains(c) {
                segments.append(Array(out.buffer[...]))  // a copy of its own size, not the writer's buffer
                out.buffer.removeAll(keepingCapacity: true)
            } else {
                out.cell(value, format: format)
            }
        }
        out.bytes(format == .csv ? "\r\n" : "}")
        segments.append(Array(out.buffer[...]))
        return segments
    }

    /// The export as one string (tests, small ranges).
    package func render(_ charges: Charges, range: LedgerTimeRange, format: Format) -> String {
        var bytes: [UInt8] = []
        write(charges, range: range, format: format) { bytes += $0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Bytes of CSV or JSON, appended without a String in between.
struct ByteWriter {
    var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    @inline(__always) mutating func byte(_ b: UInt8) { buffer.append(b) }

    mutating func bytes(_ s: String) { buffer.append(contentsOf: s.utf8) }

    /// A cell of the FOCUS export.
    mutating func cell(_ value: FocusExport.Value, format: FocusExport.Format) {
        switch value {
        case .text(let s): format == .csv ? csv(s) : jsonString(s)
        case .integer(let v): integer(v)
        case .decimal(let units, let scale): decimal(units, scale: scale)
        case .null: if format == .json { bytes("null") }
        }
    }

    /// A CSV field, quoted only when it must be (RFC 4180).
    mutating func csv(_ s: String) {
        let needsQuotes = s.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            buffer.append(contentsOf: s.utf8)
            return
        }
        buffer.append(0x22)
        for b in s.utf8 {
            if b == 0x22 { buffer.append(0x22) }
            buffer.append(b)
        }
        buffer.append(0x22)
    }

    mutating func jsonString(_ s: String) {
        buffer.append(0x22)
        let hex = Array("0123456789abcdef".utf8)
        for b in s.utf8 {
            switch b {
            case 0x22, 0x5C:
                buffer.append(0x5C)
                buffer.append(b)
            case 0x0A: buffer.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: buffer.append(contentsOf: [0x5C, 0x72])
            case 0x09: buffer.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20: buffer.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: buffer.append(b)
            }
        }
        buffer.append(0x22)
    }

    mutating func integer(_ v: Int64) {
        if v < 0 { buffer.append(0x2D) }
        digits(v.magnitude, minimum: 1)
    }

    /// `units` × 10^-`scale` as an exact decimal: no exponent, no trailing
    /// zeros after the point, no point for a whole number ("12", "0.000123").
    mutating func decimal(_ units: Int64, scale: Int) {
        if units < 0 { buffer.append(0x2D) }
        var divisor: UInt64 = 1
        for _ in 0..<scale { divisor *= 10 }
        let m = units.magnitude
        digits(m / divisor, minimum: 1)
        var fraction = m % divisor
        guard fraction > 0 else { return }
        var places = scale
        while fraction % 10 == 0 {
            fraction /= 10
            places -= 1
        }
        buffer.append(0x2E)
        digits(fraction, minimum: places)
    }

    /// The decimal digits of `v`, zero-padded to `minimum`.
    private mutating func digits(_ v: UInt64, minimum: Int) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &scratch) { raw in
            var i = raw.count
            var rest = v
            repeat {
                i -= 1
                raw[i] = UInt8(0x30 + rest % 10)
                rest /= 10
            } while rest > 0 || raw.count - i < minimum
            buffer.append(contentsOf: raw[i...])
        }
    }
}
