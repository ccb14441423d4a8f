import TollgatePluginKit

extension PIIGuard {
    /// Text events go through the carries (what is held back is sent with
    /// a later event); the first event without text that ends the text —
    /// anything but a ping — flushes them, which the host sends as a text
    /// event just before it. A non-stream body is handled whole.
    public func onChunk(_ call: Call) throws -> ChunkVerdict {
        guard let state = call.state(as: GuardCallState.self), let kind = call.chunkKind else { return .continue }
        let verdict: ChunkVerdict
        switch kind {
        case .text:
            let text = call.chunkText ?? ""
            let out = state.feed(text)
            verdict = out == text ? .continue : call.replaceChunkText(out)
        case .body:
            let text = call.chunkText ?? ""
            let out = state.feed(text) + state.flush()
            verdict = out == text ? .continue : call.replaceChunkText(out)
        case .other where Self.isPing(call):
            return .continue
        case .other, .end, .unknown:
            let out = state.flush()
            verdict = out.isEmpty ? .continue : call.replaceChunkText(out)
        }
        if let fresh = state.takeNewOutputCounts() { record(fresh, rules: state.rules, direction: "output") }
        return verdict
    }

    /// Anthropic keep-alive pings may come between text deltas: holding on
    /// through them keeps a placeholder split around one restorable.
    static func isPing(_ call: Call) -> Bool {
        guard let raw = call.chunkRaw, raw.utf8.count < 64 else { return false }
        return (try? JSONValue.parse(raw))?["type"]?.stringValue == "ping"
    }
}
