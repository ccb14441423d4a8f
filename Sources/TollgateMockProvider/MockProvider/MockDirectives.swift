import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateUpstream

/// Which provider dialect a mock request speaks.
package enum MockAPI: Sendable {
    case openai, anthropic
}

/// A failure the mock can act out.
package enum MockFailure: String, Sendable, CaseIterable {
    case status429 = "429", status500 = "500", status503 = "503"
    /// Sends nothing (first-byte timeouts); gives up after `stallLimitMs`.
    case stall
    /// Sends the head and the first chunk, then nothing (idle timeouts).
    case stallAfterFirst = "stall-after-first"
    /// Sends the head and about half the chunks, then drops the connection.
    case cut
    /// A 200 whose body (or one stream event) is not valid JSON.
    case badJSON = "bad-json"
}

/// How the mock answers. Sources, lowest to highest precedence: the server's
/// defaults, `+key=value` after the model name, a `[[mock key=value ...]]`
/// directive in the prompt, `x-mock-*` request headers.
package struct MockDirectives: Sendable, Equatable {
    package var fail: MockFailure?
    /// Content events per streamed answer (fewer if there are fewer tokens).
    package var chunks: Int
    /// Delay before each content event (a non-stream answer waits for all).
    package var chunkDelayMs: Int
    /// Output tokens, capped by the request's max tokens (ignored in echo mode).
    package var outputTokens: Int
    /// Answer with the prompt text instead of `tok0 tok1 ...`.
    package var echo: Bool
    /// False: omit usage from the answer (a provider bug the gateway must survive).
    package var usage: Bool
    /// Prompt tokens reported as read from the provider's cache.
    package var cachedTokens: Int
    /// How long `stall` and `stall-after-first` hold the connection before
    /// closing it, so nothing hangs forever.
    package var stallLimitMs: Int

    package init(fail: MockFailure? = nil, chunks: Int = 5, chunkDelayMs: Int = 0, outputTokens: Int = 16,
                echo: Bool = false, usage: Bool = true, cachedTokens: Int = 0, stallLimitMs: Int = 60_000) {
        self.fail = fail
        self.chunks = chunks
        self.chunkDelayMs = chunkDelayMs
        self.outputTokens = outputTokens
        self.echo = echo
        self.usage = usage
        self.cachedTokens = cachedTokens
        self.stallLimitMs = stallLimitMs
    }

    /// Applies one `key=value` directive; unknown keys and unreadable values
    /// are ignored (a mock should not fail on a typo in a test prompt).
    package mutating func apply(key: String, value: String) {
        let key = key.lowercased().replacingUnderscores()
        switch key {
        case "fail":
            if value == "none" || value.isEmpty { fail = nil } else if let f = MockFailure(rawValue: value) { fail = f }
        case "chunks": if let n = Int(value), n >= 1 { chunks = n }
        case "delay-ms", "chunk-delay-ms", "delay": if let n = Int(value), n >= 0 { chunkDelayMs = n }
        case "tokens", "output-tokens": if let n = Int(value), n >= 0 { outputTokens = n }
        case "echo": if let b = Self.flag(value) { echo = b }
        case "usage": if let b = Self.flag(value) { usage = b }
        case "cached", "cached-tokens": if let n = Int(value), n >= 0 { cachedTokens = n }
        case "stall-ms": if let n = Int(value), n >= 0 { stallLimitMs = n }
        default: break
        }
    }

    /// Applies space- or `+`-separated `key=value` words.
    package mutating func apply(words: some Sequence<Substring>) {
        for word in words {
            guard let eq = word.firstIndex(of: "=") else { continue }
            apply(key: String(word[..<eq]), value: String(word[word.index(after: eq)...]))
        }
    }

    static func flag(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: return nil
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? "-" : $0 })
    }
}
