/// A catalog price, in nano-dollars (1e-9 USD) per million tokens.
public struct Price: Equatable, Hashable, Sendable {
    public var inputPerMtokNanos: Int64
    public var outputPerMtokNanos: Int64
    public var cachedPerMtokNanos: Int64

    public init(inputPerMtokNanos: Int64, outputPerMtokNanos: Int64, cachedPerMtokNanos: Int64) {
        self.inputPerMtokNanos = inputPerMtokNanos
        self.outputPerMtokNanos = outputPerMtokNanos
        self.cachedPerMtokNanos = cachedPerMtokNanos
    }
}
