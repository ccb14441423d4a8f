import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// A position in a config file, 1-based, printed the way compilers do so
/// editors can jump to it.
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
