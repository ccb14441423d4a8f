/// Puts the original values back into an answer streamed in pieces: an
/// I/O-free state machine fed each piece of text in order, returning what
/// may be sent now. A placeholder split over pieces (`[EMA` + `IL_1]`) is
/// held back until it completes; the carry is bounded by the longest
/// placeholder of the request, since a longer prefix cannot be one.
/// Bracketed text that is not one of this request's placeholders passes
/// through unchanged.
struct PlaceholderRestorer {
    let table: PlaceholderTable
    /// Bytes held back: a proper prefix of a possible placeholder.
    private(set) var held: [UInt8] = []
    private let labels: [[UInt8]]
    private let maxDigits: Int

    init(table: PlaceholderTable) {
        self.table = table
        labels = table.categories.categories.map { Array($0.label.utf8) }
        // "[" + label + "_" + digits + "]" <= longest
        let shortestLabel = labels.map(\.count).min() ?? 0
        maxDigits = max(1, table.longest - shortestLabel - 3)
    }

    /// The restored text that can be sent now.
    mutating func feed(_ text: String) -> String {
        if table.isEmpty { return text }
        if held.isEmpty, !text.utf8.contains(UInt8(ascii: "[")) { return text }
        var input = held
        input.append(contentsOf: text.utf8)
        held.removeAll(keepingCapacity: true)
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        input.withUnsafeBufferPointer { bytes in
            let n = bytes.count
            var copied = 0
            var i = 0
            while i < n {
                guard bytes[i] == UInt8(ascii: "[") else {
                    i += 1
                    continue
                }
                switch classify(bytes, at: i) {
                case .placeholder(let end):
                    let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self)
                    if let value = table.value(for: key) {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<i]))
                        out.append(contentsOf: value.utf8)
                        copied = end
                    }
                    i = end
                case .incomplete:
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<i]))
                    held.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<n]))
                    copied = n
                    i = n
                case .no:
                    i += 1
                }
            }
            if copied < n { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<n])) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Ends the answer: whatever is held was not a placeholder.
    mutating func finish() -> String {
        defer { held.removeAll() }
        return String(decoding: held, as: UTF8.self)
    }

    private enum Shape { case placeholder(end: Int), incomplete, no }

    /// `[LABEL_digits]` with a label of this request, up to `maxDigits`.
    private func classify(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Shape {
        let n = bytes.count
        var j = i + 1
        while j < n, isUpper(bytes[j]) { j += 1 }
        let labelLength = j - i - 1
        // The label read so far must be (a prefix of) one of ours.
        var fullLabel = false
        var prefixOfLabel = false
        for label in labels where labelLength <= label.count {
            var same = true
            for k in 0..<labelLength where bytes[i + 1 + k] != label[k] {
                same = false
                break
            }
            if same {
                prefixOfLabel = true
                if labelLength == label.count { fullLabel = true }
            }
        }
        guard prefixOfLabel else { return .no }
        if j == n { return .incomplete }
        guard fullLabel, bytes[j] == UInt8(ascii: "_") else { return .no }
        j += 1
        let digitsStart = j
        while j < n, isDigit(bytes[j]), j - digitsStart < maxDigits { j += 1 }
        if j == n { return .incomplete }
        guard j > digitsStart, bytes[j] == UInt8(ascii: "]") else { return .no }
        return .placeholder(end: j + 1)
    }
}
