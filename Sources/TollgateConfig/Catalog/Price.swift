import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// A model's price in nano-dollars per million tokens, one figure per token
/// kind. Cached (prompt-cache hit) tokens are billed separately from input.
package struct Price: Sendable, Equatable {
    package var inputPerMTokNanos: Int64
    package var outputPerMTokNanos: Int64
    package var cachedPerMTokNanos: Int64

    package init(inputPerMTokNanos: Int64, outputPerMTokNanos: Int64, cachedPerMTokNanos: Int64? = nil) {
        self.inputPerMTokNanos = inputPerMTokNanos
        self.outputPerMTokNanos = outputPerMTokNanos
        self.cachedPerMTokNanos = cachedPerMTokNanos ?? inputPerMTokNanos
    }
}
