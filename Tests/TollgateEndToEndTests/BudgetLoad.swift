import Foundation

/// Fires many requests at once at a gateway (one thread each, released
/// together by a barrier) and records what each got back, with the cost the
/// test computes itself from the usage in the response.
enum BudgetLoad {
    /// small: $0.40 / $1.60 per Mtok = 400 / 1600 nano-dollars per token.
    static let inputNanos: Int64 = 400
    static let outputNanos: Int64 = 1600

    struct Shape {
        var stream: Bool
        var maxTokens: Int
        var outputTokens: Int
        var chunkDelayMs: Int
        var fillerWords: Int
        /// A mock failure mode for this request (`fail=` directive).
        var fail: String? = nil
    }

    struct Outcome {
        var index: Int
        var status = 0
        /// The whole response was read (for a stream: up to the last chunk).
        var completed = false
        var errorType: String?
        var errorMessage: String?
        var retryAfter: String?
        var promptTokens: Int64?
        var completionTokens: Int64?
        var bodyBytes = 0
        var maxTokens = 0

        var cost: Int64? {
            guard let p = promptTokens, let c = completionTokens else { return nil }
            return p * BudgetLoad.inputNanos + c * BudgetLoad.outputNanos
        }

        /// An upper bound on what the gateway may have reserved and
        /// settled for this request (every input token at most one body byte).
        var maxCost: Int64 { Int64(bodyBytes + 64) * BudgetLoad.inputNanos + Int64(maxTokens) * BudgetLoad.outputNanos }
    }

    /// A mix of streams and not, sizes and output lengths (some asking for
    /// more tokens than max_tokens allows), kept in flight by small delays.
    static func mixedShape(_ i: Int) -> Shape {
        Shape(stream: i % 2 == 0, maxTokens: 16 + (i % 5) * 16, outputTokens: 8 + (i % 7) * 20, chunkDelayMs: 5 + i % 4 * 5,
              fillerWords: (i * 7) % 40)
    }

    static func body(_ shape: Shape, index: Int) -> String {
        let filler = String(repeating: "lorem ", count: shape.fillerWords)
        let failure = shape.fail.map { " fail=\($0)" } ?? ""
        let prompt = "[[mock chunks=4 delay_ms=\(shape.chunkDelayMs) tokens=\(shape.outputTokens)\(failure)]] request \(index) \(filler)"
        let streamPart = shape.stream ? #","stream":true,"stream_options":{"include_usage":true}"# : ""
        return #"{"model":"small","max_tokens":\#(shape.maxTokens)\#(streamPart),"messages":[{"role":"user","content":"\#(prompt)"}]}"#
    }

    /// Runs `count` requests concurrently; `onComplete` is called (from the
    /// request's thread) each time a response was read whole.
    static func fire(port: Int, count: Int, first: Int = 0, key: String = TestConfig.prodKey,
                     shape: (Int) -> Shape = mixedShape, onComplete: (@Sendable () -> Void)? = nil) throws -> [Outcome] {
        let gate = NSCondition()
        var ready = 0
        var go = false
        var outcomes = [Outcome?](repeating: nil, count: count)
        let done = DispatchGroup()
        for n in 0..<count {
            let index = first + n
            let s = shape(index)
            let json = body(s, index: index)
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                var outcome = Outcome(index: index)
                outcome.bodyBytes = json.utf8.count
                outcome.maxTokens = s.maxTokens
                gate.lock()
                ready += 1
                gate.broadcast()
                while !go { gate.wait() }
                gate.unlock()
                do {
                    let connection = try HTTPConnection(port: port, timeout: 60)
                    try connection.send(method: "POST", path: "/v1/chat/completions",
                                        headers: [("content-type", "application/json"), ("authorization", "Bearer \(key)")],
                                        body: Array(json.utf8))
                    let response = try connection.readResponse()
                    outcome.status = response.status
                    outcome.completed = true
                    onComplete?()
                    read(response, stream: s.stream, into: &outcome)
                } catch {
                    outcome.errorMessage = "\(error)"
                }
                gate.lock()
                outcomes[n] = outcome
                gate.unlock()
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        gate.lock()
        let deadline = Date().addingTimeInterval(60)
        while ready < count {
            if !gate.wait(until: deadline) { break }
        }
        go = true
        gate.broadcast()
        gate.unlock()
        guard done.wait(timeout: .now() + 120) == .success else { throw TestFailure("requests did not finish in 120 s") }
        return gate.withLock { outcomes.map { $0! } }
    }

    static func read(_ response: HTTPResponse, stream: Bool, into outcome: inout Outcome) {
        outcome.retryAfter = response.header("retry-after")
        if response.status != 200 {
            let error = (try? response.json())?["error"] as? [String: Any]
            outcome.errorType = error?["type"] as? String
            outcome.errorMessage = error?["message"] as? String
            return
        }
        var usage: [String: Any]?
        if stream {
            for line in SSE.dataLines(response.body) where line != "[DONE]" {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                   let u = object["usage"] as? [String: Any] { usage = u }
            }
        } else {
            usage = (try? response.json())?["usage"] as? [String: Any]
        }
        outcome.promptTokens = (usage?["prompt_tokens"] as? NSNumber)?.int64Value
        outcome.completionTokens = (usage?["completion_tokens"] as? NSNumber)?.int64Value
    }

    /// One budget's numbers from GET /admin/budgets.
    struct BudgetNumbers {
        var limit: Int64
        var spent: Int64
        var reserved: Int64
    }

    static func budgets(port: Int, master: String) throws -> [String: BudgetNumbers] {
        let response = try HTTP.request(port: port, method: "GET", path: "/admin/budgets",
                                        headers: [("authorization", "Bearer \(master)")])
        guard response.status == 200 else { throw TestFailure("/admin/budgets answered \(response.status): \(response.text)") }
        var result: [String: BudgetNumbers] = [:]
        for item in (try response.json()["budgets"] as? [[String: Any]]) ?? [] {
            guard let scope = item["scope"] as? String, let period = item["period"] as? String else { continue }
            result["\(scope):\(period)"] = BudgetNumbers(limit: (item["limit_nanos"] as? NSNumber)?.int64Value ?? -1,
                                                         spent: (item["spent_nanos"] as? NSNumber)?.int64Value ?? -1,
                                                         reserved: (item["reserved_nanos"] as? NSNumber)?.int64Value ?? -1)
        }
        return result
    }
}
