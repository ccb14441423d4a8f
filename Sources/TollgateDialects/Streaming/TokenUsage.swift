import TollgateJSON
import TollgateSupport
import TollgateUnits

/// Token counts of one call in Tollgate's canonical split: `input` excludes
/// cached prompt tokens, which are counted in `cached` (OpenAI reports
/// prompt_tokens including cached ones; Anthropic reports them apart).
package struct TokenUsage: Sendable, Equatable {
    package var input: Int64
    package var output: Int64
    package var cached: Int64
    /// True when any figure is the gateway's estimate, not the provider's.
    package var estimated: Bool

    package init(input: Int64, output: Int64, cached: Int64, estimated: Bool) {
        self.input = input
        self.output = output
        self.cached = cached
        self.estimated = estimated
    }

    package static let zero = TokenUsage(input: 0, output: 0, cached: 0, estimated: false)

    /// The estimate used when a provider reports nothing: four bytes of
    /// UTF-8 per token, rounded up.
    package static func estimateTokens(bytes: Int) -> Int64 {
        Int64((bytes + 3) / 4)
    }
}

/// Collects usage as a response goes by and fills the gaps with estimates.
package struct UsageTracker: Sendable {
    package let dialect: APIDialect
    var input: Int64?
    var output: Int64?
    var cached: Int64?
    /// Generated text seen so far, for the estimate and the running count.
    package private(set) var outputTextBytes = 0

    package init(dialect: APIDialect) { self.dialect = dialect }

    package var sawUsage: Bool { input != nil || output != nil }
    /// The provider reported the output tokens: no text estimate is needed.
    package var hasOutputCount: Bool { output != nil }

    package mutating func addOutputText(bytes: Int) { outputTextBytes += bytes }

    /// `usage` is a usage object of the tracker's dialect (OpenAI's, or
    /// Anthropic's message_start `message.usage`, message_delta `usage`,
    /// a non-stream body's `usage`). With `finalOutput` false (Anthropic's
    /// `message_start`) the output count is a placeholder and is ignored: a
    /// stream's output count is the provider's only once its final usage
    /// event arrived; until then (and for a stream cut before it) it is
    /// estimated from the text produced.
    package mutating func observe(usage: JSONValue, finalOutput: Bool = true) {
        guard case .object = usage else { return }
        let reading = dialect.wire.readUsage(usage, finalOutput: finalOutput)
        if let value = reading.input { input = value }
        if let value = reading.output { output = value }
        if let value = reading.cached { cached = value }
    }

    /// Output tokens so far: the provider's count if it gave one, else the
    /// estimate from the text.
    package var runningOutputTokens: Int64 {
        max(output ?? 0, TokenUsage.estimateTokens(bytes: outputTextBytes))
    }

    /// Input tokens so far: the provider's count once an event carried it,
    /// else the estimate from the prompt.
    package func runningInputTokens(promptBytes: Int) -> Int64 {
        input ?? TokenUsage.estimateTokens(bytes: promptBytes)
    }

    package func final(promptBytes: Int) -> TokenUsage {
        let estimatedInput = input == nil
        let estimatedOutput = output == nil
        return TokenUsage(
            input: input ?? TokenUsage.estimateTokens(bytes: promptBytes),
            output: output ?? TokenUsage.estimateTokens(bytes: outputTextBytes),
            cached: cached ?? 0,
            estimated: estimatedInput || estimatedOutput
        )
    }
}
