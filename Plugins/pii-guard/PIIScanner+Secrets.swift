// Credentials by their published shapes. Each needs its prefix at a token
// start and enough token characters after it; generic high-entropy strings
// are not guessed at.

extension PIIScanner {
    /// API keys and tokens:
    /// - OpenAI `sk-...` / `sk-proj-...`, Anthropic `sk-ant-...`: 20+ token
    ///   characters after `sk-`, with both letters and digits;
    /// - AWS access key ids: `AKIA|ASIA|ABIA|ACCA` + 16 upper-case/digits;
    /// - GitHub: `ghp_ gho_ ghu_ ghs_ ghr_` + 36+, `github_pat_` + 22+;
    /// - Slack: `xoxb- xoxp- xoxa- xoxr- xoxs- xoxo- xapp-` + 10+;
    /// - JWTs: `eyJ` header, `.`, `eyJ` payload, `.`, signature.
    func matchToken(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        switch bytes[i] {
        case UInt8(ascii: "s"):
            guard bytes.has("sk-", at: i) else { return nil }
            return tokenBody(bytes, from: i + 3, minimum: 20, needsDigitAndLetter: true)
        case UInt8(ascii: "A"):
            guard bytes.has("AKIA", at: i) || bytes.has("ASIA", at: i) || bytes.has("ABIA", at: i)
                || bytes.has("ACCA", at: i) else { return nil }
            let end = i + 20
            guard end <= bytes.count else { return nil }
            for k in (i + 4)..<end where !(isUpper(bytes[k]) || isDigit(bytes[k])) { return nil }
            return end == bytes.count || !isTokenChar(bytes[end]) ? end : nil
        case UInt8(ascii: "g"):
            if bytes.has("github_pat_", at: i) { return tokenBody(bytes, from: i + 11, minimum: 22) }
            guard bytes.has("gh", at: i), i + 3 < bytes.count, bytes[i + 3] == UInt8(ascii: "_") else { return nil }
            switch bytes[i + 2] {
            case UInt8(ascii: "p"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "s"), UInt8(ascii: "r"):
                return tokenBody(bytes, from: i + 4, minimum: 36)
            default: return nil
            }
        case UInt8(ascii: "x"):
            if bytes.has("xapp-", at: i) { return tokenBody(bytes, from: i + 5, minimum: 10) }
            guard bytes.has("xox", at: i), i + 4 < bytes.count, bytes[i + 4] == UInt8(ascii: "-") else { return nil }
            switch bytes[i + 3] {
            case UInt8(ascii: "b"), UInt8(ascii: "p"), UInt8(ascii: "a"), UInt8(ascii: "r"), UInt8(ascii: "s"), UInt8(ascii: "o"):
                return tokenBody(bytes, from: i + 5, minimum: 10)
            default: return nil
            }
        case UInt8(ascii: "e"):
            return matchJWT(bytes, at: i)
        default:
            return nil
        }
    }

    /// The end of a run of token characters from `from`, if at least
    /// `minimum` long (and mixing letters and digits when asked).
    private func tokenBody(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, minimum: Int,
                           needsDigitAndLetter: Bool = false) -> Int? {
        var j = from
        var digits = false
        var letters = false
        while j < bytes.count, isTokenChar(bytes[j]) {
            if isDigit(bytes[j]) { digits = true } else if isAlpha(bytes[j]) { letters = true }
            j += 1
        }
        guard j - from >= minimum, !needsDigitAndLetter || (digits && letters) else { return nil }
        return j
    }

    private func matchJWT(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        guard bytes.has("eyJ", at: i) else { return nil }
        let n = bytes.count
        var j = i
        for segment in 0..<3 {
            let start = j
            while j < n, isTokenChar(bytes[j]) { j += 1 }
            if segment < 2 {
                guard j - start >= 10, j < n, bytes[j] == UInt8(ascii: ".") else { return nil }
                j += 1
                if segment == 0, !bytes.has("eyJ", at: j) { return nil }
            }
        }
        return j
    }

    /// A PEM private key block: `-----BEGIN ... PRIVATE KEY-----` through
    /// the matching `-----END ...-----` line.
    func matchPEM(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, isFinal: Bool) -> Finding? {
        guard bytes.has("-----BEGIN ", at: i) else { return nil }
        let n = bytes.count
        var j = i + 11
        let limit = min(n, j + 40)
        while j < limit, isUpper(bytes[j]) || bytes[j] == 0x20 { j += 1 }
        // j is at the first byte after the label; the label ends "PRIVATE KEY".
        guard j >= i + 22, bytes.has("PRIVATE KEY-----", at: j - 11) else { return nil }
        let headerEnd = j + 5
        var k = headerEnd
        while k + 9 <= n {
            if bytes[k] == UInt8(ascii: "-"), bytes.has("-----END ", at: k) {
                var m = k + 9
                while m < n, isUpper(bytes[m]) || bytes[m] == 0x20 { m += 1 }
                if bytes.has("-----", at: m) { return Finding(start: i, end: m + 5, category: .secret) }
                if m + 5 > n, !isFinal { break }
            }
            k += 1
        }
        if isFinal { return Finding(start: i, end: n, category: .secret) }
        return Finding(start: i, end: headerEnd, category: .secret, openPEM: true)
    }
}
