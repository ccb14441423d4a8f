import Foundation
import TollgateJSON

/// Every micro-benchmark, by subcommand name. Add yours in its own file
/// with an extension registering it here.
enum Benchmarks {
    static var all: [String: ([String]) -> Void] {
        var table: [String: ([String]) -> Void] = [:]
        table["json"] = jsonParse
        table["counters"] = counters
        table["ledger"] = ledger
        table["ledger-fill"] = ledgerFill
        table["ledger-write"] = ledgerWrite
        table["finance"] = finance
        return table
    }

    /// Parses and re-serialises a typical chat request.
    static func jsonParse(_ arguments: [String]) {
        let body = Array(#"{"model":"small","max_tokens":256,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Summarise the quarterly report in three bullet points, please."}]}"#.utf8)
        let iterations = Int(arguments.first ?? "") ?? 200_000
        let start = DispatchTime.now().uptimeNanoseconds
        var bytes = 0
        for _ in 0..<iterations {
            let value = try! JSONValue.parse(body)
            bytes += value.serialized().count
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "json: %d parse+serialise of a %d-byte request in %.3fs = %.2f µs each", iterations, body.count,
                     elapsed, elapsed / Double(iterations) * 1e6))
        if bytes == 0 { print("") }
    }
}
