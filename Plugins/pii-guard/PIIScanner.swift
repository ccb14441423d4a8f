/// Finds PII in UTF-8 text in one left-to-right pass. Detectors only start
/// at a token start (the byte before is not an ASCII letter or digit), try
/// the enabled categories that can start with that byte, and on no match
/// the pass skips the rest of the word — so most bytes are looked at once or
/// twice and nothing is allocated per byte. Matches never overlap; the
/// earliest start wins.
///
/// Validation keeps false positives down: cards pass Luhn and a known
/// issuer prefix, IBANs pass mod-97 (and the country's length when known),
/// SSNs exclude never-issued areas, phones need a `+`, separators, or a
/// national trunk prefix, IPs must be well-formed.
struct PIIScanner {
    var enabled: CategorySet

    init(enabled: CategorySet) { self.enabled = enabled }

    /// Longest match that can contain whitespace (spaced phone, card, IBAN,
    /// SSN, the PEM BEGIN line). Matches without whitespace are words.
    static let maxSpacedMatch = 64

    /// Appends the findings that start in `bytes[from...]` to `findings`.
    /// Bytes before `from` are left context only (word boundaries).
    /// `isFinal`: nothing follows; a PEM block with no END line then runs to
    /// the end of the text. When more may follow, such a block is reported
    /// as an `openPEM` finding covering its BEGIN line, and scanning stops.
    func scan(_ bytes: UnsafeBufferPointer<UInt8>, from: Int = 0, isFinal: Bool = true,
              into findings: inout [Finding]) {
        let n = bytes.count
        var i = from
        // An email local part scanned without meeting '@' up to here: no
        // email can start before it.
        var noEmailBefore = 0
        if i > 0, i < n, isAlnum(bytes[i - 1]) { i = bytes.endOfAlnumRun(from: i) }
        while i < n {
            let b = bytes[i]
            if let found = match(bytes, at: i, first: b, isFinal: isFinal, noEmailBefore: &noEmailBefore) {
                findings.append(found)
                if found.openPEM { return }
                i = found.end
                if i < n, isAlnum(bytes[i]), i > 0, isAlnum(bytes[i - 1]) { i = bytes.endOfAlnumRun(from: i) }
                continue
            }
            i = isAlnum(b) ? bytes.endOfAlnumRun(from: i) : i + 1
        }
    }

    /// Convenience for whole texts.
    func findings(in text: String) -> [Finding] {
        var text = text
        var out: [Finding] = []
        text.withUTF8 { scan($0, into: &out) }
        return out
    }

    @inline(__always)
    private func match(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, first b: UInt8, isFinal: Bool,
                       noEmailBefore: inout Int) -> Finding? {
        let e = enabled
        if isDigit(b) {
            if numberMayStart(bytes, at: i) {
                if e.has(.card), let end = matchCard(bytes, at: i) { return Finding(start: i, end: end, category: .card) }
                if e.has(.ssn), let end = matchSSN(bytes, at: i) { return Finding(start: i, end: end, category: .ssn) }
                if e.has(.ip), let end = matchIPv4(bytes, at: i) { return Finding(start: i, end: end, category: .ip) }
                if e.has(.phone), let end = matchPhone(bytes, at: i) { return Finding(start: i, end: end, category: .phone) }
            }
            if e.has(.ip), let end = matchIPv6(bytes, at: i) { return Finding(start: i, end: end, category: .ip) }
            if e.has(.email), i >= noEmailBefore, let end = matchEmail(bytes, at: i, noEmailBefore: &noEmailBefore) {
                return Finding(start: i, end: end, category: .email)
            }
            return nil
        }
        if isAlpha(b) {
            if e.has(.secret), let end = matchToken(bytes, at: i) { return Finding(start: i, end: end, category: .secret) }
            if e.has(.iban), isUpper(b), let end = matchIBAN(bytes, at: i) { return Finding(start: i, end: end, category: .iban) }
            if e.has(.ip), isHex(b), let end = matchIPv6(bytes, at: i) { return Finding(start: i, end: end, category: .ip) }
            if e.has(.email), i >= noEmailBefore, let end = matchEmail(bytes, at: i, noEmailBefore: &noEmailBefore) {
                return Finding(start: i, end: end, category: .email)
            }
            return nil
        }
        switch b {
        case UInt8(ascii: "+"), UInt8(ascii: "("):
            if e.has(.phone), numberMayStart(bytes, at: i), let end = matchPhone(bytes, at: i) {
                return Finding(start: i, end: end, category: .phone)
            }
        case UInt8(ascii: "-"):
            if e.has(.secret), let pem = matchPEM(bytes, at: i, isFinal: isFinal) { return pem }
        case UInt8(ascii: ":"):
            if e.has(.ip), let end = matchIPv6(bytes, at: i) { return Finding(start: i, end: end, category: .ip) }
        default:
            break
        }
        return nil
    }

    /// Numbers glued to a version, path, identifier or range ("v1.2",
    /// "ID-415", "a/4111") are not values of their own.
    @inline(__always)
    private func numberMayStart(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i > 0 else { return true }
        switch bytes[i - 1] {
        case UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "/"), UInt8(ascii: "@"),
             UInt8(ascii: "\\"), UInt8(ascii: "#"):
            return false
        default:
            return !isAlnum(bytes[i - 1])
        }
    }

    /// After a number: not glued to a letter or digit, nor continued by a
    /// separator and another digit ("1.2.3.4.5", "123-45-6789-0").
    @inline(__always)
    func numberEnds(_ bytes: UnsafeBufferPointer<UInt8>, at j: Int, allowing separator: UInt8 = 0) -> Bool {
        guard j < bytes.count else { return true }
        let c = bytes[j]
        if isAlnum(c) { return false }
        if c == separator { return true }
        if c == UInt8(ascii: ".") || c == UInt8(ascii: "-") || c == UInt8(ascii: "/") {
            return !(j + 1 < bytes.count && isDigit(bytes[j + 1]))
        }
        return true
    }
}
