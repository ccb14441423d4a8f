import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// A position in a config file, 1-based, printed the way compilers do so
/// editors can jump to it.
package struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var column: Int

    package init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    package var description: String { "\(file):\(line):\(column)" }
}
