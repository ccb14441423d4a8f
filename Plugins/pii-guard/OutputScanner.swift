/// Scans an answer streamed in pieces for PII the model produced: an
/// I/O-free state machine fed each piece in order. It holds back a bounded
/// tail — the last word (a value without spaces may still be growing) and
/// at least `PIIScanner.maxSpacedMatch` bytes (a spaced card or phone may
/// span pieces), never more than `maxHold` — so a value split across pieces
/// is seen whole, and counted once.
///
/// Categories in `masked` are replaced by `[LABEL_REDACTED]`; the others
/// are only counted. A PEM private key block that is still open is masked
/// from its BEGIN line, and the key body is dropped until its END line.
struct OutputScanner {
    let scanner: PIIScanner
    let masked: CategorySet
    /// The hard bound on the carry: a single word longer than this is let
    /// through in parts (and a value inside it may then be missed).
    let maxHold: Int

    /// Bytes not yet sent.
    private(set) var pending: [UInt8] = []
    /// The byte sent just before `pending` (word boundaries).
    private var context: UInt8?
    /// Inside a masked PEM block whose END line has not arrived.
    private(set) var insidePEM = false
    /// Findings so far, per category (by `PIICategory.rawValue`).
    private(set) var counts = [Int](repeating: 0, count: PIICategory.allCases.count)

    init(scanner: PIIScanner, masked: CategorySet, maxHold: Int = 4096) {
        self.scanner = scanner
        self.masked = masked
        self.maxHold = max(maxHold, PIIScanner.maxSpacedMatch * 2)
    }

    static func mask(_ category: PIICategory) -> String { "[\(category.label)_REDACTED]" }

    /// The text that can be sent now.
    mutating func feed(_ text: String) -> String {
        pending.append(contentsOf: text.utf8)
        return process(isFinal: false)
    }

    /// Ends the answer: scans and returns everything held.
    mutating func finish() -> String {
        let out = process(isFinal: true)
        pending.removeAll()
        insidePEM = false
        return out
    }

    private mutating func process(isFinal: Bool) -> String {
        var out: [UInt8] = []
        while true {
            if insidePEM {
                guard skipPEMBody(isFinal: isFinal) else { break }
            }
            if pending.isEmpty { break }
            if !scanPending(isFinal: isFinal, into: &out) { break }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Sends what is safe of `pending`; true when it stopped at an open PEM
    /// block and the rest of `pending` is to be looked at again.
    private mutating func scanPending(isFinal: Bool, into out: inout [UInt8]) -> Bool {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(pending.count + 1)
        if let context { buffer.append(context) }
        let from = buffer.count
        buffer.append(contentsOf: pending)
        var findings: [Finding] = []
        var enteredPEM = false
        var stoppedAtPEM = false
        var cut = 0
        buffer.withUnsafeBufferPointer { bytes in
            let n = bytes.count
            scanner.scan(bytes, from: from, isFinal: isFinal, into: &findings)
            if let open = findings.last, open.openPEM {
                findings.removeLast()
                stoppedAtPEM = true
                cut = open.start
                count(open.category)
                if masked.has(.secret) {
                    enteredPEM = true
                    // The BEGIN line is part of what is masked.
                    rewrite(bytes, from: from, to: cut, findings: findings, into: &out, replacement: replace)
                    out.append(contentsOf: Self.mask(.secret).utf8)
                    cut = open.end
                    return
                }
                // Counted only: let the block through from here on.
                cut = open.end
                rewrite(bytes, from: from, to: cut, findings: findings, into: &out, replacement: replace)
                return
            }
            if isFinal {
                cut = n
            } else {
                var hold = max(from, n - PIIScanner.maxSpacedMatch)
                var k = n
                while k > from, !isSpace(bytes[k - 1]) { k -= 1 }
                hold = min(hold, k)
                hold = max(hold, n - maxHold, from)
                for finding in findings where finding.end > hold {
                    hold = min(hold, finding.start)
                }
                cut = hold
            }
            rewrite(bytes, from: from, to: cut, findings: findings, into: &out, replacement: replace)
        }
        for finding in findings where finding.end <= cut { count(finding.category) }
        if cut > from { context = buffer[cut - 1] }
        pending.removeFirst(cut - from)
        if enteredPEM { insidePEM = true }
        // After an open PEM block the rest of `pending` is looked at again
        // (skipping the key body, or scanning on after a counted BEGIN line).
        return stoppedAtPEM
    }

    private func replace(_ finding: Finding, _ value: UnsafeBufferPointer<UInt8>) -> String? {
        masked.has(finding.category) ? Self.mask(finding.category) : nil
    }

    private mutating func count(_ category: PIICategory) {
        counts[category.rawValue] += 1
    }

    /// Drops the key body up to and including the END line; true when it
    /// was found (scanning resumes after it).
    private mutating func skipPEMBody(isFinal: Bool) -> Bool {
        let end: Int? = pending.withUnsafeBufferPointer { bytes in
            var k = 0
            while k + 9 <= bytes.count {
                if bytes[k] == UInt8(ascii: "-"), bytes.has("-----END ", at: k) {
                    var m = k + 9
                    while m < bytes.count, isUpper(bytes[m]) || bytes[m] == 0x20 { m += 1 }
                    if bytes.has("-----", at: m) { return m + 5 }
                    if m + 5 > bytes.count { return nil }
                }
                k += 1
            }
            return nil
        }
        guard let end else {
            // Keep only what could be the start of the END line.
            let keep = isFinal ? 0 : min(pending.count, 64)
            pending.removeFirst(pending.count - keep)
            return false
        }
        pending.removeFirst(end)
        context = UInt8(ascii: "-")
        insidePEM = false
        return true
    }
}
