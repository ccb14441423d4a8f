extension PIIScanner {
    /// local@domain.tld: a local part of letters, digits and `._%+-` (1-64,
    /// not starting or ending with a dot), a domain of at least two labels
    /// (letters, digits, inner hyphens) whose last label is 2+ letters. A
    /// trailing dot or hyphen is punctuation, not part of the address.
    func matchEmail(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, noEmailBefore: inout Int) -> Int? {
        let n = bytes.count
        var j = i
        while j < n, j - i < 64, Self.isLocalChar(bytes[j]) { j += 1 }
        guard j < n, bytes[j] == UInt8(ascii: "@") else {
            noEmailBefore = j
            return nil
        }
        guard j > i, bytes[i] != UInt8(ascii: "."), bytes[j - 1] != UInt8(ascii: ".") else { return nil }
        let domainStart = j + 1
        var k = domainStart
        while k < n, k - domainStart < 253, isAlnum(bytes[k]) || bytes[k] == UInt8(ascii: "-") || bytes[k] == UInt8(ascii: ".") {
            k += 1
        }
        while k > domainStart, bytes[k - 1] == UInt8(ascii: ".") || bytes[k - 1] == UInt8(ascii: "-") { k -= 1 }
        guard k < n ? !isAlnum(bytes[k]) && bytes[k] != UInt8(ascii: "@") : true else { return nil }
        // Validate labels.
        var labels = 0
        var labelStart = domainStart
        var p = domainStart
        while p <= k {
            if p == k || bytes[p] == UInt8(ascii: ".") {
                let length = p - labelStart
                guard length >= 1, length <= 63, bytes[labelStart] != UInt8(ascii: "-"),
                      bytes[p - 1] != UInt8(ascii: "-") else { return nil }
                labels += 1
                if p == k {
                    guard length >= 2 else { return nil }
                    for q in labelStart..<p where !isAlpha(bytes[q]) { return nil }
                }
                labelStart = p + 1
            }
            p += 1
        }
        return labels >= 2 ? k : nil
    }

    @inline(__always)
    static func isLocalChar(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "%")
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
    }
}
