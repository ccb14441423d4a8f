extension PIIScanner {
    /// IPv6 in text form: eight groups of 1-4 hex digits, or fewer with one
    /// `::`, optionally ending in a dotted quad. A compressed form needs two
    /// explicit groups and a decimal digit somewhere, so `a::b`, `std::map`
    /// and times like `10:30:00` are left alone. The full eight-group form
    /// needs one group that does not read as a small number (three or more
    /// characters, a hex letter, or an embedded dotted quad), so a ratio
    /// like `1:2:3:4:5:6:7:8` is left alone too.
    func matchIPv6(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        let n = bytes.count
        var j = i
        var groups = 0
        var compressed = false
        var hasDecimal = false
        var hasAddressLikeGroup = false
        if bytes[j] == UInt8(ascii: ":") {
            guard j + 1 < n, bytes[j + 1] == UInt8(ascii: ":") else { return nil }
            if j > 0, bytes[j - 1] == UInt8(ascii: ":") || isAlnum(bytes[j - 1]) { return nil }
            compressed = true
            j += 2
        }
        while j < n {
            let start = j
            while j < n, isHex(bytes[j]), j - start < 5 { j += 1 }
            let size = j - start
            if size == 0 { break }
            if size > 4 { return nil }
            if j < n, bytes[j] == UInt8(ascii: "."), groups <= 6, let end = ipv4End(bytes, at: start) {
                groups += 2
                hasDecimal = true
                hasAddressLikeGroup = true
                j = end
                break
            }
            if size >= 3 { hasAddressLikeGroup = true }
            for k in start..<j {
                if isDigit(bytes[k]) { hasDecimal = true } else { hasAddressLikeGroup = true }
            }
            groups += 1
            guard j < n, bytes[j] == UInt8(ascii: ":") else { break }
            if j + 1 < n, bytes[j + 1] == UInt8(ascii: ":") {
                if compressed { return nil }
                compressed = true
                j += 2
            } else if j + 1 < n, isHex(bytes[j + 1]) {
                j += 1
            } else {
                break
            }
        }
        if j < n, isAlnum(bytes[j]) || bytes[j] == UInt8(ascii: ":") { return nil }
        if compressed {
            return groups >= 2 && groups <= 7 && hasDecimal ? j : nil
        }
        return groups == 8 && hasAddressLikeGroup ? j : nil
    }
}
