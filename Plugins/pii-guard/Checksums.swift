/// The checksums that keep detectors' false positives down.
enum Checksum {
    /// Luhn over decimal digit values (0...9), most significant first.
    static func luhn(_ digits: UnsafeMutableBufferPointer<UInt8>, count: Int) -> Bool {
        var sum = 0
        var double = false
        var k = count - 1
        while k >= 0 {
            var d = Int(digits[k])
            if double {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
            double.toggle()
            k -= 1
        }
        return sum % 10 == 0
    }

    /// ISO 13616 mod-97 of an IBAN given as its characters without spaces
    /// (upper-case letters and digits): the first four moved to the end,
    /// letters as 10...35, the number mod 97 must be 1.
    static func ibanMod97(_ chars: UnsafeMutableBufferPointer<UInt8>, count: Int) -> Bool {
        guard count >= 5 else { return false }
        var remainder = 0
        for n in 0..<count {
            let c = chars[(n + 4) % count]
            if isDigit(c) {
                remainder = (remainder * 10 + Int(c - 0x30)) % 97
            } else if isUpper(c) {
                remainder = (remainder * 100 + Int(c - 0x41) + 10) % 97
            } else {
                return false
            }
        }
        return remainder == 1
    }
}
