/// The one pessimistic estimate budget and rate limiting reserve against
/// before a call is forwarded (shared so the two never disagree). Settlement
/// later replaces it with the provider's usage.
///
/// The input bound. Every tokenizer we know (BPE/unigram over UTF-8 bytes,
/// with byte fallback) spends at least one byte per token, so a text of N
/// bytes is at most N tokens. Everything the model reads comes from the
/// request body: prompt text (at least as many bytes in the JSON as in the
/// text, since escaping only adds), tool definitions, and each message's
/// chat framing (a handful of tokens for role markers, while the JSON of a
/// message costs at least ~25 bytes of `{"role":"user","content":""}`). So
/// the body size bounds the input; the prompt bytes (which a plugin's edit
/// may have grown past the body as received) plus `perSegmentOverheadTokens`
/// per segment bound it too, and the larger of the two is taken, plus
/// `fixedOverheadTokens` for the reply priming the provider adds.
/// Not covered: images given by URL (their tokens are not in the body).
///
/// The output bound: the request's max output tokens, capped by the
/// catalog's max output (the model cannot produce more), else the catalog's
/// max output, else `defaultOutputTokens`.
public enum ReservationEstimate {
    /// Chat framing per message (role markers, separators), counted per
    /// prompt segment, which is at least one per message with text.
    public static let perSegmentOverheadTokens: Int64 = 8
    /// Reply priming and end markers, once per request.
    public static let fixedOverheadTokens: Int64 = 16
    /// The output reservation when neither the request nor the catalog
    /// says; callers pass their own configured default.
    public static let defaultOutputTokens: Int64 = 4096

    /// An upper bound on the input tokens of a request (see the type's
    /// comment for why it holds).
    public static func promptTokensUpperBound(promptBytes: Int64, bodyBytes: Int64, segmentCount: Int64 = 0) -> Int64 {
        let fromPrompt = saturatingAdd(max(promptBytes, 0),
                                       saturatingMultiply(max(segmentCount, 0), perSegmentOverheadTokens))
        return saturatingAdd(max(fromPrompt, max(bodyBytes, 0)), fixedOverheadTokens)
    }

    /// The output tokens to reserve.
    public static func outputTokensUpperBound(maxOutputTokens: Int64?, catalogMaxOutput: Int64?,
                                              defaultOutputTokens: Int64 = defaultOutputTokens) -> Int64 {
        let catalog = catalogMaxOutput.flatMap { $0 > 0 ? $0 : nil }
        if let requested = maxOutputTokens, requested > 0 {
            return catalog.map { min(requested, $0) } ?? requested
        }
        return catalog ?? max(defaultOutputTokens, 0)
    }

    /// The input and output tokens to reserve for `call`.
    public static func estimate(call: Call, defaultOutputTokens: Int64 = defaultOutputTokens)
        -> (inputTokens: Int64, outputTokens: Int64)
    {
        let input = promptTokensUpperBound(promptBytes: call.promptBytes ?? 0, bodyBytes: call.bodyBytes ?? 0,
                                           segmentCount: Int64(call.promptSegmentCount))
        let output = outputTokensUpperBound(maxOutputTokens: call.maxOutputTokens,
                                            catalogMaxOutput: call.catalogMaxOutput,
                                            defaultOutputTokens: defaultOutputTokens)
        return (input, output)
    }

    /// The estimate priced at the current model's catalog price (no token
    /// assumed cached); nil if the model is not in the catalog or the cost
    /// does not fit in Int64. A caller that reserves money must not read
    /// nil as zero: use `cost(call:host:defaultOutputTokens:)`, which says
    /// why there is no figure.
    public static func costNanos(call: Call, host: PluginHost, defaultOutputTokens: Int64 = defaultOutputTokens) -> Int64? {
        if case .nanos(let nanos) = cost(call: call, host: host, defaultOutputTokens: defaultOutputTokens) { return nanos }
        return nil
    }

    /// A priced estimate, or why there is none. Neither failure means
    /// "free": a reservation that cannot be computed must be refused.
    public enum CostBound: Equatable, Sendable {
        /// The pessimistic cost in nano-dollars.
        case nanos(Int64)
        /// The model (nil: none set) has no price in the catalog.
        case unpriced(model: String?)
        /// The bound does not fit in Int64 nano-dollars (a `max_tokens` far
        /// beyond any model's output, on a model whose catalog entry sets no
        /// `max_output_tokens` to cap it).
        case overflow(inputTokens: Int64, outputTokens: Int64)
    }

    /// The estimate priced at the current model's catalog price.
    public static func cost(call: Call, host: PluginHost, defaultOutputTokens: Int64 = defaultOutputTokens) -> CostBound {
        guard let model = call.model else { return .unpriced(model: nil) }
        let tokens = estimate(call: call, defaultOutputTokens: defaultOutputTokens)
        if let nanos = host.cost(model: model, tokensIn: tokens.inputTokens, tokensOut: tokens.outputTokens, tokensCached: 0) {
            return .nanos(nanos)
        }
        // Off the hot path: tell an unknown model from an overflow.
        guard host.price(of: model) != nil else { return .unpriced(model: model) }
        return .overflow(inputTokens: tokens.inputTokens, outputTokens: tokens.outputTokens)
    }

    private static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int64.max : sum
    }

    private static func saturatingMultiply(_ a: Int64, _ b: Int64) -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int64.max : product
    }
}
