// Cards, US SSNs, IPv4 addresses and phone numbers: digit groups with
// separators, tried longest first at group ends.

extension PIIScanner {
    /// 13-19 digits, either one run or groups of 3-6 joined by one
    /// consistent separator (space or dash); Luhn-valid with a known issuer
    /// prefix (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay,
    /// Maestro, Mir).
    func matchCard(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { digits -> Int? in
            withUnsafeTemporaryAllocation(of: (end: Int, count: Int).self, capacity: 8) { candidates -> Int? in
                let n = bytes.count
                var count = 0
                var candidateCount = 0
                var separator: UInt8 = 0
                var groups = 0
                var j = i
                while true {
                    let groupStart = j
                    let countBefore = count
                    while j < n, isDigit(bytes[j]) {
                        if count == 19 { break }
                        digits[count] = bytes[j] - 0x30
                        count += 1
                        j += 1
                    }
                    // Past 19 digits: one long number, or a next group that
                    // does not belong to the card.
                    if j < n, isDigit(bytes[j]) {
                        if groups == 0 { return nil }
                        count = countBefore
                        break
                    }
                    let size = j - groupStart
                    groups += 1
                    if groups == 1 && size > 6 {
                        // One unseparated run: the whole of it or nothing.
                        if count >= 13, numberEnds(bytes, at: j) {
                            candidates[0] = (j, count)
                            candidateCount = 1
                        }
                        break
                    }
                    guard size >= 3, size <= 6 else { break }
                    if count >= 13, numberEnds(bytes, at: j, allowing: separator), candidateCount < 8 {
                        candidates[candidateCount] = (j, count)
                        candidateCount += 1
                    }
                    guard j + 1 < n, isDigit(bytes[j + 1]) else { break }
                    let c = bytes[j]
                    guard c == 0x20 || c == UInt8(ascii: "-"), separator == 0 || separator == c else { break }
                    separator = c
                    j += 1
                }
                var k = candidateCount - 1
                while k >= 0 {
                    let (end, digitCount) = candidates[k]
                    if Self.knownIssuer(digits, count: digitCount), Checksum.luhn(digits, count: digitCount) { return end }
                    k -= 1
                }
                return nil
            }
        }
    }

    static func knownIssuer(_ d: UnsafeMutableBufferPointer<UInt8>, count: Int) -> Bool {
        let two = Int(d[0]) * 10 + Int(d[1])
        let four = two * 100 + Int(d[2]) * 10 + Int(d[3])
        switch d[0] {
        case 4: return count == 13 || count == 16 || count == 19            // Visa
        case 2: return (2221...2720).contains(four) || (2200...2204).contains(four)  // Mastercard, Mir
        case 5: return two >= 50 && two <= 58                              // Mastercard, Maestro
        case 3:
            if two == 34 || two == 37 { return count == 15 }               // Amex
            return two == 35 || two == 36 || two == 38 || two == 39 || (300...305).contains(four / 10)  // JCB, Diners
        case 6: return true                                                // Discover, UnionPay, Maestro
        default: return false
        }
    }

    /// ddd-dd-dddd or ddd dd dddd (one separator kind), never-issued areas
    /// (000, 666, 9xx), group 00 and serial 0000 excluded. Nine bare digits
    /// are not taken: too many other numbers look like that.
    func matchSSN(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        let n = bytes.count
        guard i + 11 <= n else { return nil }
        func digits(_ from: Int, _ length: Int) -> Int? {
            var value = 0
            for k in from..<(from + length) {
                guard isDigit(bytes[k]) else { return nil }
                value = value * 10 + Int(bytes[k] - 0x30)
            }
            return value
        }
        let sep = bytes[i + 3]
        guard sep == UInt8(ascii: "-") || sep == 0x20, bytes[i + 6] == sep,
              let area = digits(i, 3), let group = digits(i + 4, 2), let serial = digits(i + 7, 4) else { return nil }
        guard area != 0, area != 666, area < 900, group != 0, serial != 0 else { return nil }
        guard numberEnds(bytes, at: i + 11), !(i + 11 < n && bytes[i + 11] == sep && i + 12 < n && isDigit(bytes[i + 12])) else {
            return nil
        }
        return i + 11
    }

    /// Four decimal octets 0-255 without leading zeros.
    func matchIPv4(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        guard let end = ipv4End(bytes, at: i) else { return nil }
        return numberEnds(bytes, at: end) ? end : nil
    }

    /// The end of a dotted quad at `i`, no boundary check (IPv6 reuses it).
    func ipv4End(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        let n = bytes.count
        var j = i
        for octet in 0..<4 {
            if octet > 0 {
                guard j < n, bytes[j] == UInt8(ascii: ".") else { return nil }
                j += 1
            }
            let start = j
            var value = 0
            while j < n, isDigit(bytes[j]), j - start < 4 {
                value = value * 10 + Int(bytes[j] - 0x30)
                j += 1
            }
            let length = j - start
            guard length >= 1, length <= 3, value <= 255, !(length > 1 && bytes[start] == 0x30) else { return nil }
        }
        return j
    }

    /// Phone numbers:
    /// - international: `+` then 8-15 digits, grouped any way by spaces,
    ///   dashes, dots or an area code in parentheses;
    /// - North American: (ddd) ddd-dddd, ddd-ddd-dddd, ddd.ddd.dddd,
    ///   ddd ddd dddd, optionally after a leading 1, with valid area and
    ///   exchange codes (first digit 2-9);
    /// - national with a trunk 0 (UK, DE, FR, ...): 10-11 digits in at least
    ///   two groups joined by spaces or dashes ("020 7946 0958").
    /// A bare run of digits without `+` is never a phone: order numbers and
    /// ids look like that.
    func matchPhone(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        withUnsafeTemporaryAllocation(of: PhoneGroup.self, capacity: 8) { groups -> Int? in
            let n = bytes.count
            var j = i
            let plus = bytes[j] == UInt8(ascii: "+")
            if plus { j += 1 }
            var groupCount = 0
            var digits = 0
            var sawParen = false
            var separatorBefore: UInt8 = 0   // bit 0 space, 1 dash, 2 dot
            while groupCount < 8, j < n {
                var paren = false
                if bytes[j] == UInt8(ascii: "(") {
                    guard !sawParen else { break }
                    paren = true
                    j += 1
                }
                let start = j
                while j < n, isDigit(bytes[j]), j - start < 12 { j += 1 }
                let size = j - start
                guard size >= 1 else { break }
                if paren {
                    guard j < n, bytes[j] == UInt8(ascii: ")") else { break }
                    j += 1
                    sawParen = true
                }
                digits += size
                let firstDigit = bytes[start] - 0x30
                groups[groupCount] = PhoneGroup(end: j, size: size, digitsSoFar: digits, paren: paren, first: firstDigit,
                                                separatorBefore: separatorBefore)
                groupCount += 1
                // One separator (or ") " after a parenthesised group), then a digit or "(".
                var k = j
                separatorBefore = 0
                if k < n, bytes[k] == 0x20 || bytes[k] == UInt8(ascii: "-") || bytes[k] == UInt8(ascii: ".") {
                    separatorBefore = bytes[k] == 0x20 ? 1 : bytes[k] == UInt8(ascii: "-") ? 2 : 4
                    k += 1
                } else if !paren && !(k < n && bytes[k] == UInt8(ascii: "(")) {
                    break
                }
                guard k < n, isDigit(bytes[k]) || (bytes[k] == UInt8(ascii: "(") && !sawParen) else { break }
                j = k
            }
            guard groupCount > 0 else { return nil }
            var g = groupCount
            while g > 0 {
                let candidate = UnsafeMutableBufferPointer(rebasing: groups[0..<g])
                let last = candidate[g - 1]
                if numberEnds(bytes, at: last.end), Self.isPhone(candidate, plus: plus) {
                    return last.end
                }
                g -= 1
            }
            return nil
        }
    }

    struct PhoneGroup {
        var end: Int
        var size: Int
        var digitsSoFar: Int
        var paren: Bool
        var first: UInt8
        /// The separator between this group and the one before (bit 0
        /// space, 1 dash, 2 dot; 0 for none).
        var separatorBefore: UInt8
    }

    static func isPhone(_ groups: UnsafeMutableBufferPointer<PhoneGroup>, plus: Bool) -> Bool {
        let digits = groups[groups.count - 1].digitsSoFar
        if plus {
            return digits >= 8 && digits <= 15 && groups[0].first != 0
        }
        guard groups.count >= 2, digits >= 10, digits <= 11 else { return false }
        var separatorKinds: UInt8 = 0
        for g in groups.dropFirst() { separatorKinds |= g.separatorBefore }
        let sizes = groups.map(\.size)
        // North American, optionally after a leading 1.
        var nanp = sizes[...]
        var offset = 0
        if nanp.count == 4, nanp.first == 1, groups[0].first == 1 {
            nanp = nanp.dropFirst()
            offset = 1
        }
        if Array(nanp) == [3, 3, 4] {
            let area = groups[offset]
            let exchange = groups[offset + 1]
            guard area.first >= 2, exchange.first >= 2 else { return false }
            // Without parentheses the two separators must be the same kind.
            if !area.paren && (separatorKinds.nonzeroBitCount != 1 || groups[offset + 1].separatorBefore == 0) { return false }
            return true
        }
        // National with a trunk prefix.
        if groups[0].first == 0, !groups.contains(where: \.paren), separatorKinds & 4 == 0,
           sizes[0] >= 2, sizes[0] <= 5, sizes.allSatisfy({ $0 >= 2 && $0 <= 8 }) {
            return true
        }
        return false
    }
}
