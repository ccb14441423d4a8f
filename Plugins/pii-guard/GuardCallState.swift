/// One request's answer-side state: the output scanner's carry and the
/// placeholder restorer's carry, chained (new PII is looked for in what the
/// model wrote, before the caller's own values are put back, so restored
/// values are never counted or masked as output findings).
final class GuardCallState {
    let rules: RuleSet
    var output: OutputScanner?
    var restorer: PlaceholderRestorer?
    /// Output findings already added to the metric.
    private var reported = [Int](repeating: 0, count: PIICategory.allCases.count)

    init(rules: RuleSet, output: OutputScanner?, restorer: PlaceholderRestorer?) {
        self.rules = rules
        self.output = output
        self.restorer = restorer
    }

    /// The text to send now for a piece of the answer.
    func feed(_ text: String) -> String {
        var text = text
        if output != nil { text = output!.feed(text) }
        if restorer != nil { text = restorer!.feed(text) }
        return text
    }

    /// Everything still held, at the end of the answer's text.
    func flush() -> String {
        var text = output?.finish() ?? ""
        if restorer != nil { text = restorer!.feed(text) + restorer!.finish() }
        return text
    }

    /// Output findings not yet reported, per category; marks them reported.
    func takeNewOutputCounts() -> [Int]? {
        guard let counts = output?.counts, counts != reported else { return nil }
        let fresh = zip(counts, reported).map { $0 - $1 }
        reported = counts
        return fresh
    }
}
