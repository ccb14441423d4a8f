extension PIIScanner {
    /// Country code, two check digits, then the account (upper-case letters
    /// and digits), either compact or in groups of four joined by single
    /// spaces. Valid when mod-97 gives 1 and, for countries in
    /// `ibanLengths`, the length is that country's.
    func matchIBAN(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        let n = bytes.count
        guard i + 15 <= n, isUpper(bytes[i + 1]), isDigit(bytes[i + 2]), isDigit(bytes[i + 3]) else { return nil }
        let expected = Self.ibanLength(bytes[i], bytes[i + 1])
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 34) { chars -> Int? in
            withUnsafeTemporaryAllocation(of: (end: Int, count: Int).self, capacity: 10) { candidates -> Int? in
                var count = 0
                var candidateCount = 0
                var j = i
                let spaced = bytes[i + 4] == 0x20
                // Compact: one run. Spaced: "DE89" then groups of 4, the last 1-4.
                while true {
                    let groupStart = j
                    while j < n, isUpper(bytes[j]) || isDigit(bytes[j]) {
                        if count == 34 { return nil }
                        chars[count] = bytes[j]
                        count += 1
                        j += 1
                        if spaced, j - groupStart == 4 { break }
                    }
                    let size = j - groupStart
                    if j < n, isAlnum(bytes[j]) { return nil }
                    if count >= 15, candidateCount < 10 {
                        candidates[candidateCount] = (j, count)
                        candidateCount += 1
                    }
                    guard spaced, size == 4, j + 1 < n, bytes[j] == 0x20, isUpper(bytes[j + 1]) || isDigit(bytes[j + 1]) else { break }
                    j += 1
                }
                var k = candidateCount - 1
                while k >= 0 {
                    let (end, length) = candidates[k]
                    if expected == 0 || expected == length, Checksum.ibanMod97(chars, count: length) { return end }
                    k -= 1
                }
                return nil
            }
        }
    }

    /// IBAN length by country (0: unknown, any 15-34 is taken).
    static func ibanLength(_ a: UInt8, _ b: UInt8) -> Int {
        switch (a, b) {
        case (0x4E, 0x4F): return 15                                  // NO
        case (0x42, 0x45): return 16                                  // BE
        case (0x44, 0x4B), (0x46, 0x49), (0x4E, 0x4C): return 18      // DK FI NL
        case (0x53, 0x49): return 19                                  // SI
        case (0x41, 0x54), (0x45, 0x45), (0x4C, 0x54), (0x4C, 0x55): return 20  // AT EE LT LU
        case (0x43, 0x48), (0x48, 0x52), (0x4C, 0x49), (0x4C, 0x56): return 21  // CH HR LI LV
        case (0x44, 0x45), (0x47, 0x42), (0x49, 0x45), (0x42, 0x47): return 22  // DE GB IE BG
        case (0x41, 0x45), (0x49, 0x4C): return 23                    // AE IL
        case (0x45, 0x53), (0x53, 0x45), (0x43, 0x5A), (0x53, 0x4B), (0x52, 0x4F), (0x53, 0x41), (0x41, 0x44): return 24  // ES SE CZ SK RO SA AD
        case (0x50, 0x54): return 25                                  // PT
        case (0x49, 0x53), (0x54, 0x52): return 26                    // IS TR
        case (0x46, 0x52), (0x49, 0x54), (0x47, 0x52), (0x4D, 0x43), (0x53, 0x4D): return 27  // FR IT GR MC SM
        case (0x50, 0x4C), (0x48, 0x55), (0x43, 0x59): return 28      // PL HU CY
        case (0x42, 0x52): return 29                                  // BR
        case (0x4D, 0x54): return 31                                  // MT
        default: return 0
        }
    }
}
