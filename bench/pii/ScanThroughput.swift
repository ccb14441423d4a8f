// Scanner throughput, built with `swiftc -O` together with the plugin's
// pure-Swift scanner files (see scan-throughput.sh): the same code the
// plugin runs, without a host. Prints MB/s for a 100 KB prompt.

/// Prose with numbers, dates, versions, ids and a few real findings (one
/// email, phone, card, IP and key per ~2 KB), repeated to `size` bytes.
func makePrompt(size: Int) -> String {
    let paragraphs = [
        "The quarterly review covered revenue of $1,299,450.00 across 14 regions, up 12.5% on 2023. ",
        "Build 2024-01-15 10:30:00 shipped v2.10.3 with fixes for tickets JIRA-4821 and PR #1234. ",
        "Please contact the account owner at maria.gonzalez@example.com before Friday. ",
        "Order 1234567890 (trace 550e8400-e29b-41d4-a716-446655440000) is waiting for approval. ",
        "Our support line is +1 415 555 2671 and the office is at 1600 Amphitheatre Parkway. ",
        "The customer paid with 4111 1111 1111 1111 and asked for a refund of 49.99 USD. ",
        "Servers 10.0.4.17 and 2001:db8::8a2e:370:7334 logged timeouts at 12:30:45 UTC. ",
        "Someone pasted the key sk-proj-4fJ9kLm2Qx7Rt1Vb8Nc3Hd6Yw0Zp5Ae into the ticket by mistake. ",
        "Meanwhile the team discussed the roadmap, hiring, the offsite agenda and the budget for next year. ",
        "Kernel 5.15.0-91-generic and glibc 2.35 were used; the matrix [[1, 2], [3, 4]] was inverted. ",
        "Long-form text without any personal data keeps the scanner honest about the common case, ",
        "because most prompts are documents, code and conversation rather than lists of identifiers. ",
        "It was the best of times, it was the worst of times, it was the age of wisdom and of foolishness. ",
        "func handle(_ request: Request) async throws -> Response { try await next.respond(to: request) } ",
        "Sales in Q3 were 4 111 111 units at an average of 12.00 each, shipped from warehouse 7. ",
        "Questions go to the shared channel; escalations follow the usual on-call rotation schedule. ",
        "Aux: the ratio was 16:9 and the colour #FF5733, per section 1.2.3 of the style guide. ",
        "Finally, the appendix lists every dependency with its licence, version and maintainer. ",
        "\n\n",
    ]
    var text = ""
    var k = 0
    while text.utf8.count < size {
        text += paragraphs[k % paragraphs.count]
        k += 1
    }
    return text
}

func measure(_ label: String, bytes: Int, iterations: Int, _ body: () -> Int) {
    var sink = 0
    sink &+= body()  // warm up
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations { sink &+= body() }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let mbps = Double(bytes * iterations) / seconds / 1_000_000
    let perCall = seconds / Double(iterations) * 1e6
    print("\(label): \(Int(mbps + 0.5)) MB/s (\(Int(perCall + 0.5)) us per 100 KB, sink \(sink % 10))")
}

let prompt = makePrompt(size: 100 * 1024)
let size = prompt.utf8.count
let all = PIIScanner(enabled: .all)
let found = all.findings(in: prompt).count
print("prompt: \(size) bytes, \(found) findings")
let iterations = 300

measure("scan, all detectors", bytes: size, iterations: iterations) {
    all.findings(in: prompt).count
}
measure("scan, email+card only", bytes: size, iterations: iterations) {
    PIIScanner(enabled: [CategorySet(.email), CategorySet(.card)]).findings(in: prompt).count
}
measure("scan + redact with placeholders", bytes: size, iterations: iterations) {
    var table = PlaceholderTable()
    var text = prompt
    var out: [UInt8] = []
    text.withUTF8 { bytes in
        var findings: [Finding] = []
        all.scan(bytes, into: &findings)
        rewrite(bytes, findings: findings, into: &out) { finding, value in
            table.placeholder(for: String(decoding: value, as: UTF8.self), category: finding.category)
        }
    }
    return out.count
}
// Answers arrive in small pieces: ~40-byte deltas through the output carry.
let pieces: [String] = {
    var result: [String] = []
    var current = ""
    for ch in prompt {
        current.append(ch)
        if current.utf8.count >= 40 {
            result.append(current)
            current = ""
        }
    }
    if !current.isEmpty { result.append(current) }
    return result
}()
measure("output scan, 40-byte stream deltas", bytes: size, iterations: iterations / 3) {
    var scanner = OutputScanner(scanner: all, masked: .all)
    var total = 0
    for piece in pieces { total += scanner.feed(piece).utf8.count }
    return total + scanner.finish().utf8.count
}
measure("restore placeholders, 40-byte stream deltas", bytes: size, iterations: iterations / 3) {
    var table = PlaceholderTable()
    _ = table.placeholder(for: "maria.gonzalez@example.com", category: .email)
    var restorer = PlaceholderRestorer(table: table)
    var total = 0
    for piece in pieces { total += restorer.feed(piece).utf8.count }
    return total + restorer.finish().utf8.count
}
