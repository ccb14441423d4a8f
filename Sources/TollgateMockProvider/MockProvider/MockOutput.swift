import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateUpstream

/// The answer's text, split into streamed pieces, and its token count.
package struct MockOutput {
    var pieces: [String]
    var tokens: Int
    /// True when max tokens cut the answer short.
    var truncated: Bool

    var text: String { pieces.joined() }

    init(request: MockRequest, directives: MockDirectives) {
        if directives.echo {
            // Echo is not capped: the point is to see the prompt come back whole.
            let text = request.promptSegments.joined(separator: "\n")
            tokens = (text.utf8.count + 3) / 4
            truncated = false
            pieces = Self.split(text, into: directives.chunks)
            return
        }
        var count = max(0, directives.outputTokens)
        truncated = false
        if let limit = request.maxTokens, limit >= 0, limit < count {
            count = limit
            truncated = true
        }
        tokens = count
        pieces = Self.wordPieces(count: count, chunks: directives.chunks)
    }

    /// "tok0 tok1 ..." — every word is one token — grouped into `chunks`
    /// pieces as even as possible.
    static func wordPieces(count: Int, chunks: Int) -> [String] {
        guard count > 0 else { return [""] }
        let groups = max(1, min(chunks, count))
        var pieces: [String] = []
        pieces.reserveCapacity(groups)
        var word = 0
        for group in 0..<groups {
            let size = count / groups + (group < count % groups ? 1 : 0)
            var piece = ""
            for _ in 0..<size {
                if word > 0 { piece += " " }
                piece += "tok\(word)"
                word += 1
            }
            pieces.append(piece)
        }
        return pieces
    }

    /// Splits on character boundaries into at most `chunks` pieces.
    static func split(_ text: String, into chunks: Int) -> [String] {
        let characters = Array(text)
        guard !characters.isEmpty else { return [""] }
        let groups = max(1, min(chunks, characters.count))
        var pieces: [String] = []
        var start = 0
        for group in 0..<groups {
            let size = characters.count / groups + (group < characters.count % groups ? 1 : 0)
            pieces.append(String(characters[start..<start + size]))
            start += size
        }
        return pieces
    }
}
